import { createTrustContext } from './context';
import type { Contribution, Organisation, SignalState } from './model';
import { viewChanges } from './view-changes';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const at = (day: number) => new Date(Date.UTC(2025, 4, day));
const org = (orgId: string, kind: Organisation['kind'] = 'PLATFORM', status: Organisation['status'] = 'ACTIVE'): Organisation => ({ orgId, kind, tier: 4, status });

const contribution = (contributionId: string, overrides: Partial<Contribution> = {}): Contribution => ({
  contributionId,
  contributorOrgId: 'org-ngo',
  marking: 'GREEN',
  sharingGroupIds: [],
  namedOrgIds: [],
  confidence: 50,
  opinion: 'POSITIVE',
  categories: ['service.nudify'],
  createdAt: at(1),
  ...overrides,
});

const ngo = org('org-ngo', 'NGO');
const hotline = org('org-hotline', 'HOTLINE');
const named = org('org-named');
const outsider = org('org-outsider');
const member = org('org-member');
const orgs = [ngo, hotline, named, outsider, member];
const groups = [{ groupId: 'grp', memberOrgIds: ['org-member'] }];
const ctx = createTrustContext({ now: NOW, organisations: orgs, groups });

const green = contribution('green');
const red = contribution('red', { contributorOrgId: 'org-hotline', marking: 'RED', namedOrgIds: ['org-named'] });
const amber = contribution('amber', { marking: 'AMBER', sharingGroupIds: ['grp'] });
const stateOf = (...contributions: Contribution[]): SignalState => ({ signalId: 'url_1', type: 'url', canonical: 'https://nudify.example.com/', contributions });
const ids = (changes: ReturnType<typeof viewChanges>) => changes.map((c) => (c.kind === 'UPSERT' ? [c.orgId, 'UPSERT', c.view.contributions.map((x) => x.contributionId)] : [c.orgId, 'RETRACT', c.reason]));

describe(viewChanges.name, () => {
  it('a new signal: an UPSERT for each organisation that may see it, with only what it may see', () => {
    const changes = viewChanges(orgs, { state: undefined, ctx }, { state: stateOf(green, red), ctx });
    expect(ids(changes)).toEqual([
      ['org-ngo', 'UPSERT', ['green']],
      ['org-hotline', 'UPSERT', ['green', 'red']],
      ['org-named', 'UPSERT', ['green', 'red']],
      ['org-outsider', 'UPSERT', ['green']],
      ['org-member', 'UPSERT', ['green']],
    ]);
    const outsiderView = changes.find((c) => c.orgId === 'org-outsider');
    expect(outsiderView?.kind === 'UPSERT' && outsiderView.view.aggregates.contributorCount).toBe(1);
  });

  it('a change only some can see reaches only them: a RED contribution added tells no outsider anything', () => {
    const changes = viewChanges(orgs, { state: stateOf(green), ctx }, { state: stateOf(green, red), ctx });
    expect(ids(changes)).toEqual([
      ['org-hotline', 'UPSERT', ['green', 'red']],
      ['org-named', 'UPSERT', ['green', 'red']],
    ]);
  });

  it('revoking the GREEN contribution retracts (REVOKED) for outsiders and shrinks the named org’s view', () => {
    const revoked = { ...green, revokedAt: at(2) };
    expect(ids(viewChanges(orgs, { state: stateOf(green, red), ctx }, { state: stateOf(revoked, red), ctx }))).toEqual([
      ['org-ngo', 'RETRACT', 'REVOKED'],
      ['org-hotline', 'UPSERT', ['red']],
      ['org-named', 'UPSERT', ['red']],
      ['org-outsider', 'RETRACT', 'REVOKED'],
      ['org-member', 'RETRACT', 'REVOKED'],
    ]);
  });

  it('an expired contribution retracts with EXPIRED', () => {
    const expiring = { ...green, validUntil: at(40) };
    const later = createTrustContext({ now: at(45), organisations: orgs, groups });
    expect(ids(viewChanges([outsider], { state: stateOf(expiring), ctx }, { state: stateOf(expiring), ctx: later }))).toEqual([['org-outsider', 'RETRACT', 'EXPIRED']]);
  });

  it('removing an organisation from a sharing group retracts its AMBER signals at once (NO_LONGER_VISIBLE)', () => {
    const removed = createTrustContext({ now: NOW, organisations: orgs, groups: [{ groupId: 'grp', memberOrgIds: [] }] });
    expect(ids(viewChanges(orgs, { state: stateOf(amber), ctx }, { state: stateOf(amber), ctx: removed }))).toEqual([['org-member', 'RETRACT', 'NO_LONGER_VISIBLE']]);
  });

  it('suspending a contributor retracts its contributions from everyone else, with a reason that reveals nothing hidden', () => {
    const suspended = createTrustContext({ now: NOW, organisations: [ngo, { ...hotline, status: 'SUSPENDED' }, named, outsider, member], groups });
    const changes = viewChanges(orgs, { state: stateOf(red), ctx }, { state: stateOf(red), ctx: suspended });
    expect(ids(changes)).toEqual([
      ['org-hotline', 'RETRACT', 'NO_LONGER_VISIBLE'],
      ['org-named', 'RETRACT', 'NO_LONGER_VISIBLE'],
    ]);
  });

  it('says nothing when no view changed (a replayed state)', () => {
    expect(viewChanges(orgs, { state: stateOf(green, red), ctx }, { state: stateOf(green, red), ctx })).toEqual([]);
  });
});
