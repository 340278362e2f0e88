import { text } from 'node:stream/consumers';

import { canonicalSnapshot, type DelistEntry } from '@signal-mesh/delisting-domain';

import { randomUrlSignalId } from './fakes.fixtures';
import { acceptsGzip, etagMatches, snapshotFormat, snapshotText, withFirst } from './snapshot-stream';

const entry = (scope: DelistEntry['matchScope'] = 'HOST'): DelistEntry => ({ signalId: randomUrlSignalId(), canonicalUrl: 'https://app.nudify.test/', matchScope: scope, registrableDomain: 'nudify.test', categories: ['service.nudify'], firstListedAt: new Date('2025-06-01T12:00:00.000Z') });

async function* pages(...chunks: DelistEntry[][]): AsyncGenerator<DelistEntry[]> {
  yield* chunks;
}

describe('snapshot streaming', () => {
  const sorted = [entry(), entry('EXACT'), entry('DOMAIN')].sort((a, b) => (a.signalId < b.signalId ? -1 : 1));

  it('streams the canonical NDJSON page by page', async () => {
    expect(await text(snapshotText(pages(sorted.slice(0, 2), sorted.slice(2)), 'ndjson'))).toBe(canonicalSnapshot(sorted));
  });

  it('streams CSV with a header, and hosts lines for HOST/DOMAIN entries only', async () => {
    const csv = await text(snapshotText(pages(sorted), 'csv'));
    expect(csv.split('\r\n')[0]).toBe('signal_id,canonical_url,match_scope,registrable_domain,categories,first_listed_at');
    expect(csv.split('\r\n')).toHaveLength(5);
    expect(await text(snapshotText(pages([entry('EXACT'), entry('HOST')]), 'hosts'))).toBe('0.0.0.0 app.nudify.test\n');
  });

  it('fails the stream when entries come out of order (never a wrong canonical snapshot)', async () => {
    await expect(text(snapshotText(pages([...sorted].reverse()), 'ndjson'))).rejects.toMatchObject({ code: 'UNSORTED_SNAPSHOT' });
  });

  it('prepends an already-read first page', async () => {
    const rest = pages([sorted[1] as DelistEntry], [sorted[2] as DelistEntry]);
    const out: DelistEntry[][] = [];
    for await (const page of withFirst({ done: false, value: [sorted[0] as DelistEntry] }, rest)) out.push(page);
    expect(out.flat()).toEqual(sorted);
    const none: DelistEntry[][] = [];
    for await (const page of withFirst<DelistEntry[]>({ done: true, value: undefined }, pages())) none.push(page);
    expect(none).toEqual([]);
  });

  it('parses formats, conditional and encoding headers', () => {
    expect(snapshotFormat(undefined)).toBe('ndjson');
    expect(() => snapshotFormat('xml')).toThrow(expect.objectContaining({ code: 'INVALID_FORMAT' }));
    expect(etagMatches('"7"', '"7"')).toBe(true);
    expect(etagMatches('W/"7", "8"', '"7"')).toBe(true);
    expect(etagMatches('*', '"7"')).toBe(true);
    expect(etagMatches('"6"', '"7"')).toBe(false);
    expect(etagMatches(undefined, '"7"')).toBe(false);
    expect(acceptsGzip('gzip, deflate, br')).toBe(true);
    expect(acceptsGzip('br;q=1.0, gzip;q=0.5')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });
});
