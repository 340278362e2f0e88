import { canonicalizeSignal, type Submission } from '@signal-mesh/signals-domain';
import { testLogger } from '@signal-mesh/testing';
import { PermanentError } from '@signal-mesh/transport-kafka';

import { DedupProcessor } from './dedup-processor';
import { consumed, InMemorySignalStore, RecordingStateSink } from './testing/fakes.fixtures';
import { contributionSubmission, revocationSubmission } from './testing/submissions.fixtures';

const NOW = new Date('2026-03-01T00:00:00Z');

function setup(options: { toSubmission?: (s: Submission) => Submission; maxConflictRounds?: number } = {}) {
  const store = new InMemorySignalStore();
  const sink = new RecordingStateSink();
  const sut = new DedupProcessor<Submission>({
    store,
    sink,
    toSubmission: options.toSubmission ?? ((s) => s),
    clock: () => NOW,
    logger: testLogger(),
    maxConflictRounds: options.maxConflictRounds,
  });
  return { sut, store, sink };
}

// Three organisations, three spellings of one URL: canonicalization gives them one signal id.
const spellings = ['https://Nudify.Example.com/app', 'HTTPS://nudify.example.com:443/./app#top', 'https://nudify.example.com/x/../app'];
const threeOrgs = () =>
  spellings.map((value, i) => contributionSubmission({ value, type: 'url', org: `org_${'abc'[i]}`, key: `import-${i}`, marking: (['GREEN', 'AMBER_STRICT', 'RED'] as const)[i] }));

describe(DedupProcessor.name, () => {
  it('merges three organisations contributing one URL in three spellings into one signal with three contributions', async () => {
    const { sut, store, sink } = setup();
    const subs = threeOrgs();
    expect(new Set(spellings.map((value) => canonicalizeSignal({ type: 'url', value }).signalId)).size).toBe(1);

    const { results, stats } = await sut.processChunk(subs.map((s, i) => consumed(s, { traceparent: `00-${String(i).repeat(32)}-${'1'.repeat(16)}-01` })));

    expect(results).toEqual([undefined, undefined, undefined]);
    expect(store.records.size).toBe(1);
    const record = [...store.records.values()][0];
    expect(record?.contributions.map((c) => [c.contributorOrgId, c.marking])).toEqual([
      ['org_a', 'GREEN'],
      ['org_b', 'AMBER_STRICT'],
      ['org_c', 'RED'],
    ]);
    expect(record).toMatchObject({ status: 'ACTIVE', aggregates: { contributorCount: 3, positiveCount: 3 }, version: 3 });
    // One insert for the whole chunk, and one state event carrying the last contributor's trace.
    expect(store.writes).toEqual([[{ record, expectedVersion: undefined }]]);
    // (Which trace it continues is specified in dedup-telemetry.spec.ts, with a real tracer.)
    expect(sink.published).toEqual([[{ record, traceContext: expect.anything() }]]);
    expect(stats).toMatchObject({ records: 3, signals: 1, created: 1, updated: 2, written: 1, published: 1 });
  });

  it('counts a replayed chunk once: nothing is written, and the unchanged state is published again', async () => {
    const { sut, store, sink } = setup();
    const chunk = threeOrgs().map((s) => consumed(s));
    await sut.processChunk(chunk);
    const before = [...store.records.values()][0];

    const { results, stats } = await sut.processChunk(chunk);

    expect(results).toEqual([undefined, undefined, undefined]);
    expect([...store.records.values()][0]).toBe(before);
    expect(store.writes).toHaveLength(1);
    expect(stats).toMatchObject({ unchanged: 3, written: 0, published: 1 });
    // Why: a crash after the write and before the produce leaves only this replay to publish the state.
    expect(sink.published[1]?.[0]?.record).toBe(before);
  });

  it('updates an existing signal guarded by the version it loaded', async () => {
    const { sut, store } = setup();
    const [a, b] = threeOrgs();
    await sut.processChunk([consumed(a as Submission)]);
    await sut.processChunk([consumed(b as Submission)]);
    expect(store.writes[1]).toEqual([{ record: expect.objectContaining({ version: 2 }), expectedVersion: 1 }]);
  });

  it('applies a signal submissions in offset order within a chunk, interleaved with other signals', async () => {
    const { sut, store, sink } = setup();
    const url = contributionSubmission({ value: 'https://undress.example.test/', org: 'org_a' });
    const hash = contributionSubmission({ type: 'model-hash', value: 'ab'.repeat(32), org: 'org_b' });
    const { results } = await sut.processChunk([consumed(url), consumed(hash), consumed(revocationSubmission(url)), consumed(contributionSubmission({ value: 'https://undress.example.test/', org: 'org_c' }))]);
    expect(results).toEqual([undefined, undefined, undefined, undefined]);
    const record = store.records.get(url.signalId);
    expect(record?.contributions.map((c) => [c.contributorOrgId, c.revokedAt !== undefined])).toEqual([
      ['org_a', true],
      ['org_c', false],
    ]);
    expect(record).toMatchObject({ status: 'ACTIVE', aggregates: { contributorCount: 1 } });
    expect(sink.published[0]?.map((s) => s.record.signalId)).toEqual([url.signalId, hash.signalId]);
  });

  it('turns a signal REVOKED when its last contribution is revoked, and publishes that final state', async () => {
    const { sut, store, sink } = setup();
    const only = contributionSubmission({ value: 'https://nudify.example.test/a', org: 'org_a' });
    await sut.processChunk([consumed(only)]);
    await sut.processChunk([consumed(revocationSubmission(only, { reason: 'false positive' }))]);
    expect(store.records.get(only.signalId)).toMatchObject({ status: 'REVOKED', version: 2, aggregates: { contributorCount: 0 } });
    expect(sink.latest().get(only.signalId)?.record).toMatchObject({ status: 'REVOKED', contributions: [expect.objectContaining({ revocationReason: 'false positive' })] });
  });

  it('rejects only the offending records, with the domain code, and still merges the rest of the chunk', async () => {
    const { sut, store, sink } = setup();
    const good = contributionSubmission({ value: 'https://nudify.example.test/b', org: 'org_a' });
    const unknown = revocationSubmission(contributionSubmission({ value: 'https://never.example.test/', org: 'org_a' }));
    const notMine = revocationSubmission(good, { org: 'org_z' });
    const { results } = await sut.processChunk([consumed(unknown), consumed(good), consumed(notMine)]);
    expect(results.map((r) => r?.code)).toEqual(['SIGNAL_NOT_FOUND', undefined, 'NOT_CONTRIBUTOR']);
    expect(results[0]).toBeInstanceOf(PermanentError);
    expect(store.records.get(good.signalId)?.contributions).toHaveLength(1);
    // A signal whose submissions were all rejected gets no state event.
    expect(sink.published[0]?.map((s) => s.record.signalId)).toEqual([good.signalId]);
  });

  it('dead-letters an event that cannot be mapped, keeping the mapping error code', async () => {
    const good = contributionSubmission({ value: 'https://nudify.example.test/c' });
    const invalid = contributionSubmission({ value: 'https://nudify.example.test/d' });
    const { sut, store } = setup({
      toSubmission: (s) => {
        if (s === invalid) throw Object.assign(new Error('contribution.confidence must be 0-100'), { code: 'INVALID_SUBMISSION' });
        return s;
      },
    });
    const { results, stats } = await sut.processChunk([consumed(invalid), consumed(good)]);
    expect(results[0]).toMatchObject({ code: 'INVALID_SUBMISSION', message: 'contribution.confidence must be 0-100' });
    expect(results[1]).toBeUndefined();
    expect(store.records.has(good.signalId)).toBe(true);
    expect(stats).toMatchObject({ invalid: 1, rejected: 0, created: 1 });
  });

  it('reloads and re-applies the signals whose versioned write lost a race, keeping both writers contributions', async () => {
    const { sut, store, sink } = setup();
    const ours = contributionSubmission({ value: 'https://race.example.test/', org: 'org_a' });
    const theirs = contributionSubmission({ value: 'https://race.example.test/', org: 'org_b' });
    // Another instance (during a rebalance) inserts the same signal between our load and our write.
    store.beforeWrite = (write) => {
      if (write.expectedVersion === undefined && !store.records.has(theirs.signalId)) {
        store.records.set(theirs.signalId, { ...write.record, contributions: [theirs.contribution], version: 1 });
      }
    };
    const { results, stats } = await sut.processChunk([consumed(ours)]);
    expect(results).toEqual([undefined]);
    expect(stats.conflictRounds).toBe(1);
    expect(store.records.get(ours.signalId)?.contributions.map((c) => c.contributorOrgId)).toEqual(['org_b', 'org_a']);
    expect(store.writes[1]).toEqual([{ record: expect.objectContaining({ version: 2 }), expectedVersion: 1 }]);
    expect(sink.latest().get(ours.signalId)?.record.contributions).toHaveLength(2);
  });

  it('fails the chunk (transient, so it is retried and never committed) when conflicts persist, publishing nothing', async () => {
    const { sut, store, sink } = setup({ maxConflictRounds: 3 });
    const sub = contributionSubmission({ value: 'https://contended.example.test/' });
    const other = contributionSubmission({ value: 'https://contended.example.test/', org: 'org_other' });
    // Every time we try to write, someone else has just written another version without our contribution.
    store.beforeWrite = (write) =>
      store.records.set(write.record.signalId, { ...write.record, contributions: [other.contribution], version: (store.records.get(write.record.signalId)?.version ?? 0) + 7 });
    await expect(sut.processChunk([consumed(sub)])).rejects.toThrow(/still conflicting after 3 rounds/);
    expect(sink.published).toEqual([]);
  });

  it('propagates a database or Kafka failure so the chunk is retried, not committed', async () => {
    const sub = contributionSubmission({ value: 'https://flaky.example.test/' });
    const db = setup();
    db.store.failWrites = new Error('connection reset');
    await expect(db.sut.processChunk([consumed(sub)])).rejects.toThrow('connection reset');
    expect(db.sink.published).toEqual([]);

    const kafka = setup();
    kafka.sink.fail = new Error('broker unavailable');
    await expect(kafka.sut.processChunk([consumed(sub)])).rejects.toThrow('broker unavailable');
    // The retry is a replay: the write is unchanged, the state is published then.
    kafka.sink.fail = undefined;
    const { stats } = await kafka.sut.processChunk([consumed(sub)]);
    expect(stats).toMatchObject({ unchanged: 1, written: 0, published: 1 });
  });

  it('loads every signal of a chunk in one query and writes them in one bulk write', async () => {
    const { sut, store } = setup();
    const subs = Array.from({ length: 50 }, (_, i) => contributionSubmission({ value: `https://bulk${i}.example.test/`, org: 'org_bulk' }));
    await sut.processChunk(subs.map((s) => consumed(s)));
    expect(store.findManyCalls).toBe(1);
    expect(store.writes).toHaveLength(1);
    expect(store.writes[0]).toHaveLength(50);
  });
});
