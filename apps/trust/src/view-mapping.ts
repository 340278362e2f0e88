import type { Contribution as ProtoContribution, Signal } from '@signal-mesh/contracts';
import type { Contribution, SignalState } from '@signal-mesh/trust-domain';
import { trustOpinions } from '@signal-mesh/trust-event-mapping';

import { TrustServiceError } from './errors';
import { markingFromProto, signalTypeFromProto } from './mapping';

/** Bound on contributions in one GetView request: each distinct contributor is a lookup. */
export const MAX_CONTRIBUTIONS = 1000;

function contributionFromProto(c: ProtoContribution, i: number): Contribution {
  const field = `signal.contributions[${i}]`;
  const marking = markingFromProto(c.marking);
  if (!marking) throw new TrustServiceError('INVALID_ARGUMENT', 'marking must be a known TLP marking', `${field}.marking`);
  const opinion = trustOpinions.fromProto(c.opinion);
  if (!opinion) throw new TrustServiceError('INVALID_ARGUMENT', 'opinion must be POSITIVE or NEGATIVE', `${field}.opinion`);
  if (!c.createdAt) throw new TrustServiceError('INVALID_ARGUMENT', 'created_at is required', `${field}.created_at`);
  if (!c.contributionId || !c.contributorOrgId) throw new TrustServiceError('INVALID_ARGUMENT', 'contribution_id and contributor_org_id are required', field);
  return {
    contributionId: c.contributionId,
    contributorOrgId: c.contributorOrgId,
    marking,
    sharingGroupIds: c.sharingGroupIds,
    namedOrgIds: c.namedOrgIds,
    confidence: c.confidence,
    opinion,
    categories: c.categories,
    validUntil: c.validUntil,
    revokedAt: c.revokedAt,
    createdAt: c.createdAt,
  };
}

/** A full canonical state from the request; anything unknown is refused rather than guessed. */
export function signalStateFromProto(signal: Signal | undefined): SignalState {
  if (!signal) throw new TrustServiceError('INVALID_ARGUMENT', 'signal is required', 'signal');
  const type = signalTypeFromProto(signal.type);
  if (!type) throw new TrustServiceError('INVALID_ARGUMENT', 'type must be a known signal type', 'signal.type');
  if (!signal.signalId) throw new TrustServiceError('INVALID_ARGUMENT', 'signal_id is required', 'signal.signal_id');
  if (signal.contributions.length > MAX_CONTRIBUTIONS) throw new TrustServiceError('INVALID_ARGUMENT', `at most ${MAX_CONTRIBUTIONS} contributions`, 'signal.contributions');
  const ids = new Set(signal.contributions.map((c) => c.contributionId));
  if (ids.size !== signal.contributions.length) throw new TrustServiceError('INVALID_ARGUMENT', 'contribution ids must be unique', 'signal.contributions');
  return { signalId: signal.signalId, type, canonical: signal.canonicalValue, contributions: signal.contributions.map(contributionFromProto) };
}

