import { type FeedEvent, FeedEventKind, RetractReason } from '@signal-mesh/contracts';
import { testLogger } from '@signal-mesh/testing';
import { PermanentError } from '@signal-mesh/transport-kafka';
import { type Organisation, TrustSnapshot } from '@signal-mesh/trust-domain';

import { FanoutProcessor } from './fanout-processor';
import { consumed, groupRecord, InMemoryFanoutStore, orgRecord, RecordingFeedSink, STATE_TOPIC, TRUST_TOPIC } from './testing/fakes.fixtures';
import { SignalHistory, stateBytes } from './testing/states.fixtures';

const org = (orgId: string, status: Organisation['status'] = 'ACTIVE'): Organisation => ({ orgId, kind: 'NGO', tier: 3, status });
const A = org('org_a');
const B = org('org_b');
const C = org('org_c');
const G = 'grp_g';

/** What each organisation was told, in order: "UPSERT:<contribution count>" or "RETRACT:<reason>". */
function told(events: readonly FeedEvent[], signalId?: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of events) {
    if (signalId !== undefined && e.signalId !== signalId) continue;
    const what = e.kind === FeedEventKind.FEED_EVENT_KIND_UPSERT ? `UPSERT:${e.view?.contributions.length}` : `RETRACT:${RetractReason[e.retractReason]}`;
    (out[e.orgId] ??= []).push(what);
  }
  return out;
}

describe(FanoutProcessor.name, () => {
  let store: InMemoryFanoutStore;
  let sink: RecordingFeedSink;
  let snapshot: TrustSnapshot;
  let sut: FanoutProcessor;
  let now: Date;

  const processor = () =>
    new FanoutProcessor({ snapshot, store, sink, topics: { state: STATE_TOPIC, trust: TRUST_TOPIC }, clock: () => now, logger: testLogger(), reevaluateBatch: 2 });
  const states = (...bytes: Buffer[]) => sut.processChunk(bytes.map((b) => consumed(STATE_TOPIC, b, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' })));
  const emitted = () => {
    const events = sink.events();
    sink.clear();
    return events;
  };

  beforeEach(async () => {
    now = new Date('2026-11-02T00:00:00Z');
    store = new InMemoryFanoutStore();
    sink = new RecordingFeedSink();
    snapshot = new TrustSnapshot();
    sut = processor();
    await sut.processChunk([orgRecord(A), orgRecord(B), orgRecord(C), groupRecord({ groupId: G, memberOrgIds: [A.orgId, B.orgId] })]);
    sink.clear();
  });

  it('AMBER naming a group: the contributor and the other member get an UPSERT, the outsider nothing', async () => {
    const signal = new SignalHistory();
    await states(stateBytes(signal.contribute({ contributorOrgId: A.orgId, marking: 'AMBER', sharingGroupIds: [G] })));
    const events = emitted();
    expect(told(events)).toEqual({ org_a: ['UPSERT:1'], org_b: ['UPSERT:1'] });
    expect(events.every((e) => e.signalId === signal.signalId && e.canonicalValue === signal.current?.canonical)).toBe(true);
    // The state record's trace continues on every feed record (which trace: fanout-telemetry.spec.ts, with a real tracer).
    expect(sink.published.flat().every((r) => r.traceContext !== undefined)).toBe(true);
    expect((await store.findMany([signal.signalId])).get(signal.signalId)?.version).toBe('1');
  });

  it('emits an UPSERT only to organisations whose view changed, and a RED contribution reaches nobody but its contributor', async () => {
    const signal = new SignalHistory();
    await states(stateBytes(signal.contribute({ contributorOrgId: A.orgId, marking: 'AMBER', sharingGroupIds: [G] })));
    emitted();
    // RED by B naming nobody: only B's own view changes. A (a group peer) and C hear nothing, not even an event.
    await states(stateBytes(signal.contribute({ contributorOrgId: B.orgId, marking: 'RED', namedOrgIds: ['org_elsewhere'] })));
    expect(told(emitted())).toEqual({ org_b: ['UPSERT:2'] });
    // A RED signal of its own: nobody else ever learns it exists.
    const red = new SignalHistory();
    await states(stateBytes(red.contribute({ contributorOrgId: A.orgId, marking: 'RED', namedOrgIds: [] })));
    expect(told(emitted())).toEqual({ org_a: ['UPSERT:1'] });
    // GREEN by C: everyone's view changes.
    await states(stateBytes(signal.contribute({ contributorOrgId: C.orgId, marking: 'GREEN' })));
    expect(told(emitted())).toEqual({ org_a: ['UPSERT:2'], org_b: ['UPSERT:3'], org_c: ['UPSERT:1'] });
  });

  it('revoking one of two visible contributions → UPSERT without it; revoking the last → RETRACT REVOKED', async () => {
    const signal = new SignalHistory();
    const first = signal.contribute({ contributorOrgId: A.orgId, marking: 'GREEN' });
    const second = signal.contribute({ contributorOrgId: B.orgId, marking: 'GREEN' });
    await states(stateBytes(first), stateBytes(second));
    expect(told(emitted())).toEqual({ org_a: ['UPSERT:2'], org_b: ['UPSERT:2'], org_c: ['UPSERT:2'] });
    await states(stateBytes(signal.revoke(first.contributions[0]?.contributionId ?? '')));
    expect(told(emitted())).toEqual({ org_a: ['UPSERT:1'], org_b: ['UPSERT:1'], org_c: ['UPSERT:1'] });
    await states(stateBytes(signal.revoke(second.contributions[1]?.contributionId ?? '')));
    expect(told(emitted())).toEqual({ org_a: ['RETRACT:RETRACT_REASON_REVOKED'], org_b: ['RETRACT:RETRACT_REASON_REVOKED'], org_c: ['RETRACT:RETRACT_REASON_REVOKED'] });
  });

  it('a contribution that expired since the previous state → RETRACT EXPIRED when the expired state arrives', async () => {
    const signal = new SignalHistory();
    // Valid until 12:00; fanned out at 11:30 (emitted at 11:00), the expired state is fanned out at 12:30.
    now = new Date('2026-11-01T11:30:00Z');
    const live = signal.contribute({ contributorOrgId: A.orgId, validUntil: new Date('2026-11-01T12:00:00Z') });
    await states(stateBytes(live, new Date('2026-11-01T11:00:00Z')));
    expect(told(emitted())).toEqual({ org_a: ['UPSERT:1'], org_b: ['UPSERT:1'], org_c: ['UPSERT:1'] });
    now = new Date('2026-11-01T12:30:00Z');
    await states(stateBytes({ ...live, status: 'EXPIRED', version: live.version + 1 }, new Date('2026-11-01T12:01:00Z')));
    expect(told(emitted())).toEqual({ org_a: ['RETRACT:RETRACT_REASON_EXPIRED'], org_b: ['RETRACT:RETRACT_REASON_EXPIRED'], org_c: ['RETRACT:RETRACT_REASON_EXPIRED'] });
  });

  it('skips states that are not newer than the stored one (re-published or out of order)', async () => {
    const signal = new SignalHistory();
    const v1 = stateBytes(signal.contribute());
    const v2 = stateBytes(signal.contribute({ contributorOrgId: B.orgId }));
    await states(v2);
    expect(emitted()).toHaveLength(3);
    const { stats } = await states(v1, v2);
    expect(emitted()).toEqual([]);
    expect(stats).toMatchObject({ states: 2, stale: 1, events: 0 });
    expect((await store.findMany([signal.signalId])).get(signal.signalId)?.version).toBe('2');
  });

  it('fans out only the newest state of each signal in a chunk, with one lookup per chunk', async () => {
    const one = new SignalHistory();
    const two = new SignalHistory();
    const before = store.findManyCalls;
    await states(stateBytes(one.contribute()), stateBytes(two.contribute()), stateBytes(one.contribute({ contributorOrgId: B.orgId })));
    expect(store.findManyCalls - before).toBe(1);
    const events = emitted();
    expect(told(events, one.signalId)).toEqual({ org_a: ['UPSERT:2'], org_b: ['UPSERT:2'], org_c: ['UPSERT:2'] });
    expect(told(events, two.signalId)).toEqual({ org_a: ['UPSERT:1'], org_b: ['UPSERT:1'], org_c: ['UPSERT:1'] });
  });

  it('dead-letters an undecodable or invalid state record and still processes the rest of the chunk', async () => {
    const signal = new SignalHistory();
    const { results } = await sut.processChunk([consumed(STATE_TOPIC, Buffer.from('not protobuf at all')), consumed(STATE_TOPIC, null), consumed(STATE_TOPIC, stateBytes(signal.contribute()))]);
    expect(results[0]).toBeInstanceOf(PermanentError);
    expect((results[0] as PermanentError).code).toBe('UNDECODABLE');
    expect((results[1] as PermanentError).code).toBe('UNDECODABLE');
    expect(results[2]).toBeUndefined();
    expect(told(emitted())).toEqual({ org_a: ['UPSERT:1'], org_b: ['UPSERT:1'], org_c: ['UPSERT:1'] });
  });

  it('re-evaluates a trust change for the affected organisations only: removal from the group → RETRACT NO_LONGER_VISIBLE', async () => {
    const amber = new SignalHistory();
    const green = new SignalHistory();
    await states(stateBytes(amber.contribute({ contributorOrgId: A.orgId, marking: 'AMBER', sharingGroupIds: [G] })), stateBytes(green.contribute({ contributorOrgId: A.orgId })));
    emitted();
    const { results, stats } = await sut.processChunk([groupRecord({ groupId: G, memberOrgIds: [A.orgId] })]);
    expect(results).toEqual([undefined]);
    expect(stats).toMatchObject({ trustChanges: 1, reevaluated: 2 });
    // B lost the AMBER signal; A (still a member, the contributor) and C (never a member) hear nothing; GREEN unchanged.
    const events = emitted();
    expect(told(events)).toEqual({ org_b: ['RETRACT:RETRACT_REASON_NO_LONGER_VISIBLE'] });
    expect(events[0]?.signalId).toBe(amber.signalId);
    // C joins: it gains the AMBER signal.
    await sut.processChunk([groupRecord({ groupId: G, memberOrgIds: [A.orgId, C.orgId] })]);
    expect(told(emitted())).toEqual({ org_c: ['UPSERT:1'] });
  });

  it('a suspension affects every view: the suspended org loses its views, others lose its contributions', async () => {
    const fromC = new SignalHistory();
    const fromAandC = new SignalHistory();
    await states(stateBytes(fromC.contribute({ contributorOrgId: C.orgId })));
    fromAandC.contribute({ contributorOrgId: A.orgId });
    await states(stateBytes(fromAandC.contribute({ contributorOrgId: C.orgId })));
    emitted();
    await sut.processChunk([orgRecord(org('org_c', 'SUSPENDED'))]);
    const events = emitted();
    expect(told(events, fromC.signalId)).toEqual({ org_a: ['RETRACT:RETRACT_REASON_NO_LONGER_VISIBLE'], org_b: ['RETRACT:RETRACT_REASON_NO_LONGER_VISIBLE'], org_c: ['RETRACT:RETRACT_REASON_NO_LONGER_VISIBLE'] });
    expect(told(events, fromAandC.signalId)).toEqual({ org_a: ['UPSERT:1'], org_b: ['UPSERT:1'], org_c: ['RETRACT:RETRACT_REASON_NO_LONGER_VISIBLE'] });
  });

  it('a reinstated organisation gets its views back; a new organisation gets every view it may see', async () => {
    const green = new SignalHistory();
    await states(stateBytes(green.contribute({ contributorOrgId: A.orgId })));
    emitted();
    await sut.processChunk([orgRecord(org('org_c', 'SUSPENDED'))]);
    expect(told(emitted())).toEqual({ org_c: ['RETRACT:RETRACT_REASON_NO_LONGER_VISIBLE'] });
    await sut.processChunk([orgRecord(C)]);
    expect(told(emitted())).toEqual({ org_c: ['UPSERT:1'] });
    await sut.processChunk([orgRecord(org('org_d'))]);
    expect(told(emitted())).toEqual({ org_d: ['UPSERT:1'] });
  });

  it('re-evaluates each stored state once per trust chunk, in pages, whatever the number of changes in it', async () => {
    const signals = [new SignalHistory(), new SignalHistory(), new SignalHistory()];
    await states(...signals.map((s) => stateBytes(s.contribute({ contributorOrgId: A.orgId, marking: 'AMBER', sharingGroupIds: [G] }))));
    emitted();
    const { stats } = await sut.processChunk([groupRecord({ groupId: G, memberOrgIds: [A.orgId] }), groupRecord({ groupId: G, memberOrgIds: [A.orgId, C.orgId] })]);
    expect(stats).toMatchObject({ trustChanges: 2, reevaluated: 3 });
    // Pages of 2: two produce calls.
    expect(sink.published).toHaveLength(2);
    const events = emitted();
    for (const s of signals) expect(told(events, s.signalId)).toEqual({ org_b: ['RETRACT:RETRACT_REASON_NO_LONGER_VISIBLE'], org_c: ['UPSERT:1'] });
  });

  it('ignores trust tombstones, undecodable and replayed trust records without dead-lettering them', async () => {
    const signal = new SignalHistory();
    await states(stateBytes(signal.contribute()));
    emitted();
    const replayed = groupRecord({ groupId: G, memberOrgIds: [A.orgId] });
    await sut.processChunk([replayed]);
    emitted();
    const { results, stats } = await sut.processChunk([consumed(TRUST_TOPIC, null), consumed(TRUST_TOPIC, Buffer.from([0xff, 0xff])), replayed]);
    expect(results).toEqual([undefined, undefined, undefined]);
    expect(stats).toMatchObject({ trustChanges: 0, reevaluated: 0, events: 0 });
    expect(emitted()).toEqual([]);
  });

  it('a crash between producing and saving: recover() re-emits the same events once, and the redelivered chunk is skipped', async () => {
    const signal = new SignalHistory();
    const v1 = stateBytes(signal.contribute());
    await states(v1);
    emitted();
    const v2 = stateBytes(signal.contribute({ contributorOrgId: B.orgId }));
    const v3 = stateBytes(signal.contribute({ contributorOrgId: C.orgId }));
    store.failSave = new Error('process killed');
    await expect(states(v2, v3)).rejects.toThrow('process killed');
    const beforeCrash = told(emitted());
    expect(beforeCrash).toEqual({ org_a: ['UPSERT:3'], org_b: ['UPSERT:3'], org_c: ['UPSERT:3'] });
    expect((await store.inFlight()).map((s) => s.version)).toEqual(['3']);

    // Restart: a new processor over the same store; the chunk is redelivered cut differently (v2 alone first).
    store.failSave = undefined;
    sut = processor();
    expect(await sut.recover()).toBe(1);
    expect(told(emitted())).toEqual(beforeCrash);
    expect(await store.inFlight()).toEqual([]);
    await states(v2);
    await states(v3);
    // No older view after a newer one.
    expect(emitted()).toEqual([]);
    expect(await sut.recover()).toBe(0);
  });

  it('recover() ignores in-flight states that were saved before the crash', async () => {
    const signal = new SignalHistory();
    const v1 = stateBytes(signal.contribute());
    await states(v1);
    emitted();
    await store.recordInFlight([{ signalId: signal.signalId, version: '1', state: v1 }]);
    expect(await processor().recover()).toBe(0);
    expect(emitted()).toEqual([]);
    expect(await store.inFlight()).toEqual([]);
  });

  it('a transient sink failure fails the chunk (so it is retried) without saving the new state', async () => {
    const signal = new SignalHistory();
    sink.fail = new Error('broker unavailable');
    await expect(states(stateBytes(signal.contribute()))).rejects.toThrow('broker unavailable');
    expect(await store.findMany([signal.signalId])).toEqual(new Map());
  });
});
