import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';

import { type Carrier, extractTraceContext, injectTraceContext, startTelemetry, type Telemetry } from './telemetry';

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
});
