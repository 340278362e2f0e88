import { randomBytes } from 'node:crypto';

import { ApiKeyScope, type Contribution, FeedEvent, FeedEventKind, Opinion, OrganisationKind, RetractReason, type Signal, SignalStatus, SignalType, TlpMarking, UrlMatchScope } from '@signal-mesh/contracts';

export { ApiKeyScope, OrganisationKind };

export const randomUrlSignalId = (): string => `url_${randomBytes(16).toString('hex')}`;

export function contribution(overrides: Partial<Contribution> = {}): Contribution {
  return {
    contributionId: `ctb_${randomBytes(8).toString('hex')}`,
    signalId: '',
    contributorOrgId: `org_${randomBytes(8).toString('hex')}`,
    marking: TlpMarking.TLP_MARKING_GREEN,
    sharingGroupIds: [],
    namedOrgIds: [],
    confidence: 90,
    opinion: Opinion.OPINION_POSITIVE,
    categories: ['service.nudify'],
    evidenceNote: '',
    externalRefs: [],
    createdAt: new Date('2025-06-01T12:00:00.000Z'),
    disputeReason: '',
    revocationReason: '',
    ...overrides,
  };
}

/** An organisation's view of a URL signal (a proto Signal as the fan-out puts it in a FeedEvent). */
export function urlViewSignal(options: { signalId?: string; host?: string; scope?: UrlMatchScope; contributions?: Contribution[] } = {}): Signal {
  const signalId = options.signalId ?? randomUrlSignalId();
  const host = options.host ?? `${randomBytes(4).toString('hex')}.nudify.test`;
  const contributions = (options.contributions ?? [contribution()]).map((c) => ({ ...c, signalId }));
  return {
    signalId,
    type: SignalType.SIGNAL_TYPE_URL,
    canonicalValue: `https://${host}/`,
    categories: [...new Set(contributions.flatMap((c) => c.categories))].sort(),
    status: SignalStatus.SIGNAL_STATUS_ACTIVE,
    details: { $case: 'url', value: { matchScope: options.scope ?? UrlMatchScope.URL_MATCH_SCOPE_HOST, host, registrableDomain: 'nudify.test' } },
    aggregates: { contributorCount: 1, confidence: 90, positiveCount: contributions.length, negativeCount: 0 },
    firstSeenAt: new Date('2025-06-01T12:00:00.000Z'),
    updatedAt: new Date('2025-06-01T12:00:00.000Z'),
    contributions,
  };
}

export function upsert(orgId: string, view: Signal, emittedAt = new Date()): FeedEvent {
  return FeedEvent.fromPartial({ kind: FeedEventKind.FEED_EVENT_KIND_UPSERT, orgId, signalId: view.signalId, signalType: view.type, canonicalValue: view.canonicalValue, view, emittedAt });
}

export function retract(orgId: string, signalId: string, reason = RetractReason.RETRACT_REASON_REVOKED, signalType = SignalType.SIGNAL_TYPE_URL): FeedEvent {
  return FeedEvent.fromPartial({ kind: FeedEventKind.FEED_EVENT_KIND_RETRACT, orgId, signalId, signalType, canonicalValue: '', retractReason: reason, emittedAt: new Date() });
}
