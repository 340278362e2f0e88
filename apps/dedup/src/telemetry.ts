import { type Attributes, type Counter, type Meter, metrics, trace } from '@opentelemetry/api';

/** The dedup service's instruments (names agreed in issue 9; README "Metrics and traces"). */
export interface DedupMetrics {
  /** Per submission: result=created|updated|unchanged|rejected. */
  readonly merges: Counter<{ result: MergeResult }>;
}

export type MergeResult = 'created' | 'updated' | 'unchanged' | 'rejected';

/**
 * Created with the processor, not at import: the metrics API has no proxy, so instruments made before the service
 * registered its MeterProvider would stay no-ops.
 */
export function createDedupMetrics(meter: Meter = metrics.getMeter('@signal-mesh/dedup')): DedupMetrics {
  return {
    merges: meter.createCounter('signal_mesh.dedup.merges', {
      description: 'Submissions merged by dedup, by result (rejected: dead-lettered as invalid or refused by the merge rules)',
      unit: '{submission}',
    }),
  };
}

export const tracer = trace.getTracer('@signal-mesh/dedup');

/** At most this many ids in one span attribute: a 500-record chunk must not make a 500-value attribute. */
export const MAX_SPAN_SIGNAL_IDS = 20;

/** The count and a bounded list of the signal ids a span is about (ids only: never values or evidence notes). */
export function signalIdAttributes(signalIds: Iterable<string>): Attributes {
  const distinct = [...new Set(signalIds)];
  return { 'signal_mesh.signal_count': distinct.length, 'signal_mesh.signal_ids': distinct.slice(0, MAX_SPAN_SIGNAL_IDS) };
}
