import { type Contribution as ProtoContribution, type Signal, SignalStatus } from '@signal-mesh/contracts';
import type { SignalView } from '@signal-mesh/trust-domain';

/**
 * The view as a Signal. Every derived field comes from the view; each visible contribution keeps its other proto
 * fields (evidence note, refs, dispute reason) but with the audience lists the view redacted. Nothing of a hidden
 * contribution, and not the state's own categories, status or aggregates, is copied.
 */
export function viewToProto(view: SignalView, state: Signal): Signal {
  const originals = new Map(state.contributions.map((c) => [c.contributionId, c]));
  return {
    signalId: view.signalId,
    type: state.type,
    canonicalValue: view.canonical,
    categories: [...view.categories],
    status: view.status === 'DISPUTED' ? SignalStatus.SIGNAL_STATUS_DISPUTED : SignalStatus.SIGNAL_STATUS_ACTIVE,
    details: state.details,
    aggregates: { ...view.aggregates },
    firstSeenAt: view.firstSeenAt,
    updatedAt: view.updatedAt,
    contributions: view.contributions.map((c) => {
      const original = originals.get(c.contributionId) as ProtoContribution;
      return { ...original, sharingGroupIds: [...c.sharingGroupIds], namedOrgIds: [...c.namedOrgIds] };
    }),
  };
}
