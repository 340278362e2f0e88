/**
 * The trust model. Spellings follow the signal domain lib and the proto enums; this lib may depend on util libs only,
 * so the few unions it needs from the signal domain are repeated here.
 */

/** Same spellings as `SignalType` in @signal-mesh/signals-domain. */
export type SignalType = 'model-hash' | 'url' | 'prompt-pattern';
export const SIGNAL_TYPES: readonly SignalType[] = ['model-hash', 'url', 'prompt-pattern'];

export type OrganisationKind = 'PLATFORM' | 'NGO' | 'SEARCH_ENGINE' | 'HOTLINE' | 'RESEARCHER' | 'OPERATOR';
export const ORGANISATION_KINDS: readonly OrganisationKind[] = ['PLATFORM', 'NGO', 'SEARCH_ENGINE', 'HOTLINE', 'RESEARCHER', 'OPERATOR'];

/** Trust tier, 1 (lowest) to 4 (highest). */
export type Tier = 1 | 2 | 3 | 4;
export type OrganisationStatus = 'ACTIVE' | 'SUSPENDED';

export interface Organisation {
  readonly orgId: string;
  readonly kind: OrganisationKind;
  readonly tier: Tier;
  readonly status: OrganisationStatus;
}

export interface SharingGroup {
  readonly groupId: string;
  readonly memberOrgIds: readonly string[];
}

/**
 * Grants one signal type. Empty `categories` means every category of the type; an entry also covers its dotted
 * sub-categories ("service.nudify" covers "service.nudify.tutorial", not "service.nudifyx").
 */
export interface EntitlementRule {
  readonly signalType: SignalType;
  readonly categories: readonly string[];
}

export interface Entitlements {
  readonly receive: readonly EntitlementRule[];
  readonly contribute: readonly EntitlementRule[];
}

/** FIRST TLP 2.0. */
export type Marking = 'CLEAR' | 'GREEN' | 'AMBER' | 'AMBER_STRICT' | 'RED';
export const MARKINGS: readonly Marking[] = ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED'];

export type Opinion = 'POSITIVE' | 'NEGATIVE';

/** One organisation's statement about a signal, with its own marking and audience. */
export interface Contribution {
  readonly contributionId: string;
  readonly contributorOrgId: string;
  readonly marking: Marking;
  /** Audience for AMBER. */
  readonly sharingGroupIds: readonly string[];
  /** Audience for AMBER_STRICT and RED. */
  readonly namedOrgIds: readonly string[];
  /** 0–100. */
  readonly confidence: number;
  readonly opinion: Opinion;
  readonly categories: readonly string[];
  /** Unset: no expiry. Still valid at exactly this instant. */
  readonly validUntil?: Date;
  /** Set once revoked; a revoked contribution is in nobody's view. */
  readonly revokedAt?: Date;
  readonly createdAt: Date;
}

/** The full canonical state of a signal: every contribution, whoever may see it. */
export interface SignalState {
  readonly signalId: string;
  readonly type: SignalType;
  readonly canonical: string;
  /** Union over all contributions; never copied into a view (it may name hidden categories). */
  readonly categories?: readonly string[];
  readonly contributions: readonly Contribution[];
}

/** Why a view or export is requested: RED never goes into bulk lists or exports. */
export type Purpose = 'view' | 'bulk-export';
