import { type Counter, type Histogram, type Link, type Meter, metrics, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type UpDownCounter } from '@opentelemetry/api';
import { type FeedEvent, FeedEventKind } from '@signal-mesh/contracts';
import type { RawRecord } from '@signal-mesh/transport-kafka';
import { extractTraceContext } from '@signal-mesh/util-otel';

export type DeliveredKind = 'UPSERT' | 'RETRACT';

/** The feed service's instruments (names agreed in issue 9; README "Metrics and traces"). */
export interface FeedMetrics {
  /** Open Subscribe streams (from the moment they follow their partition until they end). */
  readonly subscribers: UpDownCounter;
  /** Events written to subscribers, by kind (a filtered-out UPSERT is delivered as RETRACT). */
  readonly eventsDelivered: Counter<{ kind: DeliveredKind }>;
  /** ms from the fan-out's emittedAt to the transport taking the event. */
  readonly deliveryLatency: Histogram;
}

/**
 * Created with the gRPC service, not at import: the metrics API has no proxy, so instruments made before the service
 * registered its MeterProvider would stay no-ops.
 */
export function createFeedMetrics(meter: Meter = metrics.getMeter('@signal-mesh/feed')): FeedMetrics {
  return {
    subscribers: meter.createUpDownCounter('signal_mesh.feed.subscribers', { description: 'Open Subscribe streams on this instance', unit: '{stream}' }),
    eventsDelivered: meter.createCounter('signal_mesh.feed.events_delivered', { description: 'Feed events written to Subscribe streams, by kind', unit: '{event}' }),
    deliveryLatency: meter.createHistogram('signal_mesh.feed.delivery_latency', {
      description: 'Time from the fan-out emitting a feed event (emittedAt) to its write to a subscriber',
      unit: 'ms',
      advice: { explicitBucketBoundaries: [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 60_000] },
    }),
  };
}

const tracer = trace.getTracer('@signal-mesh/feed');

/**
 * Writes one event to one subscriber inside a `feed deliver` CONSUMER span: child of the trace in the feed record's
 * headers (the fan-out's span for that signal, itself under the submission's trace), linked to the stream's own span
 * when there is one. Counts and times the delivery once the transport took it.
 */
export async function deliver(m: FeedMetrics, record: RawRecord, event: FeedEvent, links: readonly Link[], write: () => Promise<void>, now: () => number = Date.now): Promise<void> {
  const kind: DeliveredKind = event.kind === FeedEventKind.FEED_EVENT_KIND_UPSERT ? 'UPSERT' : 'RETRACT';
  const span = tracer.startSpan(
    'feed deliver',
    {
      kind: SpanKind.CONSUMER,
      links: [...links],
      attributes: {
        'signal_mesh.signal_id': event.signalId,
        'signal_mesh.org_id': event.orgId,
        'signal_mesh.feed.event_kind': kind,
        'messaging.system': 'kafka',
        'messaging.destination.name': record.topic,
        'messaging.kafka.destination.partition': record.partition,
        'messaging.kafka.message.offset': record.offset,
      },
    },
    extractTraceContext(record.headers, ROOT_CONTEXT),
  );
  try {
    await write();
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'not delivered' });
    throw err;
  } finally {
    span.end();
  }
  m.eventsDelivered.add(1, { kind });
  if (event.emittedAt) m.deliveryLatency.record(Math.max(0, now() - event.emittedAt.getTime()));
}
