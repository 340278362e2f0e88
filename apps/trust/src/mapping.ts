import {
  Action as ProtoAction,
  type ApiKey,
  ApiKeyScope as ProtoScope,
  type EntitlementRule as ProtoRule,
  type Entitlements as ProtoEntitlements,
  type Organisation,
  OrganisationKind as ProtoKind,
  OrganisationStatus as ProtoStatus,
  type Principal,
  type SharingGroup,
  SignalType as ProtoSignalType,
  TlpMarking as ProtoMarking,
} from '@signal-mesh/contracts';
import type { OrganisationRecord, SharingGroupRecord } from '@signal-mesh/trust-data-access';
import type { ApiKeyRecord, ApiKeyScope, EntitlementRule, Entitlements, Marking, OrganisationKind, OrganisationStatus, SignalType, Tier } from '@signal-mesh/trust-domain';

import type { AuthorizeAction } from './authorization';
import { TrustServiceError } from './errors';

// Domain spellings ↔ proto enums. Unknown or UNSPECIFIED proto values are refused, never defaulted.
const kinds: Record<OrganisationKind, ProtoKind> = {
  PLATFORM: ProtoKind.ORGANISATION_KIND_PLATFORM,
  NGO: ProtoKind.ORGANISATION_KIND_NGO,
  SEARCH_ENGINE: ProtoKind.ORGANISATION_KIND_SEARCH_ENGINE,
  HOTLINE: ProtoKind.ORGANISATION_KIND_HOTLINE,
  RESEARCHER: ProtoKind.ORGANISATION_KIND_RESEARCHER,
  OPERATOR: ProtoKind.ORGANISATION_KIND_OPERATOR,
};
const scopes: Record<ApiKeyScope, ProtoScope> = {
  CONTRIBUTE: ProtoScope.API_KEY_SCOPE_CONTRIBUTE,
  SUBSCRIBE: ProtoScope.API_KEY_SCOPE_SUBSCRIBE,
  ADMIN: ProtoScope.API_KEY_SCOPE_ADMIN,
};
const statuses: Record<OrganisationStatus, ProtoStatus> = {
  ACTIVE: ProtoStatus.ORGANISATION_STATUS_ACTIVE,
  SUSPENDED: ProtoStatus.ORGANISATION_STATUS_SUSPENDED,
};

function reverse<K extends string, V>(map: Record<K, V>, value: V): K | undefined {
  return (Object.keys(map) as K[]).find((k) => map[k] === value);
}

export const kindToProto = (kind: OrganisationKind): ProtoKind => kinds[kind];
export const scopeToProto = (scope: ApiKeyScope): ProtoScope => scopes[scope];

export function kindFromProto(kind: ProtoKind): OrganisationKind {
  const found = reverse(kinds, kind);
  if (!found) throw new TrustServiceError('INVALID_ARGUMENT', 'kind must be a known organisation kind', 'kind');
  return found;
}

/** Scopes from a request: at least one, each known; duplicates collapse. */
export function scopesFromProto(requested: readonly ProtoScope[]): ApiKeyScope[] {
  if (requested.length === 0) throw new TrustServiceError('INVALID_ARGUMENT', 'at least one scope is required', 'scopes');
  const out = new Set<ApiKeyScope>();
  for (const s of requested) {
    const found = reverse(scopes, s);
    if (!found) throw new TrustServiceError('INVALID_ARGUMENT', 'scopes must be known API key scopes', 'scopes');
    out.add(found);
  }
  return [...out];
}

/** Tier from a request: 0 (unset) means the lowest tier, 1. */
export function tierFromProto(tier: number): Tier {
  if (tier === 0) return 1;
  if (tier === 1 || tier === 2 || tier === 3 || tier === 4) return tier;
  throw new TrustServiceError('INVALID_ARGUMENT', 'tier must be between 1 and 4', 'tier');
}

export function organisationToProto(org: OrganisationRecord): Organisation {
  return {
    orgId: org.orgId,
    name: org.name,
    kind: kinds[org.kind],
    tier: org.tier,
    status: statuses[org.status],
    suspensionReason: org.suspensionReason ?? '',
    createdAt: org.createdAt,
    updatedAt: org.updatedAt,
  };
}

/** Key metadata only: the record's secret hash never leaves the service. */
export function apiKeyToProto(key: ApiKeyRecord): ApiKey {
  return {
    keyId: key.keyId,
    orgId: key.orgId,
    label: key.label ?? '',
    scopes: key.scopes.map(scopeToProto),
    createdAt: key.createdAt,
    expiresAt: key.expiresAt,
    revokedAt: key.revokedAt,
  };
}

export function principalToProto(org: OrganisationRecord, key: ApiKeyRecord): Principal {
  return { orgId: org.orgId, orgKind: kinds[org.kind], tier: org.tier, scopes: key.scopes.map(scopeToProto), keyId: key.keyId, keyExpiresAt: key.expiresAt };
}

const signalTypes: Record<SignalType, ProtoSignalType> = {
  'model-hash': ProtoSignalType.SIGNAL_TYPE_MODEL_HASH,
  url: ProtoSignalType.SIGNAL_TYPE_URL,
  'prompt-pattern': ProtoSignalType.SIGNAL_TYPE_PROMPT_PATTERN,
};
const markings: Record<Marking, ProtoMarking> = {
  CLEAR: ProtoMarking.TLP_MARKING_CLEAR,
  GREEN: ProtoMarking.TLP_MARKING_GREEN,
  AMBER: ProtoMarking.TLP_MARKING_AMBER,
  AMBER_STRICT: ProtoMarking.TLP_MARKING_AMBER_STRICT,
  RED: ProtoMarking.TLP_MARKING_RED,
};
const actions: Record<Exclude<AuthorizeAction, 'UNKNOWN'>, ProtoAction> = {
  CONTRIBUTE: ProtoAction.ACTION_CONTRIBUTE,
  REVOKE: ProtoAction.ACTION_REVOKE,
  DISPUTE: ProtoAction.ACTION_DISPUTE,
  SUBSCRIBE: ProtoAction.ACTION_SUBSCRIBE,
  LOOKUP: ProtoAction.ACTION_LOOKUP,
  PULL_DELISTING: ProtoAction.ACTION_PULL_DELISTING,
  ADMINISTER: ProtoAction.ACTION_ADMINISTER,
};

/** Undefined for UNSPECIFIED or unknown values: callers fail closed. */
export const signalTypeFromProto = (type: ProtoSignalType): SignalType | undefined => reverse(signalTypes, type);
export const signalTypeToProto = (type: SignalType): ProtoSignalType => signalTypes[type];
export const markingFromProto = (marking: ProtoMarking): Marking | undefined => reverse(markings, marking);
export const actionFromProto = (action: ProtoAction): AuthorizeAction => reverse(actions, action) ?? 'UNKNOWN';

/** Tier for SetTrustTier: 1–4, never defaulted. */
export function requiredTierFromProto(tier: number): Tier {
  if (tier === 1 || tier === 2 || tier === 3 || tier === 4) return tier;
  throw new TrustServiceError('INVALID_ARGUMENT', 'tier must be between 1 and 4', 'tier');
}

export function sharingGroupToProto(group: SharingGroupRecord): SharingGroup {
  return { groupId: group.groupId, name: group.name, description: group.description, memberOrgIds: [...group.memberOrgIds], createdAt: group.createdAt, updatedAt: group.updatedAt };
}

const MAX_RULES = 50;
const MAX_CATEGORIES = 50;
const CATEGORY_RE = /^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$/;

function rulesFromProto(rules: readonly ProtoRule[], field: string): EntitlementRule[] {
  if (rules.length > MAX_RULES) throw new TrustServiceError('INVALID_ARGUMENT', `at most ${MAX_RULES} rules`, field);
  return rules.map((rule, i) => {
    const signalType = signalTypeFromProto(rule.signalType);
    if (!signalType) throw new TrustServiceError('INVALID_ARGUMENT', 'signal_type must be a known signal type', `${field}[${i}].signal_type`);
    if (rule.categories.length > MAX_CATEGORIES) throw new TrustServiceError('INVALID_ARGUMENT', `at most ${MAX_CATEGORIES} categories`, `${field}[${i}].categories`);
    for (const category of rule.categories) {
      if (category.length > 100 || !CATEGORY_RE.test(category)) throw new TrustServiceError('INVALID_ARGUMENT', 'categories must be dotted lower-case names', `${field}[${i}].categories`);
    }
    return { signalType, categories: [...new Set(rule.categories)] };
  });
}

/** Complete entitlements from a request (replace, not merge); every type and category is validated. */
export function entitlementsFromProto(entitlements: ProtoEntitlements): Entitlements {
  return { receive: rulesFromProto(entitlements.receive, 'entitlements.receive'), contribute: rulesFromProto(entitlements.contribute, 'entitlements.contribute') };
}

export function entitlementsToProto(orgId: string, entitlements: Entitlements): ProtoEntitlements {
  const rules = (list: readonly EntitlementRule[]) => list.map((rule) => ({ signalType: signalTypes[rule.signalType], categories: [...rule.categories] }));
  return { orgId, receive: rules(entitlements.receive), contribute: rules(entitlements.contribute) };
}
