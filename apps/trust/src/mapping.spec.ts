import { ApiKeyScope, OrganisationKind, OrganisationStatus } from '@signal-mesh/contracts';
import type { OrganisationRecord } from '@signal-mesh/trust-data-access';

import { apiKeyToProto, kindFromProto, organisationToProto, principalToProto, scopesFromProto, tierFromProto } from './mapping';

const at = new Date('2025-01-01T00:00:00Z');
const code = (fn: () => unknown) => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code: string; field?: string }).code;
  }
};

describe('proto mapping', () => {
  it('maps every known organisation kind and refuses UNSPECIFIED and unknown values', () => {
    expect(kindFromProto(OrganisationKind.ORGANISATION_KIND_OPERATOR)).toBe('OPERATOR');
    expect(kindFromProto(OrganisationKind.ORGANISATION_KIND_SEARCH_ENGINE)).toBe('SEARCH_ENGINE');
    expect(code(() => kindFromProto(OrganisationKind.ORGANISATION_KIND_UNSPECIFIED))).toBe('INVALID_ARGUMENT');
    expect(code(() => kindFromProto(OrganisationKind.UNRECOGNIZED))).toBe('INVALID_ARGUMENT');
    expect(code(() => kindFromProto(42 as OrganisationKind))).toBe('INVALID_ARGUMENT');
  });

  it('requires at least one known scope and collapses duplicates', () => {
    expect(scopesFromProto([ApiKeyScope.API_KEY_SCOPE_ADMIN, ApiKeyScope.API_KEY_SCOPE_ADMIN, ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE])).toEqual(['ADMIN', 'SUBSCRIBE']);
    expect(code(() => scopesFromProto([]))).toBe('INVALID_ARGUMENT');
    expect(code(() => scopesFromProto([ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE, ApiKeyScope.API_KEY_SCOPE_UNSPECIFIED]))).toBe('INVALID_ARGUMENT');
  });

  it('reads tier 0 as the lowest tier and refuses anything outside 1-4', () => {
    expect([0, 1, 2, 3, 4].map(tierFromProto)).toEqual([1, 1, 2, 3, 4]);
    expect(code(() => tierFromProto(5))).toBe('INVALID_ARGUMENT');
    expect(code(() => tierFromProto(1.5))).toBe('INVALID_ARGUMENT');
  });

  it('writes organisations, keys and principals without the secret hash', () => {
    const org: OrganisationRecord = { orgId: 'org_1', name: 'Hotline', kind: 'HOTLINE', tier: 3, status: 'SUSPENDED', suspensionReason: 'audit', createdAt: at, updatedAt: at };
    expect(organisationToProto(org)).toEqual({ orgId: 'org_1', name: 'Hotline', kind: OrganisationKind.ORGANISATION_KIND_HOTLINE, tier: 3, status: OrganisationStatus.ORGANISATION_STATUS_SUSPENDED, suspensionReason: 'audit', createdAt: at, updatedAt: at });
    const key = { keyId: 'abcdefghijkl', orgId: 'org_1', scopes: ['CONTRIBUTE' as const], secretHash: `sha256:${'a'.repeat(64)}`, createdAt: at };
    expect(JSON.stringify(apiKeyToProto(key))).not.toContain('sha256');
    expect(apiKeyToProto(key)).toMatchObject({ keyId: 'abcdefghijkl', label: '', scopes: [ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE] });
    expect(principalToProto(org, key)).toEqual({ orgId: 'org_1', orgKind: OrganisationKind.ORGANISATION_KIND_HOTLINE, tier: 3, scopes: [ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE], keyId: 'abcdefghijkl', keyExpiresAt: undefined });
  });
});
