import { applySubmission, type SignalRecord, type Submission } from '@signal-mesh/signals-domain';
import { testLogger } from '@signal-mesh/testing';

import { ExpirySweeper } from './expiry-sweeper';
import { InMemorySignalStore, RecordingStateSink } from './testing/fakes.fixtures';
import { contributionSubmission } from './testing/submissions.fixtures';

const T0 = new Date('2026-03-01T00:00:00Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

function recordOf(...subs: Submission[]): SignalRecord {
  let record: SignalRecord | undefined;
  for (const s of subs) {
    const r = applySubmission(record, s, T0);
    if (r.outcome === 'rejected') throw new Error(r.message);
    record = r.record;
  }
  if (!record) throw new Error('no submissions');
  return record;
}

function setup(now: Date, limit = 10) {
  const store = new InMemorySignalStore();
  const sink = new RecordingStateSink();
  const sut = new ExpirySweeper({ store, sink, clock: () => now, logger: testLogger(), limit });
  return { sut, store, sink };
}

describe(ExpirySweeper.name, () => {
  it('turns a signal whose only contribution ran out EXPIRED, guarded by its version, and publishes it', async () => {
    const { sut, store, sink } = setup(later(2_000));
    const record = recordOf(contributionSubmission({ value: 'https://expiring.example.test/', validUntil: later(1_000) }));
    store.records.set(record.signalId, record);

    expect(await sut.sweep()).toBe(1);
    expect(store.writes).toEqual([[{ record: expect.objectContaining({ status: 'EXPIRED', version: 2 }), expectedVersion: 1 }]]);
    expect(sink.latest().get(record.signalId)?.record.status).toBe('EXPIRED');
  });

  it('ends a dispute when the NEGATIVE contribution runs out', async () => {
    const { sut, store } = setup(later(2_000));
    const value = 'https://disputed.example.test/';
    const record = recordOf(contributionSubmission({ value, org: 'org_a' }), contributionSubmission({ value, org: 'org_b', opinion: 'NEGATIVE', validUntil: later(1_000) }));
    expect(record.status).toBe('DISPUTED');
    store.records.set(record.signalId, record);
    await sut.sweep();
    expect(store.records.get(record.signalId)).toMatchObject({ status: 'ACTIVE', aggregates: { contributorCount: 1 } });
  });

  it('leaves records that are not due alone', async () => {
    const { sut, store, sink } = setup(later(500));
    const record = recordOf(contributionSubmission({ value: 'https://fresh.example.test/', validUntil: later(1_000) }));
    store.records.set(record.signalId, record);
    expect(await sut.sweep()).toBe(0);
    expect(store.writes).toEqual([]);
    expect(sink.published).toEqual([]);
  });

  it('skips, without publishing, a record a submission changed during the sweep', async () => {
    const { sut, store, sink } = setup(later(2_000));
    const record = recordOf(contributionSubmission({ value: 'https://raced.example.test/', validUntil: later(1_000) }));
    store.records.set(record.signalId, record);
    store.beforeWrite = (w) => store.records.set(w.record.signalId, { ...record, version: 5 });
    expect(await sut.sweep()).toBe(0);
    expect(sink.published).toEqual([]);
  });

  it('pages through more due records than one query returns', async () => {
    const { sut, store } = setup(later(2_000), 2);
    for (let i = 0; i < 5; i++) {
      const record = recordOf(contributionSubmission({ value: `https://page${i}.example.test/`, validUntil: later(1_000) }));
      store.records.set(record.signalId, record);
    }
    expect(await sut.sweep()).toBe(5);
    expect([...store.records.values()].every((r) => r.status === 'EXPIRED')).toBe(true);
  });
});
