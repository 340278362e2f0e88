import { Readable } from 'node:stream';

import { type AuditEntry, type AuditRecord, chainRecord } from '@signal-mesh/trust-domain';

import type { CliIo } from '../io';
import { run } from '../main';
import type { AuditLogReader, OpenAuditLog } from './audit.command';

function fakeIo(env: Record<string, string> = {}): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { stdin: Readable.from(['']), stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env, out, err };
}

const entry = (i: number): AuditEntry => ({ at: new Date(Date.UTC(2025, 5, 1, 12, 0, i)), action: 'key.issue', outcome: 'CHANGED', subject: `org-${i}` });

function chain(n: number): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (let i = 1; i <= n; i++) records.push(chainRecord(records.at(-1), entry(i)));
  return records;
}

function fakeLog(records: AuditRecord[]): { open: OpenAuditLog; closed: () => number } {
  let closed = 0;
  const reader: AuditLogReader = {
    stream: async function* () {
      yield* records;
    },
    tail: async (n) => records.slice(-n),
    close: async () => void closed++,
  };
  return { open: async () => reader, closed: () => closed };
}

describe('signal-mesh audit', () => {
  it('verify prints { ok: true, count } and exits 0 for an intact chain', async () => {
    const io = fakeIo();
    const log = fakeLog(chain(3));
    expect(await run(['audit', 'verify'], io, { openAuditLog: log.open })).toBe(0);
    expect(io.out.map((l) => JSON.parse(l))).toEqual([{ ok: true, count: 3 }]);
    expect(log.closed()).toBe(1);
  });

  it('verify names the first broken seq and exits 1', async () => {
    const records = chain(4);
    records[2] = { ...(records[2] as AuditRecord), subject: 'tampered' };
    const io = fakeIo();
    expect(await run(['audit', 'verify'], io, { openAuditLog: fakeLog(records).open })).toBe(1);
    expect(io.out.map((l) => JSON.parse(l))).toEqual([{ ok: false, brokenAt: 3, reason: 'HASH_MISMATCH' }]);
  });

  it('tail prints the last n records oldest first (default 20)', async () => {
    const io = fakeIo();
    expect(await run(['audit', 'tail', '-n', '2'], io, { openAuditLog: fakeLog(chain(5)).open })).toBe(0);
    expect(io.out.map((l) => JSON.parse(l).seq)).toEqual([4, 5]);
    expect(JSON.parse(io.out[0] ?? '{}')).toMatchObject({ at: '2025-06-01T12:00:04.000Z', action: 'key.issue', subject: 'org-4' });
    const all = fakeIo();
    expect(await run(['audit', 'tail'], all, { openAuditLog: fakeLog(chain(25)).open })).toBe(0);
    expect(all.out).toHaveLength(20);
  });

  it('rejects a non-positive -n with usage help', async () => {
    const io = fakeIo();
    expect(await run(['audit', 'tail', '-n', '0'], io, { openAuditLog: fakeLog([]).open })).toBe(1);
    expect(io.err.join('')).toContain('Usage: signal-mesh audit tail');
  });

  it('reports missing configuration as CONFIG_INVALID and exits 2 (real opener, no MONGODB_URI)', async () => {
    const io = fakeIo({});
    expect(await run(['audit', 'verify'], io)).toBe(2);
    expect(JSON.parse(io.out[0] ?? '{}')).toMatchObject({ error: { code: 'CONFIG_INVALID', message: expect.stringContaining('MONGODB_URI') } });
  });

  it('reports a connection failure as MONGO_UNAVAILABLE and exits 2', async () => {
    const io = fakeIo();
    expect(await run(['audit', 'verify'], io, { openAuditLog: () => Promise.reject(new Error('connect ECONNREFUSED')) })).toBe(2);
    expect(JSON.parse(io.out[0] ?? '{}')).toEqual({ error: { code: 'MONGO_UNAVAILABLE', message: 'cannot connect to MongoDB: connect ECONNREFUSED' } });
  });
});
