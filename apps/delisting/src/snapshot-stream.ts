import { Readable } from 'node:stream';

import { CSV_HEADER, csvLine, type DelistEntry, hostsLines, SnapshotHasher } from '@signal-mesh/delisting-domain';

import { DelistingError } from './errors';

export type SnapshotFormat = 'ndjson' | 'csv' | 'hosts';

export const SNAPSHOT_CONTENT_TYPES: Record<SnapshotFormat, string> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
  hosts: 'text/plain; charset=utf-8',
};

export function snapshotFormat(value: string | undefined): SnapshotFormat {
  const format = value ?? 'ndjson';
  if (format !== 'ndjson' && format !== 'csv' && format !== 'hosts') throw new DelistingError('INVALID_FORMAT', 'format must be ndjson, csv or hosts', 'format');
  return format;
}

/**
 * The snapshot's text, one chunk per page. Readable.from pulls a page only when the consumer (socket or gzip)
 * wants more, so memory holds one page whatever the list's size. NDJSON lines go through the same SnapshotHasher
 * the manifest uses, which also guards the canonical order.
 */
export function snapshotText(pages: AsyncIterable<DelistEntry[]>, format: SnapshotFormat): Readable {
  async function* text(): AsyncGenerator<string> {
    if (format === 'csv') yield CSV_HEADER;
    const hasher = new SnapshotHasher();
    for await (const page of pages) {
      if (format === 'ndjson') yield page.map((entry) => hasher.add(entry)).join('');
      else if (format === 'csv') yield page.map(csvLine).join('');
      else yield page.flatMap(hostsLines).join('');
    }
  }
  return Readable.from(text(), { objectMode: false });
}

/** Whether an If-None-Match header matches the ETag (`*`, a list, weak validators compared weakly). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}

/** Whether the client accepts gzip (Accept-Encoding, q > 0). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  return acceptEncoding.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding?.trim() !== 'gzip' && coding?.trim() !== 'x-gzip') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** Prepends an already-read first page to the rest (the first read happens before any header is sent). */
export async function* withFirst<T>(first: IteratorResult<T>, rest: AsyncIterator<T>): AsyncGenerator<T> {
  if (first.done) return;
  yield first.value;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}
