import type { EntitlementRule, Entitlements, Marking, OrganisationKind, SignalType, Tier } from './model';

/** The configurable part of the visibility policy. The TLP decision table itself is not configurable. */
export interface TrustPolicy {
  /** Minimum trust tier to receive or contribute each signal type. */
  readonly minTier: Readonly<Record<SignalType, Tier>>;
  /** Entitlements of an organisation that has none set explicitly (explicit ones replace these, never merge). */
  readonly defaultEntitlements: Readonly<Record<OrganisationKind, Entitlements>>;
  /**
   * Who counts as "the community" for GREEN. Unset: every ACTIVE member of the mesh. Set: only members of this
   * sharing group (plus the contributor); an unknown group means nobody else (fail closed).
   */
  readonly communityGroupId?: string;
  /** Hide contributions of suspended contributors from everybody else (they may be why it was suspended). */
  readonly hideSuspendedContributors: boolean;
  /** Markings a contribution of each type may carry. Prompt patterns are dual-use: never CLEAR (publishable). */
  readonly allowedMarkings: Readonly<Record<SignalType, readonly Marking[]>>;
}

const ALL_TYPES = (): EntitlementRule[] => [
  { signalType: 'model-hash', categories: [] },
  { signalType: 'url', categories: [] },
  { signalType: 'prompt-pattern', categories: [] },
];
const NUDIFY_URLS: EntitlementRule[] = [{ signalType: 'url', categories: ['service.nudify'] }];
const HASHES_AND_URLS: EntitlementRule[] = [
  { signalType: 'model-hash', categories: [] },
  { signalType: 'url', categories: [] },
];

export const DEFAULT_TRUST_POLICY: TrustPolicy = {
  minTier: { 'model-hash': 1, url: 1, 'prompt-pattern': 3 },
  defaultEntitlements: {
    PLATFORM: { receive: ALL_TYPES(), contribute: ALL_TYPES() },
    NGO: { receive: ALL_TYPES(), contribute: ALL_TYPES() },
    HOTLINE: { receive: ALL_TYPES(), contribute: ALL_TYPES() },
    SEARCH_ENGINE: { receive: NUDIFY_URLS, contribute: NUDIFY_URLS },
    RESEARCHER: { receive: HASHES_AND_URLS, contribute: HASHES_AND_URLS },
    // Operators administer the mesh; they need no signal content (least privilege). Grant explicitly if needed.
    OPERATOR: { receive: [], contribute: [] },
  },
  communityGroupId: undefined,
  hideSuspendedContributors: true,
  allowedMarkings: {
    'model-hash': ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED'],
    url: ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED'],
    'prompt-pattern': ['GREEN', 'AMBER', 'AMBER_STRICT', 'RED'],
  },
};

/** The default policy with some settings replaced (records are replaced per key, not merged deeply). */
export function definePolicy(overrides: {
  readonly minTier?: Partial<Record<SignalType, Tier>>;
  readonly defaultEntitlements?: Partial<Record<OrganisationKind, Entitlements>>;
  readonly communityGroupId?: string;
  readonly hideSuspendedContributors?: boolean;
  readonly allowedMarkings?: Partial<Record<SignalType, readonly Marking[]>>;
}): TrustPolicy {
  return {
    minTier: { ...DEFAULT_TRUST_POLICY.minTier, ...overrides.minTier },
    defaultEntitlements: { ...DEFAULT_TRUST_POLICY.defaultEntitlements, ...overrides.defaultEntitlements },
    communityGroupId: overrides.communityGroupId ?? DEFAULT_TRUST_POLICY.communityGroupId,
    hideSuspendedContributors: overrides.hideSuspendedContributors ?? DEFAULT_TRUST_POLICY.hideSuspendedContributors,
    allowedMarkings: { ...DEFAULT_TRUST_POLICY.allowedMarkings, ...overrides.allowedMarkings },
  };
}
