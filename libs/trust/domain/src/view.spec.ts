import fc from 'fast-check';

import { createTrustContext, type TrustContext } from './context';
import { type Contribution, MARKINGS, type Organisation, ORGANISATION_KINDS, SIGNAL_TYPES, type SignalState, type Tier } from './model';
import { definePolicy } from './policy';
import { audienceOf, NO_VIEW_FINGERPRINT, type SignalView, viewFingerprint, viewOf, viewsDiffer } from './view';
import { canSee } from './visibility';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const at = (day: number) => new Date(Date.UTC(2025, 4, day));

const org = (orgId: string, kind: Organisation['kind'], tier: Tier = 4, status: Organisation['status'] = 'ACTIVE'): Organisation => ({ orgId, kind, tier, status });

function contribution(contributionId: string, overrides: Partial<Contribution>): Contribution {
  return {
    contributionId,
    contributorOrgId: 'org-ngo-1',
    marking: 'GREEN',
    sharingGroupIds: [],
    namedOrgIds: [],
    confidence: 50,
    opinion: 'POSITIVE',
    categories: [],
    createdAt: at(1),
    ...overrides,
  };
}

const ngo1 = org('org-ngo-1', 'NGO');
const hotline1 = org('org-hotline-1', 'HOTLINE');
const named = org('org-platform-named', 'PLATFORM');
const outsider = org('org-platform-outsider', 'PLATFORM');
const grouped = org('org-platform-grouped', 'PLATFORM');
const ctx = createTrustContext({
  now: NOW,
  organisations: [ngo1, hotline1, named, outsider, grouped],
  groups: [
    { groupId: 'grp-a', memberOrgIds: ['org-platform-grouped'] },
    { groupId: 'grp-b', memberOrgIds: ['org-hotline-1'] },
  ],
});

describe(viewOf.name, () => {
  // GREEN from one NGO, RED from a hotline naming one platform.
  const state: SignalState = {
    signalId: 'url_0001',
    type: 'url',
    canonical: 'https://nudify.example/',
    categories: ['service.nudify', 'service.nudify.secret-campaign'],
    contributions: [
      contribution('c-green', { contributorOrgId: 'org-ngo-1', marking: 'GREEN', confidence: 60, categories: ['service.nudify'], createdAt: at(1) }),
      contribution('c-red', {
        contributorOrgId: 'org-hotline-1',
        marking: 'RED',
        namedOrgIds: ['org-platform-named'],
        confidence: 95,
        categories: ['service.nudify.secret-campaign'],
        createdAt: at(5),
      }),
    ],
  };

  it('shows an outsider only the GREEN contribution, and aggregates nothing of the RED one', () => {
    expect(viewOf(outsider, state, ctx)).toEqual({
      signalId: 'url_0001',
      type: 'url',
      canonical: 'https://nudify.example/',
      categories: ['service.nudify'],
      status: 'ACTIVE',
      aggregates: { contributorCount: 1, confidence: 60, positiveCount: 1, negativeCount: 0 },
      firstSeenAt: at(1),
      updatedAt: at(1),
      contributions: [state.contributions[0]],
    });
  });

  it('shows a named organisation both and counts two contributors', () => {
    const view = viewOf(named, state, ctx);
    expect(view?.contributions.map((c) => c.contributionId)).toEqual(['c-green', 'c-red']);
    expect(view?.aggregates).toEqual({ contributorCount: 2, confidence: 95, positiveCount: 2, negativeCount: 0 });
    expect(view?.categories).toEqual(['service.nudify', 'service.nudify.secret-campaign']);
    expect(view?.updatedAt).toEqual(at(5));
  });

  it('leaves RED out of bulk exports, even for the named organisation', () => {
    expect(viewOf(named, state, ctx, 'bulk-export')?.contributions.map((c) => c.contributionId)).toEqual(['c-green']);
    const redOnly = { ...state, contributions: [state.contributions[1]] };
    expect(viewOf(named, redOnly, ctx)).toBeDefined();
    expect(viewOf(named, redOnly, ctx, 'bulk-export')).toBeUndefined();
    expect(viewOf(hotline1, redOnly, ctx, 'bulk-export')).toBeUndefined();
  });

  it('does not exist for an organisation that may see none of the contributions', () => {
    const amber = { ...state, contributions: [contribution('c-amber', { marking: 'AMBER', sharingGroupIds: ['grp-a'] })] };
    expect(viewOf(outsider, amber, ctx)).toBeUndefined();
    expect(viewOf(grouped, amber, ctx)).toBeDefined();
  });

  it('drops revoked and expired contributions, and the signal with them when none is left', () => {
    const lifecycle: SignalState = {
      ...state,
      contributions: [
        contribution('c-live', { confidence: 40, createdAt: at(2) }),
        contribution('c-revoked', { contributorOrgId: 'org-hotline-1', confidence: 90, revokedAt: at(3), createdAt: at(3) }),
        contribution('c-expired', { contributorOrgId: 'org-hotline-1', confidence: 90, validUntil: at(4), createdAt: at(4) }),
      ],
    };
    const view = viewOf(ngo1, lifecycle, ctx);
    expect(view?.contributions.map((c) => c.contributionId)).toEqual(['c-live']);
    expect(view?.aggregates).toEqual({ contributorCount: 1, confidence: 40, positiveCount: 1, negativeCount: 0 });
    expect(view?.updatedAt).toEqual(at(2));
    // The contributor's own revoked contribution is not in its view either.
    const revoked = { ...lifecycle, contributions: [{ ...lifecycle.contributions[0], revokedAt: at(9) }] };
    expect(viewOf(ngo1, revoked, ctx)).toBeUndefined();
  });

  it('is DISPUTED exactly when a visible NEGATIVE opinion exists; confidence is the highest visible POSITIVE one', () => {
    const positive = contribution('c-pos', { confidence: 70 });
    const hiddenNegative = contribution('c-neg-red', { contributorOrgId: 'org-hotline-1', marking: 'RED', namedOrgIds: ['org-platform-named'], opinion: 'NEGATIVE', confidence: 99 });
    const disputed = { ...state, contributions: [positive, hiddenNegative] };
    expect(viewOf(outsider, disputed, ctx)).toMatchObject({ status: 'ACTIVE', aggregates: { confidence: 70, positiveCount: 1, negativeCount: 0 } });
    expect(viewOf(named, disputed, ctx)).toMatchObject({ status: 'DISPUTED', aggregates: { confidence: 70, positiveCount: 1, negativeCount: 1 } });
    const onlyNegative = { ...state, contributions: [hiddenNegative] };
    expect(viewOf(named, onlyNegative, ctx)).toMatchObject({ status: 'DISPUTED', aggregates: { confidence: 0, positiveCount: 0, negativeCount: 1 } });
  });

  it('counts distinct contributing organisations', () => {
    const twice = { ...state, contributions: [contribution('c-1', {}), contribution('c-2', { opinion: 'NEGATIVE' })] };
    expect(viewOf(outsider, twice, ctx)?.aggregates.contributorCount).toBe(1);
  });

  it("shows others' contributions with only the viewer's part of the audience; the contributor sees all of it", () => {
    const amber = contribution('c-amber', { contributorOrgId: 'org-ngo-1', marking: 'AMBER', sharingGroupIds: ['grp-b', 'grp-a'] });
    const strict = contribution('c-strict', { contributorOrgId: 'org-ngo-1', marking: 'AMBER_STRICT', namedOrgIds: ['org-hotline-1', 'org-platform-named'] });
    const audience = { ...state, contributions: [amber, strict] };
    expect(viewOf(grouped, audience, ctx)?.contributions).toEqual([{ ...amber, sharingGroupIds: ['grp-a'] }]);
    expect(viewOf(named, audience, ctx)?.contributions).toEqual([{ ...strict, namedOrgIds: ['org-platform-named'] }]);
    const own = viewOf(ngo1, audience, ctx)?.contributions;
    expect(own?.map((c) => [c.sharingGroupIds, c.namedOrgIds])).toEqual([
      [['grp-a', 'grp-b'], []],
      [[], ['org-hotline-1', 'org-platform-named']],
    ]);
  });
});

describe(audienceOf.name, () => {
  it('lists, sorted, the organisations with a non-empty view', () => {
    const suspended = org('org-platform-suspended', 'PLATFORM', 4, 'SUSPENDED');
    const search = org('org-search-1', 'SEARCH_ENGINE');
    const all = [outsider, named, hotline1, ngo1, grouped, suspended, search];
    const state: SignalState = {
      signalId: 'mh_0001',
      type: 'model-hash',
      canonical: 'a'.repeat(64),
      contributions: [contribution('c-red', { marking: 'RED', namedOrgIds: ['org-platform-named', 'org-platform-suspended', 'org-search-1'] })],
    };
    expect(audienceOf(state, all, ctx)).toEqual(['org-ngo-1', 'org-platform-named']);
    expect(audienceOf(state, all, ctx, 'bulk-export')).toEqual([]);
    expect(audienceOf({ ...state, contributions: [contribution('c-green', {})] }, all, ctx)).toEqual(['org-hotline-1', 'org-ngo-1', 'org-platform-grouped', 'org-platform-named', 'org-platform-outsider']);
  });
});

describe(viewFingerprint.name, () => {
  const state: SignalState = {
    signalId: 'pp_0001',
    type: 'prompt-pattern',
    canonical: 'placeholder phrase',
    contributions: [
      contribution('c-1', { categories: ['prompt.b', 'prompt.a'] }),
      contribution('c-2', { contributorOrgId: 'org-hotline-1', createdAt: at(2) }),
      contribution('c-3', { contributorOrgId: 'org-hotline-1', marking: 'AMBER', sharingGroupIds: ['grp-b'], createdAt: at(3) }),
    ],
  };
  const view = viewOf(outsider, state, ctx);

  it('is stable under reordering of contributions and their lists', () => {
    const reordered = { ...state, contributions: [...state.contributions].reverse().map((c) => ({ ...c, categories: [...c.categories].reverse() })) };
    expect(viewFingerprint(viewOf(outsider, reordered, ctx))).toBe(viewFingerprint(view));
    expect(viewFingerprint(view)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes when a visible contribution changes, not when a hidden one does', () => {
    const visibleChange = { ...state, contributions: state.contributions.map((c) => (c.contributionId === 'c-2' ? { ...c, confidence: 51 } : c)) };
    const hiddenChange = { ...state, contributions: state.contributions.map((c) => (c.contributionId === 'c-3' ? { ...c, confidence: 99, categories: ['x'] } : c)) };
    expect(viewsDiffer(view, viewOf(outsider, visibleChange, ctx))).toBe(true);
    expect(viewsDiffer(view, viewOf(outsider, hiddenChange, ctx))).toBe(false);
    expect(viewsDiffer(viewOf(hotline1, state, ctx), viewOf(hotline1, hiddenChange, ctx))).toBe(true);
  });

  it('compares like the fingerprint: dates by instant, an unset field like an absent one, list order counts', () => {
    const base = view as SignalView;
    const same = { ...base, firstSeenAt: new Date(base.firstSeenAt.getTime()), contributions: base.contributions.map((c) => ({ ...c, validUntil: undefined })) };
    const variants: SignalView[] = [
      same,
      { ...base, updatedAt: new Date(base.updatedAt.getTime() + 1) },
      { ...base, categories: [...base.categories].reverse() },
      { ...base, aggregates: { ...base.aggregates, confidence: base.aggregates.confidence + 1 } },
      { ...base, contributions: base.contributions.slice(1) },
    ];
    for (const variant of variants) expect(viewsDiffer(base, variant)).toBe(viewFingerprint(base) !== viewFingerprint(variant));
    expect(viewsDiffer(base, same)).toBe(false);
    expect(variants.slice(1).every((variant) => viewsDiffer(base, variant))).toBe(true);
  });

  it('treats "no view" as its own value, so losing a view is a change', () => {
    expect(viewFingerprint(undefined)).toBe(NO_VIEW_FINGERPRINT);
    expect(viewsDiffer(view, undefined)).toBe(true);
    expect(viewsDiffer(undefined, undefined)).toBe(false);
  });
});

// ---- Property: a view never reveals anything of the contributions its viewer may not see. ----

const ORG_IDS = ['org-ngo-1', 'org-ngo-2', 'org-hotline-1', 'org-platform-1', 'org-search-1', 'org-researcher-1', 'org-operator-1'];
const GROUP_IDS = ['grp-1', 'grp-2', 'grp-missing'];
const CATEGORIES = ['service.nudify', 'service.nudify.tutorial', 'model.2c', 'model.2a', 'prompt.aig-csam', 'misc'];
const DAY = 86_400_000;

const orgArb = (orgId: string) =>
  fc.record({
    orgId: fc.constant(orgId),
    kind: fc.constantFrom(...ORGANISATION_KINDS),
    tier: fc.constantFrom<Tier>(1, 2, 3, 4),
    status: fc.oneof({ arbitrary: fc.constant<Organisation['status']>('ACTIVE'), weight: 5 }, { arbitrary: fc.constant<Organisation['status']>('SUSPENDED'), weight: 1 }),
  });
const dateArb = (fromDays: number, toDays: number) => fc.integer({ min: fromDays, max: toDays }).map((d) => new Date(NOW.getTime() + d * DAY));
/** Mostly unset, so that most contributions are live. */
const sometimes = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: arb, weight: 1 });
const contributionArb = (index: number): fc.Arbitrary<Contribution> =>
  fc.record({
    contributionId: fc.constant(`c-${index}`),
    contributorOrgId: fc.constantFrom(...ORG_IDS, 'org-unknown-1'),
    marking: fc.constantFrom(...MARKINGS),
    sharingGroupIds: fc.subarray(GROUP_IDS),
    namedOrgIds: fc.subarray(ORG_IDS),
    confidence: fc.integer({ min: 0, max: 100 }),
    opinion: fc.constantFrom<Contribution['opinion']>('POSITIVE', 'NEGATIVE'),
    categories: fc.subarray(CATEGORIES),
    validUntil: sometimes(dateArb(-3, 3)),
    revokedAt: sometimes(dateArb(-10, 0)),
    createdAt: dateArb(-30, 0),
  });
const worldArb = fc.record({
  orgs: fc.tuple(...ORG_IDS.map(orgArb)),
  groups: fc.tuple(fc.subarray(ORG_IDS), fc.subarray(ORG_IDS)).map(([a, b]) => [
    { groupId: 'grp-1', memberOrgIds: a },
    { groupId: 'grp-2', memberOrgIds: b },
  ]),
  contributions: fc.integer({ min: 0, max: 8 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => contributionArb(i)))),
  type: fc.constantFrom(...SIGNAL_TYPES),
  stateCategories: fc.subarray(CATEGORIES),
  viewerIndex: fc.nat({ max: ORG_IDS.length - 1 }),
  communityGroup: fc.constantFrom(undefined, 'grp-1', 'grp-missing'),
  hideSuspended: fc.boolean(),
  purpose: fc.constantFrom('view' as const, 'bulk-export' as const),
});

/** Recomputed independently of view.ts from the contributions canSee allows. */
function expectedView(visible: readonly Contribution[]) {
  const positives = visible.filter((c) => c.opinion === 'POSITIVE');
  const negatives = visible.length - positives.length;
  return {
    ids: visible.map((c) => c.contributionId).sort(),
    categories: [...new Set(visible.flatMap((c) => c.categories))].sort(),
    status: negatives > 0 ? 'DISPUTED' : 'ACTIVE',
    aggregates: {
      contributorCount: new Set(visible.map((c) => c.contributorOrgId)).size,
      confidence: Math.max(0, ...positives.map((c) => c.confidence)),
      positiveCount: positives.length,
      negativeCount: negatives,
    },
    firstSeenAt: Math.min(...visible.map((c) => c.createdAt.getTime())),
    updatedAt: Math.max(...visible.map((c) => c.createdAt.getTime())),
  };
}

describe('views never reveal invisible contributions (property)', () => {
  it('derives every field of the view from exactly the contributions canSee allows', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        const policy = definePolicy({ communityGroupId: world.communityGroup, hideSuspendedContributors: world.hideSuspended });
        const c: TrustContext = createTrustContext({ now: NOW, policy, organisations: world.orgs, groups: world.groups });
        const viewer = world.orgs[world.viewerIndex];
        const state: SignalState = { signalId: 'sig-p', type: world.type, canonical: 'v', categories: world.stateCategories, contributions: world.contributions };
        const visible = state.contributions.filter((x) => canSee(viewer, x, state, c, world.purpose).visible);
        const view: SignalView | undefined = viewOf(viewer, state, c, world.purpose);

        expect(audienceOf(state, world.orgs, c, world.purpose).includes(viewer.orgId)).toBe(view !== undefined);
        if (visible.length === 0) {
          expect(view).toBeUndefined();
          return;
        }
        if (!view) throw new Error('a visible contribution must yield a view');
        const want = expectedView(visible);
        expect(view.contributions.map((x) => x.contributionId).sort()).toEqual(want.ids);
        expect(view.categories).toEqual(want.categories);
        expect(view.status).toBe(want.status);
        expect(view.aggregates).toEqual(want.aggregates);
        expect(view.firstSeenAt.getTime()).toBe(want.firstSeenAt);
        expect(view.updatedAt.getTime()).toBe(want.updatedAt);
        for (const shown of view.contributions) {
          // Also as redacted: what the viewer receives must itself pass the policy.
          expect(canSee(viewer, shown, state, c, world.purpose).visible).toBe(true);
          if (world.purpose === 'bulk-export') expect(shown.marking).not.toBe('RED');
          if (shown.contributorOrgId !== viewer.orgId) expect(shown.namedOrgIds.every((id) => id === viewer.orgId)).toBe(true);
        }
        // Metamorphic: removing every hidden contribution (and the state's own categories) changes nothing.
        const onlyVisible = { ...state, categories: undefined, contributions: visible };
        expect(viewFingerprint(viewOf(viewer, onlyVisible, c, world.purpose))).toBe(viewFingerprint(view));
      }),
      { numRuns: 2000 },
    );
  });
});
