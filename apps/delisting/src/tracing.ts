import { type Context, context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type Carrier, extractTraceContext } from '@signal-mesh/util-otel';

const tracer = trace.getTracer('@signal-mesh/delisting');

/**
 * A SERVER span for one call, continuing the caller's W3C trace when it sent one (`traceparent` header or metadata).
 * The repository calls are its children.
 */
export function startServerSpan(name: string, carrier: Carrier): { span: Span; ctx: Context } {
  const parent = extractTraceContext(carrier, ROOT_CONTEXT);
  const span = tracer.startSpan(name, { kind: SpanKind.SERVER }, parent);
  return { span, ctx: trace.setSpan(parent, span) };
}

/** Runs `fn` inside a server span; a thrown error marks the span failed (the error itself is mapped elsewhere). */
export async function inServerSpan<T>(name: string, carrier: Carrier, fn: () => Promise<T>): Promise<T> {
  const { span, ctx } = startServerSpan(name, carrier);
  try {
    return await context.with(ctx, fn);
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as { code?: string }).code ?? 'error' });
    throw err;
  } finally {
    span.end();
  }
}
