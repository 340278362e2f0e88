import { GrpcStatus } from '@signal-mesh/transport-grpc';
import type { OrganisationRecord } from '@signal-mesh/trust-data-access';
import type { ApiKeyRecord, ApiKeyScope, OrganisationKind } from '@signal-mesh/trust-domain';

import { requireAdministrator } from './authorization';
import { grpcStatusFor } from './errors';

const at = new Date('2025-01-01T00:00:00Z');
function caller(kind: OrganisationKind, scopes: ApiKeyScope[]) {
  const org: OrganisationRecord = { orgId: 'org_1', name: 'o', kind, tier: 4, status: 'ACTIVE', createdAt: at, updatedAt: at };
  const key: ApiKeyRecord = { keyId: 'aaaaaaaaaaaa', orgId: 'org_1', scopes, secretHash: `sha256:${'0'.repeat(64)}`, createdAt: at };
  return { org, key };
}
const refusal = (fn: () => void) => {
  try {
    fn();
    return undefined;
  } catch (err) {
    const code = (err as { code: string }).code;
    return { code, status: grpcStatusFor(code) };
  }
};

describe(requireAdministrator.name, () => {
  it('grants an ADMIN key of an OPERATOR organisation, alone or with other scopes', () => {
    expect(refusal(() => requireAdministrator(caller('OPERATOR', ['ADMIN'])))).toBeUndefined();
    expect(refusal(() => requireAdministrator(caller('OPERATOR', ['CONTRIBUTE', 'ADMIN'])))).toBeUndefined();
  });

  it.each(['PLATFORM', 'NGO', 'SEARCH_ENGINE', 'HOTLINE', 'RESEARCHER'] as const)('denies an ADMIN key of a %s organisation', (kind) => {
    expect(refusal(() => requireAdministrator(caller(kind, ['ADMIN'])))).toEqual({ code: 'NOT_OPERATOR', status: GrpcStatus.PERMISSION_DENIED });
  });

  it.each([[['CONTRIBUTE']], [['SUBSCRIBE']], [['CONTRIBUTE', 'SUBSCRIBE']], [[]]] as [ApiKeyScope[]][])('denies an operator key scoped %j', (scopes) => {
    expect(refusal(() => requireAdministrator(caller('OPERATOR', scopes)))).toEqual({ code: 'API_KEY_WRONG_SCOPE', status: GrpcStatus.PERMISSION_DENIED });
  });

  it('names the organisation kind before the scope when both are wrong', () => {
    expect(refusal(() => requireAdministrator(caller('NGO', ['SUBSCRIBE'])))?.code).toBe('NOT_OPERATOR');
  });
});
