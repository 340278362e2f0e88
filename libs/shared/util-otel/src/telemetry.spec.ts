import { context, metrics, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';

import { activeTelemetry, type Carrier, extractTraceContext, injectTraceContext, mongoCommandShape, renderPrometheusMetrics, startTelemetry, type Telemetry } from './telemetry';

describe(startTelemetry.name, () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;

  beforeAll(() => {
    telemetry = startTelemetry({ serviceName: 'test-service', spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  });
  afterAll(() => telemetry.shutdown());

  it('records spans and carries their context across a header carrier', () => {
    const tracer = trace.getTracer('spec');
    const headers: Carrier = {};
    tracer.startActiveSpan('produce', (span) => {
      injectTraceContext(headers);
      span.end();
    });
    expect(String(headers['traceparent'])).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    // A consumer receives Buffers, as kafkajs delivers header values.
    const received: Carrier = { traceparent: Buffer.from(String(headers['traceparent'])) };
    const parent = extractTraceContext(received);
    context.with(parent, () => tracer.startSpan('consume').end());

    const [produce, consume] = exporter.getFinishedSpans();
    expect(consume?.spanContext().traceId).toBe(produce?.spanContext().traceId);
    expect(consume?.parentSpanContext?.spanId).toBe(produce?.spanContext().spanId);
  });

  it('renders instruments created through @opentelemetry/api in the Prometheus text format, with service.name', async () => {
    // What an app does: nothing but the API.
    const meter = metrics.getMeter('@signal-mesh/spec');
    meter.createCounter('signal_mesh.spec.contributions').add(2, { outcome: 'accepted', code: 'OK' });
    meter.createObservableGauge('signal_mesh.spec.lag').addCallback((result) => result.observe(7, { group: 'g', topic: 't', partition: 0 }));
    meter.createHistogram('signal_mesh.spec.latency', { unit: 'ms' }).record(12);

    expect(activeTelemetry()).toBe(telemetry);
    const text = (await renderPrometheusMetrics()) ?? '';
    expect(text).toMatch(/^signal_mesh_spec_contributions_total\{[^}]*outcome="accepted"[^}]*code="OK"[^}]*\} 2$/m);
    expect(text).toMatch(/^signal_mesh_spec_lag\{[^}]*group="g",topic="t",partition="0"[^}]*\} 7$/m);
    expect(text).toMatch(/^signal_mesh_spec_latency(_milliseconds)?_bucket\{[^}]*le="25"[^}]*\} 1$/m);
    expect(text).toMatch(/^target_info\{[^}]*service_name="test-service"/m);

    const collected = await telemetry.collectMetrics();
    const names = collected.scopeMetrics.flatMap((s) => s.metrics.map((m) => m.descriptor.name));
    expect(names).toEqual(expect.arrayContaining(['signal_mesh.spec.contributions', 'signal_mesh.spec.lag', 'signal_mesh.spec.latency']));
  });
});

describe('telemetry lifecycle', () => {
  it('can be started again after a shutdown, and renders nothing when none is active', async () => {
    const first = startTelemetry({ serviceName: 'one', instrumentations: false });
    await first.shutdown();
    expect(await renderPrometheusMetrics()).toBeUndefined();

    const second = startTelemetry({ serviceName: 'two', instrumentations: false });
    metrics.getMeter('spec').createCounter('signal_mesh.spec.again').add(1);
    expect(await second.renderMetrics()).toMatch(/^signal_mesh_spec_again_total\{[^}]*\} 1$/m);
    await second.shutdown();
  });
});

describe(mongoCommandShape.name, () => {
  it('keeps the shape of a command and none of its values, however large', () => {
    const command = {
      update: 'signals',
      updates: [{ q: { _id: 'sig_1', version: 3 }, u: { $set: { 'contributions.0.evidenceNote': 'private analyst note' } } }, { q: { _id: 'sig_2' } }],
      ordered: true,
      lsid: { id: Buffer.from('secret-bytes'), _bsontype: 'Binary' },
      big: Array.from({ length: 10_000 }, (_, i) => ({ [`k${i}`]: i })),
    };
    const text = mongoCommandShape(command);
    expect(text).toBe('{"update":"?","updates":[{"q":{"_id":"?","version":"?"},"u":{"$set":{"contributions.0.evidenceNote":"?"}}}],"ordered":"?","lsid":"?","big":[{"k0":"?"}]}');
    expect(text).not.toMatch(/private|sig_1|secret/);
  });
});
