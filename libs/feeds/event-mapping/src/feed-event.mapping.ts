import { FeedEvent, FeedEventKind, RetractReason, type Signal, type SubscriptionFilter } from '@signal-mesh/contracts';
import { EMPTY_FILTER, type FeedFilter, matchesFilter, normalizeFilter } from '@signal-mesh/feeds-domain';
import type { RetractReason as DomainRetractReason, ViewChange } from '@signal-mesh/trust-domain';
import { trustSignalTypes, viewToProto } from '@signal-mesh/trust-event-mapping';

/** A feed record that cannot be decoded: poison for a consumer (dead-lettered), never guessed at. */
export class FeedEventMappingError extends Error {
  readonly code = 'UNDECODABLE_FEED_EVENT';
  constructor(message: string) {
    super(message);
    this.name = 'FeedEventMappingError';
  }
}

const RETRACT_REASONS: Readonly<Record<DomainRetractReason, RetractReason>> = {
  REVOKED: RetractReason.RETRACT_REASON_REVOKED,
  EXPIRED: RetractReason.RETRACT_REASON_EXPIRED,
  NO_LONGER_VISIBLE: RetractReason.RETRACT_REASON_NO_LONGER_VISIBLE,
};

/**
 * The feed event for one organisation's view change. `state` is the full canonical signal the change was computed
 * from: a view keeps each visible contribution's other fields (evidence note, refs) from it, never anything hidden.
 */
export function feedEventFromChange(change: ViewChange, state: Signal, emittedAt: Date): FeedEvent {
  // A literal, not FeedEvent.fromPartial: the fan-out builds one per organisation and state change, and fromPartial
  // deep-copies the view a second time.
  const base = { orgId: change.orgId, signalId: state.signalId, signalType: state.type, canonicalValue: state.canonicalValue, cursor: '', emittedAt };
  if (change.kind === 'UPSERT') {
    return { ...base, kind: FeedEventKind.FEED_EVENT_KIND_UPSERT, view: viewToProto(change.view, state), retractReason: RetractReason.RETRACT_REASON_UNSPECIFIED };
  }
  return { ...base, kind: FeedEventKind.FEED_EVENT_KIND_RETRACT, view: undefined, retractReason: RETRACT_REASONS[change.reason] };
}

export function encodeFeedEvent(event: FeedEvent): Uint8Array {
  return FeedEvent.encode(event).finish();
}

/** Decodes a feed record; anything that is not a well-formed event (kind, org, signal id, view for UPSERT) throws. */
export function decodeFeedEvent(bytes: Uint8Array | null): FeedEvent {
  if (bytes === null) throw new FeedEventMappingError('feed record has no value');
  let event: FeedEvent;
  try {
    event = FeedEvent.decode(bytes);
  } catch (err) {
    throw new FeedEventMappingError(`feed record is not a FeedEvent: ${(err as Error).message}`);
  }
  if (!event.orgId || !event.signalId) throw new FeedEventMappingError('feed event without org_id or signal_id');
  if (event.kind === FeedEventKind.FEED_EVENT_KIND_UPSERT && !event.view) throw new FeedEventMappingError('UPSERT without a view');
  if (event.kind !== FeedEventKind.FEED_EVENT_KIND_UPSERT && event.kind !== FeedEventKind.FEED_EVENT_KIND_RETRACT) throw new FeedEventMappingError('feed event of unknown kind');
  return event;
}

const KNOWN_TYPES = trustSignalTypes.values;

/** A request's or a stored filter in domain terms, validated and normalised (FeedDomainError INVALID_FILTER). */
export function filterFromProto(filter: SubscriptionFilter | undefined): FeedFilter {
  if (!filter) return EMPTY_FILTER;
  const types = filter.types.map((type) => trustSignalTypes.fromProto(type) ?? `unknown(${type})`);
  return normalizeFilter({ types, categories: filter.categories, minConfidence: filter.minConfidence }, KNOWN_TYPES);
}

export function filterToProto(filter: FeedFilter): SubscriptionFilter {
  return {
    types: filter.types.map((type) => trustSignalTypes.toProto(type as (typeof KNOWN_TYPES)[number])),
    categories: [...filter.categories],
    minConfidence: filter.minConfidence,
  };
}

/** Whether a view (a Signal message) passes the filter. */
export function viewMatches(filter: FeedFilter, view: Signal): boolean {
  const type = trustSignalTypes.fromProto(view.type);
  return type !== undefined && matchesFilter(filter, { type, categories: view.categories, confidence: view.aggregates?.confidence ?? 0 });
}

/**
 * The event as a filtered subscriber receives it: an UPSERT whose view does not match becomes RETRACT FILTERED_OUT,
 * so the subscriber drops a signal that stopped matching without the service remembering what it holds.
 */
export function applyFilter(event: FeedEvent, filter: FeedFilter): FeedEvent {
  if (event.kind !== FeedEventKind.FEED_EVENT_KIND_UPSERT || !event.view || viewMatches(filter, event.view)) return event;
  return { ...event, kind: FeedEventKind.FEED_EVENT_KIND_RETRACT, view: undefined, retractReason: RetractReason.RETRACT_REASON_FILTERED_OUT };
}
