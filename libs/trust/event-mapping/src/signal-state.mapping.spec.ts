import type { SignalRecord, StoredContribution } from '@signal-mesh/signals-domain';
import { createTrustContext, type Organisation, viewOf } from '@signal-mesh/trust-domain';

import { signalStateFromRecord } from './signal-state.mapping';

const at = (day: number) => new Date(Date.UTC(2025, 4, day));

const stored = (contributionId: string, overrides: Partial<StoredContribution>): StoredContribution => ({
  contributionId,
  contributorOrgId: 'org-ngo',
  marking: 'GREEN',
  sharingGroupIds: [],
  namedOrgIds: [],
  confidence: 60,
  opinion: 'POSITIVE',
  categories: ['service.nudify'],
  externalRefs: [{ system: 'hotline-case', id: 'case-1' }],
  evidenceNote: 'synthetic note',
  createdAt: at(1),
  ...overrides,
});

const record: SignalRecord = {
  signalId: 'url_synthetic',
  type: 'url',
  canonical: 'https://nudify.example.test/',
  details: { type: 'url', scope: 'host', host: 'nudify.example.test' },
  contributions: [
    stored('c-clear', { marking: 'CLEAR' }),
    stored('c-green', { marking: 'GREEN', validUntil: at(30) }),
    stored('c-amber', { marking: 'AMBER', sharingGroupIds: ['grp-1', 'grp-2'], contributorOrgId: 'org-hotline' }),
    stored('c-strict', { marking: 'AMBER_STRICT', namedOrgIds: ['org-platform'], opinion: 'NEGATIVE', confidence: 20, disputeReason: 'false positive' }),
    stored('c-red', { marking: 'RED', namedOrgIds: ['org-platform', 'org-hotline'], categories: ['service.nudify.tutorial'], createdAt: at(2) }),
    stored('c-revoked', { revokedAt: at(3), revocationReason: 'mistake' }),
  ],
  status: 'DISPUTED',
  categories: ['service.nudify', 'service.nudify.tutorial'],
  aggregates: { contributorCount: 2, confidence: 60, positiveCount: 4, negativeCount: 1 },
  firstSeenAt: at(1),
  updatedAt: at(3),
  version: 7,
};

describe(signalStateFromRecord.name, () => {
  it('keeps every contribution, revoked ones included, with its marking, audience and timing', () => {
    const state = signalStateFromRecord(record);
    expect(state.signalId).toBe('url_synthetic');
    expect(state.type).toBe('url');
    expect(state.canonical).toBe('https://nudify.example.test/');
    expect(state.categories).toEqual(['service.nudify', 'service.nudify.tutorial']);
    expect(state.contributions.map((c) => [c.contributionId, c.marking])).toEqual([
      ['c-clear', 'CLEAR'],
      ['c-green', 'GREEN'],
      ['c-amber', 'AMBER'],
      ['c-strict', 'AMBER_STRICT'],
      ['c-red', 'RED'],
      ['c-revoked', 'GREEN'],
    ]);
    expect(state.contributions[2]).toEqual({
      contributionId: 'c-amber',
      contributorOrgId: 'org-hotline',
      marking: 'AMBER',
      sharingGroupIds: ['grp-1', 'grp-2'],
      namedOrgIds: [],
      confidence: 60,
      opinion: 'POSITIVE',
      categories: ['service.nudify'],
      createdAt: at(1),
    });
    expect(state.contributions[1]?.validUntil).toEqual(at(30));
    expect(state.contributions[3]).toMatchObject({ namedOrgIds: ['org-platform'], opinion: 'NEGATIVE', confidence: 20 });
    expect(state.contributions[4]).toMatchObject({ namedOrgIds: ['org-platform', 'org-hotline'], categories: ['service.nudify.tutorial'], createdAt: at(2) });
    expect(state.contributions[5]?.revokedAt).toEqual(at(3));
  });

  it('carries nothing a view does not need (evidence notes, refs, reasons)', () => {
    const json = JSON.stringify(signalStateFromRecord(record));
    for (const leak of ['synthetic note', 'hotline-case', 'false positive', 'mistake']) expect(json).not.toContain(leak);
  });

  it('does not share arrays with the record', () => {
    const state = signalStateFromRecord(record);
    expect(state.contributions[2]?.sharingGroupIds).not.toBe(record.contributions[2]?.sharingGroupIds);
    expect(state.categories).not.toBe(record.categories);
  });

  it('feeds viewOf: a named organisation sees the RED contribution, another member does not', () => {
    const platform: Organisation = { orgId: 'org-platform', kind: 'PLATFORM', tier: 4, status: 'ACTIVE' };
    const other: Organisation = { orgId: 'org-other', kind: 'PLATFORM', tier: 4, status: 'ACTIVE' };
    const ngo: Organisation = { orgId: 'org-ngo', kind: 'NGO', tier: 4, status: 'ACTIVE' };
    const hotline: Organisation = { orgId: 'org-hotline', kind: 'HOTLINE', tier: 4, status: 'ACTIVE' };
    const ctx = createTrustContext({ now: at(10), organisations: [platform, other, ngo, hotline], groups: [{ groupId: 'grp-1', memberOrgIds: ['org-other'] }] });
    const state = signalStateFromRecord(record);
    expect(viewOf(platform, state, ctx)?.contributions.map((c) => c.contributionId)).toEqual(['c-clear', 'c-green', 'c-strict', 'c-red']);
    expect(viewOf(other, state, ctx)?.contributions.map((c) => c.contributionId)).toEqual(['c-amber', 'c-clear', 'c-green']);
  });
});
