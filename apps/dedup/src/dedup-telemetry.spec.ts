import { SpanKind, trace } from '@opentelemetry/api';
import type { Submission } from '@signal-mesh/signals-domain';
import { testLogger } from '@signal-mesh/testing';
import { captureSpans, testMeter } from '@signal-mesh/testing';

import { DedupProcessor } from './dedup-processor';
import { createDedupMetrics } from './telemetry';
import { consumed, InMemorySignalStore, RecordingStateSink } from './testing/fakes.fixtures';
import { contributionSubmission, revocationSubmission } from './testing/submissions.fixtures';

const NOW = new Date('2026-03-01T00:00:00Z');
const traceparent = (traceDigit: number, spanDigit: number) => `00-${String(traceDigit).repeat(32)}-${String(spanDigit).repeat(16)}-01`;

describe('dedup metrics and spans', () => {
  const { finishedSpans } = captureSpans('dedup-spec');

  function setup() {
    const meter = testMeter();
    const sink = new RecordingStateSink();
    const sut = new DedupProcessor<Submission>({ store: new InMemorySignalStore(), sink, toSubmission: (s) => s, clock: () => NOW, logger: testLogger(), metrics: createDedupMetrics(meter.meter) });
    // As the consumer runs it: inside the chunk's CONSUMER span.
    const chunk = (records: Parameters<typeof sut.processChunk>[0]) => trace.getTracer('spec').startActiveSpan('chunk', { kind: SpanKind.CONSUMER, root: true }, (span) => sut.processChunk(records).finally(() => span.end()));
    return { sut, sink, meter, chunk };
  }

  it('publishes each state under a `dedup merge` span, child of the last contributor’s trace and linked to the chunk', async () => {
    const { sink, chunk } = setup();
    const subs = ['org_a', 'org_b'].map((org, i) => contributionSubmission({ value: 'https://nudify.example.test/t', org, key: `k-${i}` }));
    await chunk(subs.map((s, i) => consumed(s, { traceparent: traceparent(i + 1, 9) })));

    const spans = await finishedSpans();
    const chunkSpan = spans.find((s) => s.name === 'chunk');
    const merge = spans.find((s) => s.name === 'dedup merge');
    expect(merge?.spanContext().traceId).toBe('2'.repeat(32));
    expect(merge?.parentSpanContext?.spanId).toBe('9'.repeat(16));
    expect(merge?.links.map((l) => l.context.spanId)).toEqual([chunkSpan?.spanContext().spanId]);
    expect(merge?.attributes).toMatchObject({ 'signal_mesh.signal_id': subs[0]?.signalId, 'signal_mesh.state.version': 2, 'signal_mesh.dedup.changed': true });
    expect(chunkSpan?.attributes).toMatchObject({ 'signal_mesh.signal_count': 1, 'signal_mesh.signal_ids': [subs[0]?.signalId], 'signal_mesh.dedup.created': 1, 'signal_mesh.dedup.updated': 1 });
    // The state record continues the merge span: that is what the fan-out's span will be a child of.
    const published = sink.published[0]?.[0]?.traceContext;
    expect(published && trace.getSpanContext(published)?.spanId).toBe(merge?.spanContext().spanId);
  });

  it('bounds the signal ids on the chunk span', async () => {
    const { chunk } = setup();
    await chunk(Array.from({ length: 30 }, (_, i) => consumed(contributionSubmission({ value: `https://s${i}.example.test/`, org: 'org_a' }))));
    const chunkSpan = (await finishedSpans()).find((s) => s.name === 'chunk');
    expect(chunkSpan?.attributes['signal_mesh.signal_count']).toBe(30);
    expect(chunkSpan?.attributes['signal_mesh.signal_ids']).toHaveLength(20);
  });

  it('counts merges by result once the chunk is durable, replays as unchanged and refusals as rejected', async () => {
    const { sut, sink, meter } = setup();
    const first = contributionSubmission({ value: 'https://nudify.example.test/m', org: 'org_a', key: 'k-1' });
    const second = contributionSubmission({ value: 'https://nudify.example.test/m', org: 'org_b', key: 'k-2' });
    await sut.processChunk([consumed(first), consumed(second)]);
    await sut.processChunk([consumed(first), consumed(revocationSubmission(first, { org: 'org_z' }))]);
    sink.fail = new Error('kafka down');
    await expect(sut.processChunk([consumed(contributionSubmission({ value: 'https://other.example.test/', org: 'org_a' }))])).rejects.toThrow('kafka down');

    const merges = (result: string) => meter.total('signal_mesh.dedup.merges', { result });
    expect([await merges('created'), await merges('updated'), await merges('unchanged'), await merges('rejected')]).toEqual([1, 1, 1, 1]);
  });
});
