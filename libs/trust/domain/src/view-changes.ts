import type { TrustContext } from './context';
import type { Organisation, Purpose, SignalState } from './model';
import { type SignalView, viewOf, viewsDiffer } from './view';
import { isLive } from './visibility';

/** Why a signal left a view, derived only from the contributions that organisation could see. */
export type RetractReason = 'REVOKED' | 'EXPIRED' | 'NO_LONGER_VISIBLE';

export type ViewChange =
  | { readonly orgId: string; readonly kind: 'UPSERT'; readonly view: SignalView }
  | { readonly orgId: string; readonly kind: 'RETRACT'; readonly reason: RetractReason };

/** One side of a comparison: a signal state (absent before a signal's first state) under a trust context. */
export interface ViewSide {
  readonly state: SignalState | undefined;
  readonly ctx: TrustContext;
}

/**
 * What each organisation must be told when a signal's state or the trust context changes: an UPSERT with the complete
 * new view when its view changed, a RETRACT when it lost the view, nothing otherwise. The fan-out calls this with the
 * previous and the new state under one context (a state change), or one state under the previous and the new context
 * (a trust change). Orgs are visited in the order given, so equal inputs give equal event sequences.
 */
export function viewChanges(orgs: Iterable<Organisation>, before: ViewSide, after: ViewSide, purpose: Purpose = 'view'): ViewChange[] {
  const changes: ViewChange[] = [];
  for (const org of orgs) {
    const previous = before.state ? viewOf(org, before.state, before.ctx, purpose) : undefined;
    const next = after.state ? viewOf(org, after.state, after.ctx, purpose) : undefined;
    if (!viewsDiffer(previous, next)) continue;
    if (next) changes.push({ orgId: org.orgId, kind: 'UPSERT', view: next });
    else if (previous) changes.push({ orgId: org.orgId, kind: 'RETRACT', reason: retractReason(previous, after) });
  }
  return changes;
}

/**
 * REVOKED when every contribution the organisation could see is now revoked, EXPIRED when they are all revoked or
 * expired and at least one expired, otherwise NO_LONGER_VISIBLE (marking, membership, entitlement or status). Hidden
 * contributions never influence the reason.
 */
function retractReason(previous: SignalView, after: ViewSide): RetractReason {
  const now = after.state?.contributions ?? [];
  const current = previous.contributions.map((seen) => now.find((c) => c.contributionId === seen.contributionId));
  if (current.every((c) => c?.revokedAt !== undefined)) return 'REVOKED';
  if (current.every((c) => c !== undefined && (c.revokedAt !== undefined || !isLive(c, after.ctx.now)))) return 'EXPIRED';
  return 'NO_LONGER_VISIBLE';
}
