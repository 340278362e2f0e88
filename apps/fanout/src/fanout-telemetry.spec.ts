import { SpanKind, trace } from '@opentelemetry/api';
import { t0 } from '@signal-mesh/signals-testing';
import { testLogger } from '@signal-mesh/testing';
import { captureSpans, testMeter } from '@signal-mesh/testing';
import type { ConsumedRecord } from '@signal-mesh/transport-kafka';
import { type Organisation, TrustSnapshot } from '@signal-mesh/trust-domain';

import { FanoutProcessor, type RawValue } from './fanout-processor';
import { createFanoutMetrics } from './telemetry';
import { consumed, groupRecord, InMemoryFanoutStore, orgRecord, RecordingFeedSink, STATE_TOPIC, TRUST_TOPIC } from './testing/fakes.fixtures';
import { SignalHistory, stateBytes } from './testing/states.fixtures';

const org = (orgId: string): Organisation => ({ orgId, kind: 'NGO', tier: 3, status: 'ACTIVE' });
const [A, B, C] = [org('org_a'), org('org_b'), org('org_c')];
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';
const minutes = (n: number) => new Date(t0.getTime() + n * 60_000);

describe('fan-out metrics and spans', () => {
  const { finishedSpans } = captureSpans('fanout-spec');

  async function setup() {
    const meter = testMeter();
    const sink = new RecordingFeedSink();
    const clock = { now: minutes(60) };
    const sut = new FanoutProcessor({
      snapshot: new TrustSnapshot(),
      store: new InMemoryFanoutStore(),
      sink,
      topics: { state: STATE_TOPIC, trust: TRUST_TOPIC },
      clock: () => clock.now,
      logger: testLogger(),
      reevaluateBatch: 10,
      metrics: createFanoutMetrics(meter.meter),
    });
    await sut.processChunk([orgRecord(A), orgRecord(B), orgRecord(C)]);
    // As the consumer runs it: inside the chunk's CONSUMER span.
    const chunk = (records: ConsumedRecord<RawValue>[]) => trace.getTracer('spec').startActiveSpan('chunk', { kind: SpanKind.CONSUMER, root: true }, (span) => sut.processChunk(records).finally(() => span.end()));
    const states = (...bytes: Buffer[]) => chunk(bytes.map((b) => consumed(STATE_TOPIC, b, { traceparent: `00-${TRACE}-${PARENT}-01` })));
    return { sut, sink, meter, clock, chunk, states };
  }

  it('evaluates each state under a `fanout evaluate` span, child of the state record’s trace, and its feed records continue it', async () => {
    const { sink, states } = await setup();
    const signal = new SignalHistory();
    await states(stateBytes(signal.contribute({ contributorOrgId: A.orgId, marking: 'GREEN' })));

    const spans = await finishedSpans();
    const chunkSpan = spans.find((s) => s.name === 'chunk');
    const evaluate = spans.find((s) => s.name === 'fanout evaluate');
    expect(evaluate?.spanContext().traceId).toBe(TRACE);
    expect(evaluate?.parentSpanContext?.spanId).toBe(PARENT);
    expect(evaluate?.links.map((l) => l.context.spanId)).toEqual([chunkSpan?.spanContext().spanId]);
    expect(evaluate?.attributes).toMatchObject({ 'signal_mesh.signal_id': signal.signalId, 'signal_mesh.state.version': '1', 'signal_mesh.fanout.events': 3 });
    expect(chunkSpan?.attributes).toMatchObject({ 'signal_mesh.signal_count': 1, 'signal_mesh.signal_ids': [signal.signalId], 'signal_mesh.fanout.events': 3 });
    const records = sink.published.flat();
    expect(records).toHaveLength(3);
    for (const r of records) expect(r.traceContext && trace.getSpanContext(r.traceContext)?.spanId).toBe(evaluate?.spanContext().spanId);
  });

  it('counts events by kind and reason, and times each REVOKED retract from the latest revocation that organisation saw', async () => {
    const { meter, clock, states } = await setup();
    const signal = new SignalHistory();
    const green = signal.contribute({ contributorOrgId: A.orgId, marking: 'GREEN' });
    const red = signal.contribute({ contributorOrgId: B.orgId, marking: 'RED', namedOrgIds: [B.orgId] });
    await states(stateBytes(green), stateBytes(red));
    expect(await meter.total('signal_mesh.fanout.events', { kind: 'UPSERT', reason: 'none' })).toBe(3);

    // GREEN revoked at minute 10: A and C saw only it (RETRACT REVOKED), B still sees its RED one (UPSERT).
    clock.now = minutes(11);
    await states(stateBytes(signal.revoke(green.contributions[0]?.contributionId ?? '', minutes(10)), minutes(10)));
    // RED revoked at minute 20: B retracts; the latest revocation B saw is the RED one.
    clock.now = minutes(25);
    await states(stateBytes(signal.revoke(red.contributions[1]?.contributionId ?? '', minutes(20)), minutes(20)));

    expect(await meter.total('signal_mesh.fanout.events', { kind: 'UPSERT', reason: 'none' })).toBe(4);
    expect(await meter.total('signal_mesh.fanout.events', { kind: 'RETRACT', reason: 'REVOKED' })).toBe(3);
    const [histogram] = await meter.points('signal_mesh.fanout.revoke_to_retract');
    // A and C: 11 − 10 min; B: 25 − 20 min.
    expect(histogram?.value).toMatchObject({ count: 3, sum: 2 * 60_000 + 5 * 60_000, min: 60_000, max: 5 * 60_000 });
  });

  it('counts a trust re-evaluation’s events and runs it under one `fanout reevaluate` span of the trust change’s trace', async () => {
    const { sink, meter, chunk, states } = await setup();
    await chunk([groupRecord({ groupId: 'grp_g', memberOrgIds: [A.orgId, B.orgId] })]);
    const signal = new SignalHistory();
    await states(stateBytes(signal.contribute({ contributorOrgId: A.orgId, marking: 'AMBER', sharingGroupIds: ['grp_g'] })));
    sink.clear();
    await chunk([{ ...groupRecord({ groupId: 'grp_g', memberOrgIds: [A.orgId] }), headers: { traceparent: `00-${'7'.repeat(32)}-${'8'.repeat(16)}-01` } }]);

    expect(await meter.total('signal_mesh.fanout.events', { kind: 'RETRACT', reason: 'NO_LONGER_VISIBLE' })).toBe(1);
    // The last one: the group's creation was re-evaluated too (over no stored signal).
    const reevaluate = (await finishedSpans()).filter((s) => s.name === 'fanout reevaluate').at(-1);
    expect(reevaluate?.parentSpanContext?.spanId).toBe('8'.repeat(16));
    expect(reevaluate?.attributes).toMatchObject({ 'signal_mesh.fanout.reevaluated': 1, 'signal_mesh.fanout.events': 1 });
    const [record] = sink.published.flat();
    expect(record?.traceContext && trace.getSpanContext(record.traceContext)?.spanId).toBe(reevaluate?.spanContext().spanId);
  });
});
