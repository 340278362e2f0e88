import { type Counter, type Meter, metrics } from '@opentelemetry/api';

import type { ItemOutcome } from './submit-contributions.usecase';

/** The ingest service's instruments (names agreed in issue 9; README "Metrics"). */
export interface IngestMetrics {
  /** Per item: outcome=accepted|rejected, code = the rejection code or 'OK'. */
  readonly contributions: Counter<{ outcome: 'accepted' | 'rejected'; code: string }>;
}

/**
 * Created when the use case is built, not at import: the metrics API has no proxy, so instruments made before the
 * service registered its MeterProvider would stay no-ops for good.
 */
export function createIngestMetrics(meter: Meter = metrics.getMeter('@signal-mesh/ingest')): IngestMetrics {
  return {
    contributions: meter.createCounter('signal_mesh.ingest.contributions', {
      description: 'Contributions answered by ingest, per item (batches and streams included), by outcome and code',
      unit: '{contribution}',
    }),
  };
}

/** One add per (outcome, code): codes are the fixed ingest, validation and trust codes, so cardinality stays low. */
export function countOutcomes(m: IngestMetrics, outcomes: readonly ItemOutcome[]): void {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) {
    const code = outcome.rejected ? outcome.rejected.code : 'OK';
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  for (const [code, n] of counts) m.contributions.add(n, { outcome: code === 'OK' ? 'accepted' : 'rejected', code });
}
