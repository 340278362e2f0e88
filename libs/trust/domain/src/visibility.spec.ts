import { createTrustContext, type TrustContext } from './context';
import { type Contribution, type Entitlements, type Marking, MARKINGS, type Organisation, type Purpose, SIGNAL_TYPES, type SignalType, type Tier } from './model';
import { DEFAULT_TRUST_POLICY, definePolicy, type TrustPolicy } from './policy';
import { audienceOf, viewOf } from './view';
import { canExportInBulk, canSee, type VisibilityReason } from './visibility';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const EARLIER = new Date('2025-05-01T00:00:00.000Z');
const GROUP = 'grp-amber-1';

const org = (orgId: string, kind: Organisation['kind'], tier: Tier = 4, status: Organisation['status'] = 'ACTIVE'): Organisation => ({ orgId, kind, tier, status });

function contribution(marking: Marking, overrides: Partial<Contribution> = {}): Contribution {
  return {
    contributionId: 'c-1',
    contributorOrgId: 'org-ngo-1',
    marking,
    sharingGroupIds: [],
    namedOrgIds: [],
    confidence: 80,
    opinion: 'POSITIVE',
    categories: [],
    createdAt: EARLIER,
    ...overrides,
  };
}

// ---- The decision table as a matrix: marking × relation × signal type (× audience shape, × purpose). ----

const RELATIONS = ['contributor', 'member of named group', 'named org', 'community only', 'suspended viewer', 'lacking entitlement', 'tier too low'] as const;
type Relation = (typeof RELATIONS)[number];

/** The documented table (README), written out by hand rather than derived from the code under test. */
const TABLE: Record<Relation, Record<Marking, VisibilityReason>> = {
  contributor: { CLEAR: 'VISIBLE', GREEN: 'VISIBLE', AMBER: 'VISIBLE', AMBER_STRICT: 'VISIBLE', RED: 'VISIBLE' },
  'member of named group': { CLEAR: 'VISIBLE', GREEN: 'VISIBLE', AMBER: 'VISIBLE', AMBER_STRICT: 'NOT_NAMED', RED: 'NOT_NAMED' },
  'named org': { CLEAR: 'VISIBLE', GREEN: 'VISIBLE', AMBER: 'NOT_IN_SHARING_GROUP', AMBER_STRICT: 'VISIBLE', RED: 'VISIBLE' },
  'community only': { CLEAR: 'VISIBLE', GREEN: 'VISIBLE', AMBER: 'NOT_IN_SHARING_GROUP', AMBER_STRICT: 'NOT_NAMED', RED: 'NOT_NAMED' },
  // The last three would otherwise see everything: they are both named and in the group.
  'suspended viewer': { CLEAR: 'VIEWER_SUSPENDED', GREEN: 'VIEWER_SUSPENDED', AMBER: 'VIEWER_SUSPENDED', AMBER_STRICT: 'VIEWER_SUSPENDED', RED: 'VIEWER_SUSPENDED' },
  'lacking entitlement': { CLEAR: 'NOT_ENTITLED', GREEN: 'NOT_ENTITLED', AMBER: 'NOT_ENTITLED', AMBER_STRICT: 'NOT_ENTITLED', RED: 'NOT_ENTITLED' },
  'tier too low': { CLEAR: 'TIER_TOO_LOW', GREEN: 'TIER_TOO_LOW', AMBER: 'TIER_TOO_LOW', AMBER_STRICT: 'TIER_TOO_LOW', RED: 'TIER_TOO_LOW' },
};

// Every type gets a minimum tier above 1 so "tier too low" exists for each of them.
const MATRIX_POLICY: TrustPolicy = definePolicy({ minTier: { 'model-hash': 2, url: 2, 'prompt-pattern': 3 } });

interface Setup {
  readonly viewer: Organisation;
  readonly ctx: TrustContext;
}

function setup(relation: Relation, type: SignalType): Setup {
  const minTier = MATRIX_POLICY.minTier[type];
  const viewers: Record<Relation, Organisation> = {
    contributor: org('org-ngo-1', 'NGO'),
    'member of named group': org('org-platform-group', 'PLATFORM'),
    'named org': org('org-platform-named', 'PLATFORM'),
    'community only': org('org-hotline-1', 'HOTLINE'),
    'suspended viewer': org('org-platform-suspended', 'PLATFORM', 4, 'SUSPENDED'),
    'lacking entitlement': org('org-platform-narrow', 'PLATFORM'),
    'tier too low': org('org-platform-low', 'PLATFORM', (minTier - 1) as Tier),
  };
  const otherTypes = SIGNAL_TYPES.filter((t) => t !== type).map((signalType) => ({ signalType, categories: [] }));
  const narrow: Entitlements = { receive: otherTypes, contribute: otherTypes };
  const viewer = viewers[relation];
  const ctx = createTrustContext({
    now: NOW,
    policy: MATRIX_POLICY,
    organisations: Object.values(viewers),
    groups: [{ groupId: GROUP, memberOrgIds: ['org-platform-group', 'org-platform-suspended', 'org-platform-narrow', 'org-platform-low'] }],
    entitlements: { 'org-platform-narrow': narrow },
  });
  return { viewer, ctx };
}

const NAMED = ['org-platform-named', 'org-platform-suspended', 'org-platform-narrow', 'org-platform-low'];
const SHAPES = {
  // The audience the marking uses, and nothing else.
  'well-formed': (marking: Marking) => ({
    sharingGroupIds: marking === 'AMBER' ? [GROUP] : [],
    namedOrgIds: marking === 'AMBER_STRICT' || marking === 'RED' ? NAMED : [],
  }),
  // Both lists on every marking: the list a marking does not use must grant nothing.
  'both lists': () => ({ sharingGroupIds: [GROUP], namedOrgIds: NAMED }),
};

const expected = (relation: Relation, marking: Marking, purpose: Purpose): VisibilityReason => {
  const reason = TABLE[relation][marking];
  return purpose === 'bulk-export' && marking === 'RED' && reason === 'VISIBLE' ? 'NOT_EXPORTABLE' : reason;
};

const cases = SIGNAL_TYPES.flatMap((type) =>
  MARKINGS.flatMap((marking) =>
    RELATIONS.flatMap((relation) => [
      ...(['well-formed', 'both lists'] as const).map((shape) => ({ type, marking, relation, shape, purpose: 'view' as Purpose })),
      { type, marking, relation, shape: 'well-formed' as const, purpose: 'bulk-export' as Purpose },
    ]),
  ),
).map((c) => ({ ...c, reason: expected(c.relation, c.marking, c.purpose) }));

describe(canSee.name, () => {
  it('covers every marking, relation and type, with both grants and denials', () => {
    expect(cases).toHaveLength(SIGNAL_TYPES.length * MARKINGS.length * RELATIONS.length * 3);
    expect(cases.filter((c) => c.reason === 'VISIBLE').length).toBeGreaterThan(50);
    expect(cases.filter((c) => c.reason !== 'VISIBLE').length).toBeGreaterThan(150);
  });

  it.each(cases)('$type $marking ($shape, $purpose) to $relation → $reason', ({ type, marking, relation, shape, purpose, reason }) => {
    const { viewer, ctx } = setup(relation, type);
    const c = contribution(marking, SHAPES[shape](marking));
    const decision = canSee(viewer, c, { type }, ctx, purpose);
    expect(decision).toEqual({ visible: reason === 'VISIBLE', reason });
    // The view and the audience agree with the decision: a denial means the signal does not exist for the viewer.
    const state = { signalId: 'sig-1', type, canonical: 'x', contributions: [c] };
    const view = viewOf(viewer, state, ctx, purpose);
    const audience = audienceOf(state, [viewer], ctx, purpose);
    if (reason === 'VISIBLE') {
      expect(view?.contributions.map((v) => v.contributionId)).toEqual(['c-1']);
      expect(audience).toEqual([viewer.orgId]);
    } else {
      expect(view).toBeUndefined();
      expect(audience).toEqual([]);
    }
  });
});

// ---- Policy defaults and the details around the table. ----

describe('default policy', () => {
  const contributor = org('org-ngo-1', 'NGO');
  const see = (viewer: Organisation, type: SignalType, c: Contribution, extra: Partial<Parameters<typeof createTrustContext>[0]> = {}) =>
    canSee(viewer, c, { type }, createTrustContext({ now: NOW, organisations: [contributor, viewer], ...extra })).reason;

  it('needs tier 3 for prompt patterns and tier 1 for the other types', () => {
    expect(DEFAULT_TRUST_POLICY.minTier).toEqual({ 'model-hash': 1, url: 1, 'prompt-pattern': 3 });
    const green = contribution('GREEN');
    expect(see(org('org-platform-1', 'PLATFORM', 2), 'prompt-pattern', green)).toBe('TIER_TOO_LOW');
    expect(see(org('org-platform-1', 'PLATFORM', 3), 'prompt-pattern', green)).toBe('VISIBLE');
    expect(see(org('org-platform-1', 'PLATFORM', 1), 'url', green)).toBe('VISIBLE');
    expect(see(org('org-platform-1', 'PLATFORM', 1), 'model-hash', green)).toBe('VISIBLE');
  });

  it.each([
    ['url', ['service.nudify'], 'VISIBLE'],
    ['url', ['service.nudify.tutorial'], 'VISIBLE'],
    ['url', ['service.nudify', 'service.nudify.mirror'], 'VISIBLE'],
    ['url', ['service.nudifyx'], 'NOT_ENTITLED'],
    ['url', ['service'], 'NOT_ENTITLED'],
    ['url', ['service.nudify', 'model.2c'], 'NOT_ENTITLED'],
    ['url', [], 'NOT_ENTITLED'],
    ['model-hash', ['model.2c'], 'NOT_ENTITLED'],
    ['prompt-pattern', ['prompt.aig-csam'], 'NOT_ENTITLED'],
  ] as const)('a search engine receives %s %j → %s', (type, categories, reason) => {
    expect(see(org('org-search-1', 'SEARCH_ENGINE'), type, contribution('GREEN', { categories }))).toBe(reason);
  });

  it.each([
    ['PLATFORM', 'VISIBLE', 'VISIBLE', 'VISIBLE'],
    ['NGO', 'VISIBLE', 'VISIBLE', 'VISIBLE'],
    ['HOTLINE', 'VISIBLE', 'VISIBLE', 'VISIBLE'],
    ['RESEARCHER', 'VISIBLE', 'VISIBLE', 'NOT_ENTITLED'],
    ['SEARCH_ENGINE', 'NOT_ENTITLED', 'NOT_ENTITLED', 'NOT_ENTITLED'],
    ['OPERATOR', 'NOT_ENTITLED', 'NOT_ENTITLED', 'NOT_ENTITLED'],
  ] as const)('a tier-4 %s receives model hashes → %s, URLs → %s, prompt patterns → %s', (kind, hashes, urls, patterns) => {
    const viewer = org('org-viewer-1', kind);
    const c = contribution('GREEN', { categories: ['misc'] });
    expect([see(viewer, 'model-hash', c), see(viewer, 'url', c), see(viewer, 'prompt-pattern', c)]).toEqual([hashes, urls, patterns]);
  });

  it('replaces, never merges, the defaults with explicit entitlements', () => {
    const viewer = org('org-platform-1', 'PLATFORM');
    const onlyUrls = { receive: [{ signalType: 'url' as const, categories: [] }], contribute: [] };
    const entitlements = { 'org-platform-1': onlyUrls };
    expect(see(viewer, 'url', contribution('GREEN'), { entitlements })).toBe('VISIBLE');
    expect(see(viewer, 'model-hash', contribution('GREEN'), { entitlements })).toBe('NOT_ENTITLED');
    expect(see(viewer, 'model-hash', contribution('GREEN'), { entitlements: { 'org-platform-1': { receive: [], contribute: [] } } })).toBe('NOT_ENTITLED');
  });

  it('restricts GREEN, not CLEAR, to the community group when one is configured', () => {
    const member = org('org-platform-member', 'PLATFORM');
    const outsider = org('org-platform-outsider', 'PLATFORM');
    const policy = definePolicy({ communityGroupId: 'grp-community' });
    const groups = [{ groupId: 'grp-community', memberOrgIds: ['org-platform-member'] }];
    const ctx = createTrustContext({ now: NOW, policy, groups, organisations: [contributor, member, outsider] });
    expect(canSee(member, contribution('GREEN'), { type: 'url' }, ctx).reason).toBe('VISIBLE');
    expect(canSee(outsider, contribution('GREEN'), { type: 'url' }, ctx).reason).toBe('NOT_IN_COMMUNITY');
    expect(canSee(outsider, contribution('CLEAR'), { type: 'url' }, ctx).reason).toBe('VISIBLE');
    expect(canSee(contributor, contribution('GREEN'), { type: 'url' }, ctx).reason).toBe('VISIBLE');
    // A community group that does not exist admits nobody (fail closed).
    const missing = createTrustContext({ now: NOW, policy, organisations: [contributor, member] });
    expect(canSee(member, contribution('GREEN'), { type: 'url' }, missing).reason).toBe('NOT_IN_COMMUNITY');
  });
});

describe('status of viewer and contributor', () => {
  const contributor = org('org-ngo-1', 'NGO');
  const viewer = org('org-platform-1', 'PLATFORM');
  const clear = contribution('CLEAR');

  it('shows a suspended organisation nothing, not even its own contributions', () => {
    const suspended = { ...contributor, status: 'SUSPENDED' as const };
    const ctx = createTrustContext({ now: NOW, organisations: [suspended] });
    expect(canSee(suspended, clear, { type: 'url' }, ctx).reason).toBe('VIEWER_SUSPENDED');
  });

  it('trusts a suspension in the registry over a stale ACTIVE copy of the viewer', () => {
    const ctx = createTrustContext({ now: NOW, organisations: [contributor, { ...viewer, status: 'SUSPENDED' }] });
    expect(canSee(viewer, clear, { type: 'url' }, ctx).reason).toBe('VIEWER_SUSPENDED');
  });

  it('hides the contributions of a suspended contributor from others by default, not from the contributor once reinstated', () => {
    const ctx = createTrustContext({ now: NOW, organisations: [{ ...contributor, status: 'SUSPENDED' }, viewer] });
    expect(canSee(viewer, clear, { type: 'url' }, ctx).reason).toBe('CONTRIBUTOR_SUSPENDED');
    const keep = createTrustContext({ now: NOW, policy: definePolicy({ hideSuspendedContributors: false }), organisations: [{ ...contributor, status: 'SUSPENDED' }, viewer] });
    expect(canSee(viewer, clear, { type: 'url' }, keep).reason).toBe('VISIBLE');
    const reinstated = createTrustContext({ now: NOW, organisations: [contributor, viewer] });
    expect(canSee(viewer, clear, { type: 'url' }, reinstated).reason).toBe('VISIBLE');
  });

  it('hides contributions of organisations unknown to the registry', () => {
    const ctx = createTrustContext({ now: NOW, organisations: [viewer] });
    expect(canSee(viewer, clear, { type: 'url' }, ctx).reason).toBe('CONTRIBUTOR_UNKNOWN');
  });

  it('fails closed on a malformed tier, an unknown group and an unknown marking', () => {
    const ctx = createTrustContext({ now: NOW, organisations: [contributor, viewer] });
    expect(canSee({ ...viewer, tier: 0 as Tier }, clear, { type: 'url' }, ctx).reason).toBe('TIER_TOO_LOW');
    expect(canSee(viewer, contribution('AMBER', { sharingGroupIds: ['grp-missing'] }), { type: 'url' }, ctx).reason).toBe('NOT_IN_SHARING_GROUP');
    const unspecified = contribution('UNSPECIFIED' as Marking, { namedOrgIds: [viewer.orgId], sharingGroupIds: [GROUP] });
    expect(canSee(viewer, unspecified, { type: 'url' }, ctx).reason).toBe('NOT_NAMED');
    expect(canSee(contributor, unspecified, { type: 'url' }, ctx).reason).toBe('VISIBLE');
  });
});

describe('revoked and expired contributions', () => {
  const contributor = org('org-ngo-1', 'NGO');
  const named = org('org-platform-named', 'PLATFORM');
  const outsider = org('org-platform-outsider', 'PLATFORM');
  const ctx = createTrustContext({ now: NOW, organisations: [contributor, named, outsider], groups: [{ groupId: GROUP, memberOrgIds: [named.orgId] }] });
  const audience = { sharingGroupIds: [GROUP], namedOrgIds: [named.orgId] };
  const ms = (offset: number) => new Date(NOW.getTime() + offset);

  it.each(MARKINGS.flatMap((marking) => [contributor, named].map((viewer) => ({ marking, viewer: viewer.orgId, v: viewer }))))(
    '$marking is in nobody\'s view once revoked or expired, $viewer included',
    ({ marking, v }) => {
      expect(canSee(v, contribution(marking, audience), { type: 'url' }, ctx).reason).toBe('VISIBLE');
      expect(canSee(v, contribution(marking, { ...audience, revokedAt: EARLIER }), { type: 'url' }, ctx).reason).toBe('REVOKED');
      expect(canSee(v, contribution(marking, { ...audience, validUntil: ms(-1) }), { type: 'url' }, ctx).reason).toBe('EXPIRED');
      expect(canSee(v, contribution(marking, { ...audience, validUntil: NOW }), { type: 'url' }, ctx).reason).toBe('VISIBLE');
      expect(canSee(v, contribution(marking, { ...audience, validUntil: ms(1) }), { type: 'url' }, ctx).reason).toBe('VISIBLE');
    },
  );

  it('gives an outsider the audience reason, never news of a revocation', () => {
    const red = contribution('RED', { ...audience, revokedAt: EARLIER, validUntil: ms(-1) });
    expect(canSee(outsider, red, { type: 'url' }, ctx).reason).toBe('NOT_NAMED');
  });
});

describe(canExportInBulk.name, () => {
  it.each(MARKINGS.map((marking) => [marking, marking !== 'RED'] as const))('%s → %s', (marking, exportable) => {
    expect(canExportInBulk(contribution(marking))).toBe(exportable);
  });
});
