import { type Context, context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { trace } from '@opentelemetry/api';

import { type Carrier, extractTraceContext } from './telemetry';

/**
 * A SERVER span for one call. Under the gRPC/HTTP auto-instrumentation's server span when there is one (it already
 * continued the caller's traceparent); otherwise the caller's W3C context straight from the headers or metadata.
 */
export function startServerSpan(tracer: Tracer, name: string, carrier: Carrier): { span: Span; ctx: Context } {
  const active = context.active();
  const parent = trace.getSpan(active) ? active : extractTraceContext(carrier, ROOT_CONTEXT);
  const span = tracer.startSpan(name, { kind: SpanKind.SERVER }, parent);
  return { span, ctx: trace.setSpan(parent, span) };
}

/** Runs `fn` inside a server span; a thrown error marks the span failed by its code (mapping happens elsewhere). */
export async function inServerSpan<T>(tracer: Tracer, name: string, carrier: Carrier, fn: () => Promise<T>): Promise<T> {
  const { span, ctx } = startServerSpan(tracer, name, carrier);
  try {
    return await context.with(ctx, fn);
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as { code?: string }).code ?? 'error' });
    throw err;
  } finally {
    span.end();
  }
}
