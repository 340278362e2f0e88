import {
  Action as ProtoAction,
  type ApiKey,
  ApiKeyScope as ProtoScope,
  type Entitlements as ProtoEntitlements,
  type Organisation,
  type OrganisationKind as ProtoKind,
  type Principal,
  type SharingGroup,
  type SignalType as ProtoSignalType,
  type TlpMarking as ProtoMarking,
} from '@signal-mesh/contracts';
import type { OrganisationRecord, SharingGroupRecord } from '@signal-mesh/trust-data-access';
import type { ApiKeyRecord, ApiKeyScope, Entitlements, Marking, OrganisationKind, SignalType, Tier } from '@signal-mesh/trust-domain';
import {
  entitlementsFromProto as mapEntitlements,
  isTrustEventMappingError,
  organisationKinds,
  organisationStatuses,
  trustMarkings,
  trustSignalTypes,
} from '@signal-mesh/trust-event-mapping';

import type { AuthorizeAction } from './authorization';
import { TrustServiceError } from './errors';

// Domain spellings ↔ proto enums (kinds, statuses, signal types, markings: @signal-mesh/trust-event-mapping).
// Unknown or UNSPECIFIED proto values are refused, never defaulted.
const scopes: Record<ApiKeyScope, ProtoScope> = {
  CONTRIBUTE: ProtoScope.API_KEY_SCOPE_CONTRIBUTE,
  SUBSCRIBE: ProtoScope.API_KEY_SCOPE_SUBSCRIBE,
  ADMIN: ProtoScope.API_KEY_SCOPE_ADMIN,
};

function reverse<K extends string, V>(map: Record<K, V>, value: V): K | undefined {
  return (Object.keys(map) as K[]).find((k) => map[k] === value);
}

export const kindToProto = (kind: OrganisationKind): ProtoKind => organisationKinds.toProto(kind);
export const scopeToProto = (scope: ApiKeyScope): ProtoScope => scopes[scope];

export function kindFromProto(kind: ProtoKind): OrganisationKind {
  const found = organisationKinds.fromProto(kind);
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
    kind: organisationKinds.toProto(org.kind),
    tier: org.tier,
    status: organisationStatuses.toProto(org.status),
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
  return { orgId: org.orgId, orgKind: organisationKinds.toProto(org.kind), tier: org.tier, scopes: key.scopes.map(scopeToProto), keyId: key.keyId, keyExpiresAt: key.expiresAt };
}

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
export const signalTypeFromProto = (type: ProtoSignalType): SignalType | undefined => trustSignalTypes.fromProto(type);
export const signalTypeToProto = (type: SignalType): ProtoSignalType => trustSignalTypes.toProto(type);
export const markingFromProto = (marking: ProtoMarking): Marking | undefined => trustMarkings.fromProto(marking);
export const actionFromProto = (action: ProtoAction): AuthorizeAction => reverse(actions, action) ?? 'UNKNOWN';

/** Tier for SetTrustTier: 1–4, never defaulted. */
export function requiredTierFromProto(tier: number): Tier {
  if (tier === 1 || tier === 2 || tier === 3 || tier === 4) return tier;
  throw new TrustServiceError('INVALID_ARGUMENT', 'tier must be between 1 and 4', 'tier');
}

export function sharingGroupToProto(group: SharingGroupRecord): SharingGroup {
  return { groupId: group.groupId, name: group.name, description: group.description, memberOrgIds: [...group.memberOrgIds], createdAt: group.createdAt, updatedAt: group.updatedAt };
}

/** Complete entitlements from a request (replace, not merge); every type and category is validated. */
export function entitlementsFromProto(entitlements: ProtoEntitlements): Entitlements {
  try {
    return mapEntitlements(entitlements);
  } catch (err) {
    if (isTrustEventMappingError(err)) throw new TrustServiceError('INVALID_ARGUMENT', err.message, err.field);
    throw err;
  }
}

export { entitlementsToProto } from '@signal-mesh/trust-event-mapping';
