import { type AuditEntry, type AuditRecord, chainRecord } from './audit-record';
import { verifyChain } from './verify-chain';

function chainOf(length: number): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (let i = 0; i < length; i++) {
    const entry: AuditEntry = {
      at: new Date(Date.UTC(2025, 5, 1, 12, 0, i)),
      actorOrgId: 'org-ngo-1',
      keyId: 'abcdefghijkl',
      action: i % 2 ? 'signal.contribute' : 'feed.subscribe',
      outcome: 'ALLOWED',
      subject: `sig-${i}`,
      details: { count: i, sampled: true, host: 'example.com' },
    };
    records.push(chainRecord(records.at(-1), entry));
  }
  return records;
}

async function* slowly<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) {
    await new Promise((r) => setImmediate(r));
    yield item;
  }
}

describe(verifyChain.name, () => {
  it('accepts an intact chain from a sync or async source and counts it', async () => {
    const chain = chainOf(10);
    expect(await verifyChain(chain)).toEqual({ ok: true, count: 10 });
    expect(await verifyChain(slowly(chain))).toEqual({ ok: true, count: 10 });
    expect(await verifyChain([])).toEqual({ ok: true, count: 0 });
  });

  // Every field of record 5 altered in turn: the break is found at record 5.
  const tampers: [string, (r: AuditRecord) => AuditRecord, string][] = [
    ['at', (r) => ({ ...r, at: new Date(r.at.getTime() + 1) }), 'HASH_MISMATCH'],
    ['actorOrgId changed', (r) => ({ ...r, actorOrgId: 'org-platform-2' }), 'HASH_MISMATCH'],
    ['actorOrgId removed', ({ actorOrgId: _a, ...r }) => r, 'HASH_MISMATCH'],
    ['keyId', (r) => ({ ...r, keyId: 'zzzzzzzzzzzz' }), 'HASH_MISMATCH'],
    ['action', (r) => ({ ...r, action: 'key.revoke' }), 'HASH_MISMATCH'],
    ['outcome', (r) => ({ ...r, outcome: 'DENIED' }), 'HASH_MISMATCH'],
    ['subject', (r) => ({ ...r, subject: 'sig-other' }), 'HASH_MISMATCH'],
    ['details value', (r) => ({ ...r, details: { ...r.details, count: 99 } }), 'HASH_MISMATCH'],
    ['details value type', (r) => ({ ...r, details: { ...r.details, count: '4' } }), 'HASH_MISMATCH'],
    ['details key added', (r) => ({ ...r, details: { ...r.details, extra: true } }), 'HASH_MISMATCH'],
    ['details removed', ({ details: _d, ...r }) => r, 'HASH_MISMATCH'],
    ['hash', (r) => ({ ...r, hash: 'f'.repeat(64) }), 'HASH_MISMATCH'],
    ['prevHash', (r) => ({ ...r, prevHash: 'e'.repeat(64) }), 'PREV_HASH_MISMATCH'],
    ['seq', (r) => ({ ...r, seq: 50 }), 'SEQ_GAP'],
  ];

  it.each(tampers)('finds %s tampered at that record', async (_field, tamper, reason) => {
    const chain = chainOf(10);
    chain[4] = tamper(chain[4]);
    expect(await verifyChain(slowly(chain))).toEqual({ ok: false, brokenAt: 5, reason });
  });

  it('finds a record rewritten with a recomputed hash at the next record', async () => {
    const chain = chainOf(10);
    const forged = chainRecord(chain[3], { at: chain[4].at, action: 'nothing.to.see', outcome: 'ALLOWED' });
    chain[4] = forged;
    expect(await verifyChain(chain)).toEqual({ ok: false, brokenAt: 6, reason: 'PREV_HASH_MISMATCH' });
  });

  it('names the first missing seq when a record is deleted', async () => {
    const chain = chainOf(10);
    chain.splice(6, 1);
    expect(await verifyChain(chain)).toEqual({ ok: false, brokenAt: 7, reason: 'SEQ_GAP' });
  });

  it('requires the chain to start at seq 1 on the genesis hash', async () => {
    expect(await verifyChain(chainOf(10).slice(1))).toEqual({ ok: false, brokenAt: 1, reason: 'SEQ_GAP' });
    const [first] = chainOf(1);
    expect(await verifyChain([{ ...first, prevHash: 'a'.repeat(64) }])).toEqual({ ok: false, brokenAt: 1, reason: 'PREV_HASH_MISMATCH' });
  });

  it('stops reading at the first break', async () => {
    const chain = chainOf(10);
    chain[2] = { ...chain[2], action: 'tampered' };
    let read = 0;
    const source = (function* () {
      for (const r of chain) {
        read++;
        yield r;
      }
    })();
    await verifyChain(source);
    expect(read).toBe(3);
  });
});
