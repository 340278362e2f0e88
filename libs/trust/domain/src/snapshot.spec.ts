import type { Organisation, SignalState, Tier } from './model';
import { type TrustChange,TrustSnapshot } from './snapshot';
import { viewOf } from './view';

const NOW = new Date('2025-06-01T12:00:00.000Z');

const org = (orgId: string, tier: Tier = 4, status: Organisation['status'] = 'ACTIVE'): Organisation => ({ orgId, kind: 'NGO', tier, status });
const orgChange = (version: string, value: Organisation, deleted = false): TrustChange => ({ kind: 'organisation', version, deleted, org: value });
const groupChange = (version: string, groupId: string, memberOrgIds: string[], deleted = false): TrustChange => ({ kind: 'sharing-group', version, deleted, group: { groupId, memberOrgIds } });

describe(TrustSnapshot.name, () => {
  it('keeps the newest version per entity, comparing versions as integers, not strings', () => {
    const sut = new TrustSnapshot();
    expect(sut.apply(orgChange('9', org('org-a', 1))).changed).toBe(true);
    expect(sut.apply(orgChange('10', org('org-a', 2))).changed).toBe(true);
    // "8" > "10" as strings; as integers it is older and must be ignored.
    expect(sut.apply(orgChange('8', org('org-a', 3)))).toEqual({ changed: false, affectedOrgIds: [] });
    expect(sut.context(NOW).organisation('org-a')?.tier).toBe(2);
    // Beyond Number.MAX_SAFE_INTEGER.
    expect(sut.apply(orgChange('18446744073709551615', org('org-a', 4))).changed).toBe(true);
    expect(sut.apply(orgChange('18446744073709551614', org('org-a', 1))).changed).toBe(false);
    expect(sut.context(NOW).organisation('org-a')?.tier).toBe(4);
  });

  it('is idempotent: re-applying the same record changes nothing and affects nobody', () => {
    const sut = new TrustSnapshot();
    const change = groupChange('5', 'grp-1', ['org-a', 'org-b']);
    expect(sut.apply(change)).toEqual({ changed: true, affectedOrgIds: ['org-a', 'org-b'] });
    expect(sut.apply(change)).toEqual({ changed: false, affectedOrgIds: [] });
    expect(sut.context(NOW).group('grp-1')?.memberOrgIds).toEqual(['org-a', 'org-b']);
  });

  it('versions entities independently, per kind and id', () => {
    const sut = new TrustSnapshot();
    sut.apply(orgChange('100', org('org-a')));
    expect(sut.apply(orgChange('1', org('org-b'))).changed).toBe(true);
    expect(sut.apply({ kind: 'entitlements', version: '1', deleted: false, orgId: 'org-a', entitlements: { receive: [], contribute: [] } }).changed).toBe(true);
  });

  it('refuses a version that is not a decimal integer', () => {
    const sut = new TrustSnapshot();
    for (const version of ['', '-1', '1.5', '0x10', ' 1']) expect(() => sut.apply(orgChange(version, org('org-a')))).toThrow(RangeError);
  });

  it('reports the organisations that joined or left a group', () => {
    const sut = new TrustSnapshot();
    expect(sut.apply(groupChange('1', 'grp-1', ['org-a', 'org-b'])).affectedOrgIds).toEqual(['org-a', 'org-b']);
    expect(sut.apply(groupChange('2', 'grp-1', ['org-b', 'org-c'])).affectedOrgIds).toEqual(['org-a', 'org-c']);
    // A rename or re-publish with the same members changes no view.
    expect(sut.apply(groupChange('3', 'grp-1', ['org-c', 'org-b']))).toEqual({ changed: true, affectedOrgIds: [] });
    expect(sut.apply(groupChange('4', 'grp-1', ['org-b', 'org-c'], true)).affectedOrgIds).toEqual(['org-b', 'org-c']);
    expect(sut.context(NOW).group('grp-1')).toBeUndefined();
  });

  it('answers organisation, group and entitlement lookups from the applied state', () => {
    const sut = new TrustSnapshot();
    const entitlements = { receive: [{ signalType: 'url' as const, categories: ['service.nudify'] }], contribute: [] };
    sut.apply(orgChange('1', org('org-a', 3)));
    sut.apply(orgChange('1', org('org-b', 2, 'SUSPENDED')));
    sut.apply(groupChange('1', 'grp-1', ['org-a']));
    expect(sut.apply({ kind: 'entitlements', version: '7', deleted: false, orgId: 'org-a', entitlements }).affectedOrgIds).toEqual(['org-a']);
    const ctx = sut.context(NOW);
    expect(ctx.now).toBe(NOW);
    expect(ctx.organisation('org-a')).toEqual(org('org-a', 3));
    expect(ctx.organisation('org-b')?.status).toBe('SUSPENDED');
    expect(ctx.organisation('org-unknown')).toBeUndefined();
    expect(ctx.group('grp-1')?.memberOrgIds).toEqual(['org-a']);
    expect(ctx.entitlements('org-a')).toEqual(entitlements);
    expect(ctx.entitlements('org-b')).toBeUndefined();
    expect(sut.organisations().map((o) => o.orgId)).toEqual(['org-a', 'org-b']);

    sut.apply({ kind: 'entitlements', version: '8', deleted: true, orgId: 'org-a', entitlements });
    expect(sut.context(NOW).entitlements('org-a')).toBeUndefined();
    // An earlier context is a snapshot: later changes do not alter it.
    expect(ctx.entitlements('org-a')).toEqual(entitlements);
  });

  it("returns 'all' when an organisation appears, disappears or changes status, and only it for tier or kind", () => {
    const sut = new TrustSnapshot();
    expect(sut.apply(orgChange('1', org('org-a', 2))).affectedOrgIds).toBe('all');
    expect(sut.apply(orgChange('2', org('org-a', 3))).affectedOrgIds).toEqual(['org-a']);
    expect(sut.apply(orgChange('3', { ...org('org-a', 3), kind: 'HOTLINE' })).affectedOrgIds).toEqual(['org-a']);
    expect(sut.apply(orgChange('4', org('org-a', 3, 'SUSPENDED'))).affectedOrgIds).toBe('all');
    expect(sut.apply(orgChange('5', org('org-a', 3, 'ACTIVE'))).affectedOrgIds).toBe('all');
    expect(sut.apply(orgChange('6', org('org-a', 3), true)).affectedOrgIds).toBe('all');
    expect(sut.organisations()).toEqual([]);
    // A replayed older record cannot resurrect a deleted organisation.
    expect(sut.apply(orgChange('5', org('org-a', 3))).changed).toBe(false);
    expect(sut.context(NOW).organisation('org-a')).toBeUndefined();
  });

  it("a contributor's suspension removes its contributions from others' views", () => {
    const sut = new TrustSnapshot();
    sut.apply(orgChange('1', org('org-a')));
    sut.apply(orgChange('1', org('org-b')));
    const state: SignalState = {
      signalId: 'sig-1',
      type: 'url',
      canonical: 'https://example.test/',
      contributions: [
        { contributionId: 'c-1', contributorOrgId: 'org-a', marking: 'GREEN', sharingGroupIds: [], namedOrgIds: [], confidence: 80, opinion: 'POSITIVE', categories: [], createdAt: new Date('2025-05-01T00:00:00Z') },
      ],
    };
    expect(viewOf(org('org-b'), state, sut.context(NOW))).toBeDefined();
    expect(sut.apply(orgChange('2', org('org-a', 4, 'SUSPENDED'))).affectedOrgIds).toBe('all');
    expect(viewOf(org('org-b'), state, sut.context(NOW))).toBeUndefined();
  });

  it('keeps API keys without affecting any view', () => {
    const sut = new TrustSnapshot();
    expect(sut.apply({ kind: 'api-key', version: '1', deleted: false, keyId: 'key-1', orgId: 'org-a', revoked: false })).toEqual({ changed: true, affectedOrgIds: [] });
    expect(sut.apply({ kind: 'api-key', version: '3', deleted: false, keyId: 'key-1', orgId: 'org-a', revoked: true }).affectedOrgIds).toEqual([]);
    expect(sut.apiKey('key-1')).toEqual({ orgId: 'org-a', revoked: true });
  });
});
