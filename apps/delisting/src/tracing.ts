import { trace } from '@opentelemetry/api';
import { type Carrier, inServerSpan as sharedInServerSpan } from '@signal-mesh/util-otel';

const tracer = trace.getTracer('@signal-mesh/delisting');

/** A SERVER span for one call; the repository calls are its children. */
export function inServerSpan<T>(name: string, carrier: Carrier, fn: () => Promise<T>): Promise<T> {
  return sharedInServerSpan(tracer, name, carrier, fn);
}
