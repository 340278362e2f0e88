import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { type FeedEvent, FeedEventKind, RetractReason, SignalType } from '@signal-mesh/contracts';
import { captureSpans, testMeter } from '@signal-mesh/testing';
import type { RawRecord } from '@signal-mesh/transport-kafka';

import { createFeedMetrics, deliver } from './telemetry';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';
const EMITTED = new Date('2030-01-01T00:00:00.000Z');

const record: RawRecord = { topic: 'feeds.v1', partition: 3, offset: '41', key: 'org_a', value: Buffer.alloc(0), headers: { traceparent: `00-${TRACE}-${PARENT}-01` }, timestamp: '0' };
const event = (kind: FeedEventKind): FeedEvent => ({
  kind,
  orgId: 'org_a',
  signalId: 'url_0123456789abcdef0123456789abcdef',
  signalType: SignalType.SIGNAL_TYPE_URL,
  canonicalValue: 'nudify.example.test',
  view: undefined,
  retractReason: RetractReason.RETRACT_REASON_UNSPECIFIED,
  cursor: 'c',
  emittedAt: EMITTED,
});

describe(deliver.name, () => {
  const { finishedSpans } = captureSpans('feed-spec');

  it('writes inside a `feed deliver` span continuing the record’s trace, then counts and times the delivery', async () => {
    const m = testMeter();
    const stream = { traceId: 'f'.repeat(32), spanId: 'e'.repeat(16), traceFlags: 1 };
    const writes: string[] = [];
    await deliver(createFeedMetrics(m.meter), record, event(FeedEventKind.FEED_EVENT_KIND_UPSERT), [{ context: stream }], async () => void writes.push('w'), () => EMITTED.getTime() + 250);

    expect(writes).toEqual(['w']);
    const [span] = await finishedSpans();
    expect(span?.name).toBe('feed deliver');
    expect(span?.kind).toBe(SpanKind.CONSUMER);
    expect(span?.spanContext().traceId).toBe(TRACE);
    expect(span?.parentSpanContext?.spanId).toBe(PARENT);
    expect(span?.links.map((l) => l.context.spanId)).toEqual(['e'.repeat(16)]);
    expect(span?.attributes).toEqual({
      'signal_mesh.signal_id': 'url_0123456789abcdef0123456789abcdef',
      'signal_mesh.org_id': 'org_a',
      'signal_mesh.feed.event_kind': 'UPSERT',
      'messaging.system': 'kafka',
      'messaging.destination.name': 'feeds.v1',
      'messaging.kafka.destination.partition': 3,
      'messaging.kafka.message.offset': '41',
    });
    expect(await m.total('signal_mesh.feed.events_delivered', { kind: 'UPSERT' })).toBe(1);
    const [latency] = await m.points('signal_mesh.feed.delivery_latency');
    expect(latency?.value).toMatchObject({ count: 1, sum: 250 });
  });

  it('counts nothing and marks the span failed when the write fails', async () => {
    const m = testMeter();
    await expect(deliver(createFeedMetrics(m.meter), record, event(FeedEventKind.FEED_EVENT_KIND_RETRACT), [], async () => Promise.reject(new Error('cancelled')))).rejects.toThrow('cancelled');
    const [span] = await finishedSpans();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(await m.total('signal_mesh.feed.events_delivered')).toBe(0);
  });
});
