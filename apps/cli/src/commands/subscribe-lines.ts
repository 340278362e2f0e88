import { type FeedEvent, FeedEventKind, feedEventKindToJSON, RetractReason, retractReasonToJSON, Signal, type SnapshotEnd } from '@signal-mesh/contracts';

import { typeName } from './submit-request';

/**
 * One line of `subscribe` output. Every line has every key (null when it does not apply), so consumers can rely
 * on the shape: kind UPSERT / RETRACT (Subscribe), SNAPSHOT (a view from Snapshot), SNAPSHOT_END (with
 * signalCount, and the cursor Subscribe continues from).
 */
export interface FeedLine {
  kind: string;
  signalId: string | null;
  type: string | null;
  canonicalValue: string | null;
  /** The organisation's complete view, as the proto's JSON mapping (Signal.toJSON); UPSERT and SNAPSHOT only. */
  view: unknown;
  /** RETRACT only: REVOKED, EXPIRED, NO_LONGER_VISIBLE or FILTERED_OUT. */
  retractReason: string | null;
  cursor: string | null;
  emittedAt: string | null;
  signalCount?: number;
}

const orNull = (value: string): string | null => (value === '' ? null : value);

export function eventLine(event: FeedEvent): FeedLine {
  const retract = event.kind === FeedEventKind.FEED_EVENT_KIND_RETRACT;
  return {
    kind: feedEventKindToJSON(event.kind).replace(/^FEED_EVENT_KIND_/, ''),
    signalId: orNull(event.signalId),
    type: typeName(event.signalType),
    canonicalValue: orNull(event.canonicalValue),
    view: event.view === undefined ? null : Signal.toJSON(event.view),
    retractReason: retract ? retractReasonToJSON(event.retractReason ?? RetractReason.RETRACT_REASON_UNSPECIFIED).replace(/^RETRACT_REASON_/, '') : null,
    cursor: orNull(event.cursor),
    emittedAt: event.emittedAt?.toISOString() ?? null,
  };
}

export function snapshotLine(view: Signal): FeedLine {
  return {
    kind: 'SNAPSHOT',
    signalId: orNull(view.signalId),
    type: typeName(view.type),
    canonicalValue: orNull(view.canonicalValue),
    view: Signal.toJSON(view),
    retractReason: null,
    cursor: null,
    emittedAt: null,
  };
}

export function snapshotEndLine(end: SnapshotEnd): FeedLine {
  return { kind: 'SNAPSHOT_END', signalId: null, type: null, canonicalValue: null, view: null, retractReason: null, cursor: orNull(end.cursor), emittedAt: null, signalCount: Number(end.signalCount) };
}
