import type { IncomingMessage } from 'node:http';

import { IngestError } from './errors';

export type BodyKind = 'json' | 'csv';

/** The media type of a request body, from the types a route accepts; anything else is UNSUPPORTED_MEDIA_TYPE. */
export function bodyKind(req: IncomingMessage, accepted: readonly BodyKind[]): BodyKind {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const kind: BodyKind | undefined = type === 'application/json' ? 'json' : type === 'text/csv' ? 'csv' : undefined;
  if (!kind || !accepted.includes(kind)) {
    const names = accepted.map((k) => (k === 'json' ? 'application/json' : 'text/csv')).join(' or ');
    throw new IngestError('UNSUPPORTED_MEDIA_TYPE', `send ${names}${type ? ` (got ${type.slice(0, 64)})` : ''}`);
  }
  return kind;
}

/**
 * Reads the raw body, refusing with PAYLOAD_TOO_LARGE as soon as it passes `limit` bytes (up front when the
 * Content-Length says so): the JSON body parser is off so each route has its own limit.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new IngestError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limit} bytes`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        // Stop buffering; the rest is drained and discarded so the response can still be written.
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!done) reject(err);
    });
  });
}

/** UTF-8 text of a body; invalid UTF-8 is refused rather than silently replaced. */
export function utf8(body: Buffer, code: 'MALFORMED_JSON' | 'MALFORMED_CSV'): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new IngestError(code, 'the body is not valid UTF-8');
  }
}

export function parseJson(body: Buffer, { optional = false } = {}): unknown {
  const text = utf8(body, 'MALFORMED_JSON');
  if (optional && text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new IngestError('MALFORMED_JSON', `the body is not valid JSON: ${(err as Error).message.slice(0, 200)}`);
  }
}
