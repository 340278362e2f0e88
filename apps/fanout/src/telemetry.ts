import { type Attributes, type Counter, type Histogram, type Meter, metrics, trace } from '@opentelemetry/api';
import type { Organisation, SignalState, TrustContext, ViewChange } from '@signal-mesh/trust-domain';
import { viewOf } from '@signal-mesh/trust-domain';

/** The fan-out's instruments (names agreed in issue 9; README "Metrics and traces"). */
export interface FanoutMetrics {
  /** Per feed event made durable: kind=UPSERT|RETRACT, reason=REVOKED|EXPIRED|NO_LONGER_VISIBLE|none. */
  readonly events: Counter<{ kind: ViewChange['kind']; reason: string }>;
  /** Per RETRACT REVOKED: ms from the latest revocation the organisation saw to the retract being durable. */
  readonly revokeToRetract: Histogram;
}

/**
 * Created with the processor, not at import: the metrics API has no proxy, so instruments made before the service
 * registered its MeterProvider would stay no-ops.
 */
export function createFanoutMetrics(meter: Meter = metrics.getMeter('@signal-mesh/fanout')): FanoutMetrics {
  return {
    events: meter.createCounter('signal_mesh.fanout.events', { description: 'Feed events produced by the fan-out (durable), by kind and retract reason', unit: '{event}' }),
    revokeToRetract: meter.createHistogram('signal_mesh.fanout.revoke_to_retract', {
      description: 'For each RETRACT with reason REVOKED: time the event was durable on the feed topic minus the latest revokedAt among the contributions that organisation saw',
      unit: 'ms',
      advice: { explicitBucketBoundaries: [50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000] },
    }),
  };
}

/** Counts of view changes by the metric's attributes, to add once the events are durable. */
export class EventCounts {
  private readonly counts = new Map<string, { kind: ViewChange['kind']; reason: string; n: number }>();

  add(change: ViewChange): void {
    const reason = change.kind === 'RETRACT' ? change.reason : 'none';
    const key = `${change.kind}/${reason}`;
    const entry = this.counts.get(key);
    if (entry) entry.n += 1;
    else this.counts.set(key, { kind: change.kind, reason, n: 1 });
  }

  record(m: FanoutMetrics): void {
    for (const { kind, reason, n } of this.counts.values()) m.events.add(n, { kind, reason });
    this.counts.clear();
  }
}

/**
 * The latest revokedAt (ms) among the contributions `org` saw in the previous state (its view then), as they stand in
 * the new state. A REVOKED retract means every one of them is revoked now; without a previous view (cannot happen for
 * a retract, but kept total) it falls back to the latest revocation in the new state.
 */
export function latestRevocationSeen(org: Organisation | undefined, previous: SignalState | undefined, then: TrustContext, next: SignalState): number | undefined {
  const seenView = org && previous ? viewOf(org, previous, then) : undefined;
  const seen = seenView ? new Set(seenView.contributions.map((c) => c.contributionId)) : undefined;
  let latest: number | undefined;
  for (const c of next.contributions) {
    if (c.revokedAt === undefined || (seen && !seen.has(c.contributionId))) continue;
    latest = Math.max(latest ?? Number.NEGATIVE_INFINITY, c.revokedAt.getTime());
  }
  return latest;
}

export const tracer = trace.getTracer('@signal-mesh/fanout');

/** At most this many ids in one span attribute: a 500-record chunk must not make a 500-value attribute. */
export const MAX_SPAN_SIGNAL_IDS = 20;

/** The count and a bounded list of the signal ids a span is about (ids only, never values). */
export function signalIdAttributes(signalIds: Iterable<string>): Attributes {
  const distinct = [...new Set(signalIds)];
  return { 'signal_mesh.signal_count': distinct.length, 'signal_mesh.signal_ids': distinct.slice(0, MAX_SPAN_SIGNAL_IDS) };
}
