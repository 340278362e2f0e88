// Jest's hooks are globals here: this helper is only ever imported by specs (the testing lib's rule).
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { startTelemetry, type Telemetry } from '@signal-mesh/util-otel';

/**
 * Starts telemetry for the enclosing `describe` with an in-memory exporter (no auto-instrumentation) and clears it
 * before each test; `finishedSpans()` flushes first, since the processor exports after a span ended.
 */
export function captureSpans(serviceName: string): { finishedSpans(): Promise<ReadableSpan[]> } {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor({ exporter });
  let telemetry: Telemetry | undefined;
  beforeAll(() => {
    telemetry = startTelemetry({ serviceName, spanProcessors: [processor], instrumentations: false });
  });
  afterAll(() => telemetry?.shutdown());
  beforeEach(async () => {
    await processor.forceFlush();
    exporter.reset();
  });
  return {
    async finishedSpans() {
      await processor.forceFlush();
      return exporter.getFinishedSpans();
    },
  };
}
