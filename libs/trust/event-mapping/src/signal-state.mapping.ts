import type { SignalRecord, StoredContribution } from '@signal-mesh/signals-domain';
import type { Contribution, SignalState } from '@signal-mesh/trust-domain';

function contributionFromStored(stored: StoredContribution): Contribution {
  return {
    contributionId: stored.contributionId,
    contributorOrgId: stored.contributorOrgId,
    marking: stored.marking,
    sharingGroupIds: [...stored.sharingGroupIds],
    namedOrgIds: [...stored.namedOrgIds],
    confidence: stored.confidence,
    opinion: stored.opinion,
    categories: [...stored.categories],
    ...(stored.validUntil && { validUntil: stored.validUntil }),
    ...(stored.revokedAt && { revokedAt: stored.revokedAt }),
    createdAt: stored.createdAt,
  };
}

/**
 * The dedup state (every contribution, revoked ones included) as the trust domain's SignalState, the input of
 * `viewOf`. Evidence notes, refs and reasons are not needed for visibility and are left out; the fan-out takes them
 * from the record for the contributions a view keeps.
 */
export function signalStateFromRecord(record: SignalRecord): SignalState {
  return {
    signalId: record.signalId,
    type: record.type,
    canonical: record.canonical,
    categories: [...record.categories],
    contributions: record.contributions.map(contributionFromStored),
  };
}
