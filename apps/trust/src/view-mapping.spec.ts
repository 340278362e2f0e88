import { type Contribution, Opinion, type Signal, SignalStatus, SignalType, TlpMarking } from '@signal-mesh/contracts';
import { createTrustContext, type Organisation, viewOf } from '@signal-mesh/trust-domain';
import { viewToProto } from '@signal-mesh/trust-event-mapping';

import { signalStateFromProto } from './view-mapping';

const t = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s));
const contribution = (c: Partial<Contribution>): Contribution => ({
  contributionId: 'c',
  signalId: 'sig_1',
  contributorOrgId: 'org_a',
  marking: TlpMarking.TLP_MARKING_GREEN,
  sharingGroupIds: [],
  namedOrgIds: [],
  confidence: 50,
  opinion: Opinion.OPINION_POSITIVE,
  categories: ['service.nudify'],
  validUntil: undefined,
  evidenceNote: 'seen in ads',
  externalRefs: [],
  createdAt: t(1),
  revokedAt: undefined,
  disputeReason: '',
  revocationReason: '',
  ...c,
});
const signal: Signal = {
  signalId: 'sig_1',
  type: SignalType.SIGNAL_TYPE_URL,
  canonicalValue: 'https://nudify.example/',
  categories: ['service.nudify', 'secret.category'],
  status: SignalStatus.SIGNAL_STATUS_ACTIVE,
  details: undefined,
  aggregates: { contributorCount: 2, confidence: 90, positiveCount: 2, negativeCount: 0 },
  firstSeenAt: t(1),
  updatedAt: t(2),
  contributions: [
    contribution({ contributionId: 'green', contributorOrgId: 'org_a', confidence: 40 }),
    contribution({ contributionId: 'red', contributorOrgId: 'org_b', marking: TlpMarking.TLP_MARKING_RED, namedOrgIds: ['org_c', 'org_x'], confidence: 90, categories: ['secret.category'], createdAt: t(2) }),
  ],
};
const org = (orgId: string): Organisation => ({ orgId, kind: 'NGO', tier: 2, status: 'ACTIVE' });
const ctx = createTrustContext({ now: t(10), organisations: ['org_a', 'org_b', 'org_c', 'org_d'].map(org) });
const view = (orgId: string) => {
  const v = viewOf(org(orgId), signalStateFromProto(signal), ctx);
  return v && viewToProto(v, signal);
};

describe('GetView mapping', () => {
  it("gives an outsider only the GREEN contribution, every derived field from it alone", () => {
    expect(view('org_d')).toMatchObject({
      categories: ['service.nudify'],
      aggregates: { contributorCount: 1, confidence: 40, positiveCount: 1, negativeCount: 0 },
      firstSeenAt: t(1),
      updatedAt: t(1),
      contributions: [{ contributionId: 'green', evidenceNote: 'seen in ads' }],
    });
  });

  it('gives a named org both, with the RED audience redacted to itself', () => {
    const v = view('org_c');
    expect(v?.contributions.map((c) => c.contributionId)).toEqual(['green', 'red']);
    expect(v?.contributions[1]?.namedOrgIds).toEqual(['org_c']);
    expect(v?.aggregates).toEqual({ contributorCount: 2, confidence: 90, positiveCount: 2, negativeCount: 0 });
  });

  it('refuses unknown types, markings and opinions instead of guessing', () => {
    expect(() => signalStateFromProto({ ...signal, type: SignalType.SIGNAL_TYPE_UNSPECIFIED })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => signalStateFromProto({ ...signal, contributions: [contribution({ marking: TlpMarking.TLP_MARKING_UNSPECIFIED })] })).toThrow(expect.objectContaining({ field: 'signal.contributions[0].marking' }));
    expect(() => signalStateFromProto({ ...signal, contributions: [contribution({ opinion: Opinion.OPINION_UNSPECIFIED })] })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => signalStateFromProto(undefined)).toThrow(expect.objectContaining({ field: 'signal' }));
  });
});
