import { canonicalizeSignal, contributionIdFor, type ContributionSubmission, detailsOf, type RevocationSubmission, type StoredContribution } from '@signal-mesh/signals-domain';

/** Synthetic submissions for specs: example.com / *.test values only. */
export interface ContributionFixture {
  /** The raw value as the organisation spelled it. */
  value?: string;
  type?: 'url' | 'model-hash' | 'prompt-pattern';
  org?: string;
  /** Idempotency key; the contribution id is derived from it and the org, as ingest does. */
  key?: string;
  marking?: StoredContribution['marking'];
  opinion?: StoredContribution['opinion'];
  confidence?: number;
  validUntil?: Date;
  createdAt?: Date;
  disputeReason?: string;
}

export function contributionSubmission(f: ContributionFixture = {}): ContributionSubmission {
  const org = f.org ?? 'org_a';
  const signal = canonicalizeSignal({ type: f.type ?? 'url', value: f.value ?? 'https://nudify.example.com/app' });
  const opinion = f.opinion ?? 'POSITIVE';
  const contribution: StoredContribution = {
    contributionId: contributionIdFor(org, f.key ?? `k-${signal.signalId}`),
    contributorOrgId: org,
    marking: f.marking ?? 'GREEN',
    sharingGroupIds: [],
    namedOrgIds: f.marking === 'RED' || f.marking === 'AMBER_STRICT' ? ['org_named'] : [],
    confidence: f.confidence ?? 70,
    opinion,
    categories: [signal.type === 'url' ? 'service.nudify' : signal.type === 'model-hash' ? 'model.2c' : 'prompt.aig-csam'],
    externalRefs: [],
    createdAt: f.createdAt ?? new Date('2026-01-01T00:00:00Z'),
    ...(f.validUntil ? { validUntil: f.validUntil } : {}),
    ...(opinion === 'NEGATIVE' ? { disputeReason: f.disputeReason ?? 'not a nudify service' } : {}),
  };
  return { kind: 'contribution', submitterOrgId: org, signalId: signal.signalId, type: signal.type, canonical: signal.canonical, details: detailsOf(signal), contribution };
}

export function revocationSubmission(of: ContributionSubmission, f: { org?: string; revokedAt?: Date; reason?: string } = {}): RevocationSubmission {
  return {
    kind: 'revocation',
    submitterOrgId: f.org ?? of.submitterOrgId,
    signalId: of.signalId,
    contributionId: of.contribution.contributionId,
    revokedAt: f.revokedAt ?? new Date('2026-02-01T00:00:00Z'),
    ...(f.reason === undefined ? {} : { reason: f.reason }),
  };
}
