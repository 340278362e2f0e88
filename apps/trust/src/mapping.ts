import { type ApiKey, ApiKeyScope as ProtoScope, type Organisation, OrganisationKind as ProtoKind, OrganisationStatus as ProtoStatus, type Principal } from '@signal-mesh/contracts';
import type { OrganisationRecord } from '@signal-mesh/trust-data-access';
import type { ApiKeyRecord, ApiKeyScope, OrganisationKind, OrganisationStatus, Tier } from '@signal-mesh/trust-domain';

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
