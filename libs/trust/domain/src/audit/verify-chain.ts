import { type AuditRecord, computeRecordHash, GENESIS_HASH } from './audit-record';

export type ChainBreak = 'HASH_MISMATCH' | 'PREV_HASH_MISMATCH' | 'SEQ_GAP';
export type ChainVerification = { readonly ok: true; readonly count: number } | { readonly ok: false; readonly brokenAt: number; readonly reason: ChainBreak };

/**
 * Checks a whole chain from seq 1 in one streaming pass, in order of seq, holding only the previous record.
 * `brokenAt` is the seq the chain breaks at: the record that was altered, or the first one missing. Deleting records
 * from the end cannot be seen from the chain alone: compare `count` and the last hash with an anchor kept elsewhere.
 */
export async function verifyChain(records: Iterable<AuditRecord> | AsyncIterable<AuditRecord>): Promise<ChainVerification> {
  let expectedSeq = 1;
  let expectedPrev = GENESIS_HASH;
  for await (const record of records) {
    if (record.seq !== expectedSeq) return { ok: false, brokenAt: expectedSeq, reason: 'SEQ_GAP' };
    if (record.prevHash !== expectedPrev) return { ok: false, brokenAt: expectedSeq, reason: 'PREV_HASH_MISMATCH' };
    let actual: string;
    try {
      actual = computeRecordHash(record);
    } catch {
      // A stored value that cannot be serialised (e.g. NaN written behind our back) is tampering too.
      return { ok: false, brokenAt: expectedSeq, reason: 'HASH_MISMATCH' };
    }
    if (actual !== record.hash) return { ok: false, brokenAt: expectedSeq, reason: 'HASH_MISMATCH' };
    expectedSeq += 1;
    expectedPrev = record.hash;
  }
  return { ok: true, count: expectedSeq - 1 };
}
