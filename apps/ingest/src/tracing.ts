import { type Context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type Carrier, inServerSpan as sharedInServerSpan, startServerSpan as sharedStartServerSpan } from '@signal-mesh/util-otel';

const tracer = trace.getTracer('@signal-mesh/ingest');

/** A SERVER span for one streaming call, ended by the caller. */
export function startServerSpan(name: string, carrier: Carrier): { span: Span; ctx: Context } {
  return sharedStartServerSpan(tracer, name, carrier);
}

/** A SERVER span for one call; the produce spans are its children, so a submission's trace runs on into dedup. */
export function inServerSpan<T>(name: string, carrier: Carrier, fn: () => Promise<T>): Promise<T> {
  return sharedInServerSpan(tracer, name, carrier, fn);
}

/** At most this many signal ids in one span attribute: a 10,000-item batch must not make a 10,000-value attribute. */
export const MAX_SPAN_SIGNAL_IDS = 20;

/**
 * An INTERNAL `ingest submit` span for one chunk of a submission, child of the call's server span and parent of its
 * produce span. It names the organisation and the signals (ids only: never the key, values or evidence notes).
 */
export async function inSubmitSpan<T>(orgId: string, items: number, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan('ingest submit', { kind: SpanKind.INTERNAL, attributes: { 'signal_mesh.org_id': orgId, 'signal_mesh.item_count': items } }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'error' });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Sets the signal ids a span is about: `signal_mesh.signal_id` when there is one, a bounded list and the count. */
export function setSignalIds(span: Span, signalIds: Iterable<string>): void {
  const distinct = [...new Set(signalIds)];
  span.setAttribute('signal_mesh.signal_count', distinct.length);
  if (distinct.length === 1) span.setAttribute('signal_mesh.signal_id', distinct[0] as string);
  if (distinct.length > 0) span.setAttribute('signal_mesh.signal_ids', distinct.slice(0, MAX_SPAN_SIGNAL_IDS));
}
