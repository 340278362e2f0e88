import { createTrustContext } from './context';
import { canContribute, type ContributionDenial, type ContributionRequest } from './contribute';
import type { Marking, Organisation, SignalType, Tier } from './model';
import { definePolicy } from './policy';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const org = (orgId: string, kind: Organisation['kind'], tier: Tier = 4, status: Organisation['status'] = 'ACTIVE'): Organisation => ({ orgId, kind, tier, status });

const ngo = org('org-ngo-1', 'NGO');
const platform = org('org-platform-1', 'PLATFORM');
const search = org('org-search-1', 'SEARCH_ENGINE');
const researcher = org('org-researcher-1', 'RESEARCHER');
const operator = org('org-operator-1', 'OPERATOR');
const lowNgo = org('org-ngo-low', 'NGO', 2);
const suspended = org('org-ngo-suspended', 'NGO', 4, 'SUSPENDED');
const ctx = createTrustContext({
  now: NOW,
  organisations: [ngo, platform, search, researcher, operator, lowNgo, suspended],
  groups: [{ groupId: 'grp-1', memberOrgIds: ['org-platform-1'] }],
});

const request = (type: SignalType, marking: Marking, audience: Partial<ContributionRequest> = {}, categories: string[] = ['misc']): ContributionRequest => ({
  type,
  marking,
  categories,
  ...audience,
});
const GROUP = { sharingGroupIds: ['grp-1'] };
const NAMED = { namedOrgIds: ['org-platform-1'] };

describe(canContribute.name, () => {
  it.each<[string, Organisation, ContributionRequest, 'ALLOWED' | ContributionDenial]>([
    ['an NGO, GREEN model hash', ngo, request('model-hash', 'GREEN'), 'ALLOWED'],
    ['an NGO, CLEAR URL', ngo, request('url', 'CLEAR'), 'ALLOWED'],
    ['an NGO, AMBER with a group', ngo, request('url', 'AMBER', GROUP), 'ALLOWED'],
    ['an NGO, AMBER_STRICT with a named org', ngo, request('prompt-pattern', 'AMBER_STRICT', NAMED), 'ALLOWED'],
    ['an NGO, RED with a named org', ngo, request('prompt-pattern', 'RED', NAMED), 'ALLOWED'],
    ['a platform, GREEN prompt pattern', platform, request('prompt-pattern', 'GREEN'), 'ALLOWED'],
    ['a search engine, nudify tutorial URL', search, request('url', 'GREEN', {}, ['service.nudify.tutorial']), 'ALLOWED'],
    ['a researcher, model hash', researcher, request('model-hash', 'GREEN'), 'ALLOWED'],
    ['a suspended NGO', suspended, request('url', 'GREEN'), 'CONTRIBUTOR_SUSPENDED'],
    ['an unregistered NGO', org('org-ngo-unknown', 'NGO'), request('url', 'GREEN'), 'CONTRIBUTOR_UNKNOWN'],
    ['an unknown signal type', ngo, request('hash' as SignalType, 'GREEN'), 'UNKNOWN_SIGNAL_TYPE'],
    ['an unknown marking', ngo, request('url', 'UNSPECIFIED' as Marking), 'UNKNOWN_MARKING'],
    ['a CLEAR prompt pattern', ngo, request('prompt-pattern', 'CLEAR'), 'MARKING_NOT_ALLOWED'],
    ['a tier-2 NGO, prompt pattern', lowNgo, request('prompt-pattern', 'GREEN'), 'TIER_TOO_LOW'],
    ['a search engine, model hash', search, request('model-hash', 'GREEN'), 'NOT_ENTITLED'],
    ['a search engine, URL outside nudify', search, request('url', 'GREEN', {}, ['service.nudify', 'model.2c']), 'NOT_ENTITLED'],
    ['a search engine, URL without category', search, request('url', 'GREEN', {}, []), 'NOT_ENTITLED'],
    ['a researcher, prompt pattern', researcher, request('prompt-pattern', 'GREEN'), 'NOT_ENTITLED'],
    ['an operator, anything', operator, request('url', 'GREEN'), 'NOT_ENTITLED'],
    ['AMBER without a group', ngo, request('url', 'AMBER'), 'SHARING_GROUP_REQUIRED'],
    ['AMBER_STRICT without a named org', ngo, request('url', 'AMBER_STRICT'), 'NAMED_ORG_REQUIRED'],
    ['RED without a named org', ngo, request('url', 'RED', { namedOrgIds: [] }), 'NAMED_ORG_REQUIRED'],
    ['AMBER naming orgs instead of groups', ngo, request('url', 'AMBER', NAMED), 'AUDIENCE_NOT_APPLICABLE'],
    ['RED naming a group instead of orgs', ngo, request('url', 'RED', { ...GROUP, ...NAMED }), 'AUDIENCE_NOT_APPLICABLE'],
    ['GREEN with named orgs', ngo, request('url', 'GREEN', NAMED), 'AUDIENCE_NOT_APPLICABLE'],
    ['CLEAR with a group', ngo, request('url', 'CLEAR', GROUP), 'AUDIENCE_NOT_APPLICABLE'],
    ['AMBER with an unknown group', ngo, request('url', 'AMBER', { sharingGroupIds: ['grp-1', 'grp-missing'] }), 'UNKNOWN_SHARING_GROUP'],
    ['RED naming an unknown org', ngo, request('url', 'RED', { namedOrgIds: ['org-platform-1', 'org-missing'] }), 'UNKNOWN_NAMED_ORG'],
  ])('%s → %s', (_name, contributor, req, reason) => {
    const decision = canContribute(contributor, req, ctx);
    expect(decision.reason).toBe(reason);
    expect(decision.allowed).toBe(reason === 'ALLOWED');
  });

  it('names the offending id in the detail', () => {
    expect(canContribute(ngo, request('url', 'RED', { namedOrgIds: ['org-missing'] }), ctx)).toEqual({ allowed: false, reason: 'UNKNOWN_NAMED_ORG', detail: 'org-missing' });
  });

  it('follows a configured policy', () => {
    const policy = definePolicy({ minTier: { url: 3 }, allowedMarkings: { 'prompt-pattern': ['RED'] } });
    const custom = createTrustContext({ now: NOW, policy, organisations: [lowNgo, ngo, platform] });
    expect(canContribute(lowNgo, request('url', 'GREEN'), custom).reason).toBe('TIER_TOO_LOW');
    expect(canContribute(ngo, request('prompt-pattern', 'GREEN'), custom).reason).toBe('MARKING_NOT_ALLOWED');
    expect(canContribute(ngo, request('prompt-pattern', 'RED', NAMED), custom).reason).toBe('ALLOWED');
  });

  it('uses explicit contribute entitlements instead of the defaults', () => {
    const explicit = createTrustContext({ now: NOW, organisations: [platform], entitlements: { 'org-platform-1': { receive: [], contribute: [{ signalType: 'url', categories: ['service.nudify'] }] } } });
    expect(canContribute(platform, request('url', 'GREEN', {}, ['service.nudify.mirror']), explicit).reason).toBe('ALLOWED');
    expect(canContribute(platform, request('model-hash', 'GREEN'), explicit).reason).toBe('NOT_ENTITLED');
  });
});
