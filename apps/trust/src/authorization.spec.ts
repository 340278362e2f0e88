import { GrpcStatus } from '@signal-mesh/transport-grpc';
import type { OrganisationRecord } from '@signal-mesh/trust-data-access';
import { type ApiKeyRecord, type ApiKeyScope, createTrustContext, type Organisation, type OrganisationKind, type Tier } from '@signal-mesh/trust-domain';

import { type AuthorizeAction, type AuthorizeResource, decideAuthorization, requireAdministrator, requireKeyRotator, requireViewer } from './authorization';
import { grpcStatusFor } from './errors';

const at = new Date('2025-01-01T00:00:00Z');
function caller(kind: OrganisationKind, scopes: ApiKeyScope[], tier: Tier = 4) {
  const org: OrganisationRecord = { orgId: 'org_1', name: 'o', kind, tier, status: 'ACTIVE', createdAt: at, updatedAt: at };
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

describe(requireKeyRotator.name, () => {
  it("grants an operator ADMIN key for any organisation's key, and an ADMIN key for its own organisation's key", () => {
    expect(refusal(() => requireKeyRotator(caller('OPERATOR', ['ADMIN']), 'org_other'))).toBeUndefined();
    expect(refusal(() => requireKeyRotator(caller('OPERATOR', ['ADMIN']), undefined))).toBeUndefined();
    expect(refusal(() => requireKeyRotator(caller('NGO', ['ADMIN']), 'org_1'))).toBeUndefined();
    expect(refusal(() => requireKeyRotator(caller('PLATFORM', ['SUBSCRIBE', 'ADMIN']), 'org_1'))).toBeUndefined();
  });

  it.each(['PLATFORM', 'NGO', 'SEARCH_ENGINE', 'HOTLINE', 'RESEARCHER'] as const)("denies a %s ADMIN key another organisation's key, and an unknown key alike", (kind) => {
    const denied = { code: 'NOT_KEY_OWNER', status: GrpcStatus.PERMISSION_DENIED };
    expect(refusal(() => requireKeyRotator(caller(kind, ['ADMIN']), 'org_other'))).toEqual(denied);
    expect(refusal(() => requireKeyRotator(caller(kind, ['ADMIN']), undefined))).toEqual(denied);
  });

  it.each([[['CONTRIBUTE']], [['SUBSCRIBE']], [['CONTRIBUTE', 'SUBSCRIBE']], [[]]] as [ApiKeyScope[]][])('denies a key scoped %j, even for its own organisation and even an operator', (scopes) => {
    const denied = { code: 'API_KEY_WRONG_SCOPE', status: GrpcStatus.PERMISSION_DENIED };
    expect(refusal(() => requireKeyRotator(caller('NGO', scopes), 'org_1'))).toEqual(denied);
    expect(refusal(() => requireKeyRotator(caller('OPERATOR', scopes), 'org_other'))).toEqual(denied);
    // Without ADMIN the answer does not depend on whether the key exists.
    expect(refusal(() => requireKeyRotator(caller('NGO', scopes), undefined))).toEqual(denied);
  });
});

describe(decideAuthorization.name, () => {
  const other: Organisation = { orgId: 'org_2', kind: 'NGO', tier: 2, status: 'ACTIVE' };
  const resource = (r: Partial<AuthorizeResource> = {}): AuthorizeResource => ({
    signalType: 'url',
    categories: ['service.nudify'],
    marking: 'GREEN',
    sharingGroupIds: [],
    namedOrgIds: [],
    ownerOrgId: '',
    targetOrgId: '',
    ...r,
  });
  const decide = (c: ReturnType<typeof caller>, action: AuthorizeAction, r: AuthorizeResource = resource(), extra: Partial<Parameters<typeof createTrustContext>[0]> = {}) => {
    const ctx = createTrustContext({ now: at, organisations: [c.org, other], groups: [{ groupId: 'grp_1', memberOrgIds: ['org_1', 'org_2'] }], ...extra });
    const d = decideAuthorization(c, action, r, ctx);
    return d.allowed ? 'ALLOWED' : d.code;
  };

  describe('CONTRIBUTE and DISPUTE', () => {
    it.each(['CONTRIBUTE', 'DISPUTE'] as const)('%s: grants a CONTRIBUTE key within the policy, for every marking with its audience', (action) => {
      const c = caller('NGO', ['CONTRIBUTE']);
      expect(decide(c, action)).toBe('ALLOWED');
      expect(decide(c, action, resource({ marking: 'AMBER', sharingGroupIds: ['grp_1'] }))).toBe('ALLOWED');
      expect(decide(c, action, resource({ marking: 'RED', namedOrgIds: ['org_2'] }))).toBe('ALLOWED');
    });

    it.each(['CONTRIBUTE', 'DISPUTE'] as const)('%s: denies keys without the CONTRIBUTE scope, before any policy check', (action) => {
      expect(decide(caller('NGO', ['SUBSCRIBE']), action)).toBe('API_KEY_WRONG_SCOPE');
      expect(decide(caller('NGO', ['ADMIN']), action)).toBe('API_KEY_WRONG_SCOPE');
      expect(decide(caller('OPERATOR', ['ADMIN']), action)).toBe('API_KEY_WRONG_SCOPE');
      expect(decide(caller('NGO', ['SUBSCRIBE'], 1), action, resource({ signalType: 'prompt-pattern' }))).toBe('API_KEY_WRONG_SCOPE');
    });

    it('denies by the trust domain policy: tier, entitlements, markings, audiences, unknown values', () => {
      expect(decide(caller('NGO', ['CONTRIBUTE'], 2), 'CONTRIBUTE', resource({ signalType: 'prompt-pattern', categories: [] }))).toBe('TIER_TOO_LOW');
      expect(decide(caller('SEARCH_ENGINE', ['CONTRIBUTE']), 'CONTRIBUTE', resource({ signalType: 'model-hash' }))).toBe('NOT_ENTITLED');
      expect(decide(caller('SEARCH_ENGINE', ['CONTRIBUTE']), 'CONTRIBUTE', resource({ categories: ['service.nudify', 'other'] }))).toBe('NOT_ENTITLED');
      expect(decide(caller('SEARCH_ENGINE', ['CONTRIBUTE']), 'CONTRIBUTE')).toBe('ALLOWED');
      expect(decide(caller('OPERATOR', ['CONTRIBUTE']), 'CONTRIBUTE')).toBe('NOT_ENTITLED');
      expect(decide(caller('NGO', ['CONTRIBUTE']), 'CONTRIBUTE', resource({}), { entitlements: { org_1: { receive: [], contribute: [] } } })).toBe('NOT_ENTITLED');
      expect(decide(caller('NGO', ['CONTRIBUTE'], 4), 'CONTRIBUTE', resource({ signalType: 'prompt-pattern', marking: 'CLEAR' }))).toBe('MARKING_NOT_ALLOWED');
      expect(decide(caller('NGO', ['CONTRIBUTE']), 'CONTRIBUTE', resource({ marking: 'AMBER' }))).toBe('SHARING_GROUP_REQUIRED');
      expect(decide(caller('NGO', ['CONTRIBUTE']), 'CONTRIBUTE', resource({ marking: 'AMBER', sharingGroupIds: ['grp_x'] }))).toBe('UNKNOWN_SHARING_GROUP');
      expect(decide(caller('NGO', ['CONTRIBUTE']), 'CONTRIBUTE', resource({ marking: 'RED' }))).toBe('NAMED_ORG_REQUIRED');
      expect(decide(caller('NGO', ['CONTRIBUTE']), 'CONTRIBUTE', resource({ marking: 'RED', namedOrgIds: ['org_x'] }))).toBe('UNKNOWN_NAMED_ORG');
      expect(decide(caller('NGO', ['CONTRIBUTE']), 'CONTRIBUTE', resource({ namedOrgIds: ['org_2'] }))).toBe('AUDIENCE_NOT_APPLICABLE');
      expect(decide(caller('NGO', ['CONTRIBUTE']), 'CONTRIBUTE', resource({ signalType: undefined }))).toBe('UNKNOWN_SIGNAL_TYPE');
      expect(decide(caller('NGO', ['CONTRIBUTE']), 'CONTRIBUTE', resource({ marking: undefined }))).toBe('UNKNOWN_MARKING');
    });
  });

  it('REVOKE: grants the contributor with a CONTRIBUTE key, denies anyone else and other scopes', () => {
    expect(decide(caller('NGO', ['CONTRIBUTE']), 'REVOKE', resource({ ownerOrgId: 'org_1' }))).toBe('ALLOWED');
    expect(decide(caller('NGO', ['CONTRIBUTE']), 'REVOKE', resource({ ownerOrgId: 'org_2' }))).toBe('NOT_OWNER');
    expect(decide(caller('NGO', ['CONTRIBUTE']), 'REVOKE', resource({ ownerOrgId: '' }))).toBe('NOT_OWNER');
    expect(decide(caller('OPERATOR', ['CONTRIBUTE', 'ADMIN']), 'REVOKE', resource({ ownerOrgId: 'org_2' }))).toBe('NOT_OWNER');
    expect(decide(caller('NGO', ['SUBSCRIBE', 'ADMIN']), 'REVOKE', resource({ ownerOrgId: 'org_1' }))).toBe('API_KEY_WRONG_SCOPE');
  });

  it.each(['SUBSCRIBE', 'LOOKUP'] as const)('%s: grants a SUBSCRIBE key its own feed, denies other scopes and other feeds', (action) => {
    expect(decide(caller('PLATFORM', ['SUBSCRIBE']), action)).toBe('ALLOWED');
    expect(decide(caller('PLATFORM', ['SUBSCRIBE']), action, resource({ targetOrgId: 'org_1' }))).toBe('ALLOWED');
    expect(decide(caller('PLATFORM', ['SUBSCRIBE']), action, resource({ targetOrgId: 'org_2' }))).toBe('NOT_OWN_FEED');
    expect(decide(caller('PLATFORM', ['CONTRIBUTE']), action)).toBe('API_KEY_WRONG_SCOPE');
    expect(decide(caller('OPERATOR', ['ADMIN']), action)).toBe('API_KEY_WRONG_SCOPE');
  });

  it('PULL_DELISTING: grants only a SEARCH_ENGINE with a SUBSCRIBE key', () => {
    expect(decide(caller('SEARCH_ENGINE', ['SUBSCRIBE']), 'PULL_DELISTING')).toBe('ALLOWED');
    expect(decide(caller('SEARCH_ENGINE', ['CONTRIBUTE', 'ADMIN']), 'PULL_DELISTING')).toBe('API_KEY_WRONG_SCOPE');
    for (const kind of ['PLATFORM', 'NGO', 'HOTLINE', 'RESEARCHER', 'OPERATOR'] as const) {
      expect(decide(caller(kind, ['SUBSCRIBE', 'ADMIN']), 'PULL_DELISTING')).toBe('NOT_SEARCH_ENGINE');
    }
  });

  it('ADMINISTER: grants only an operator ADMIN key', () => {
    expect(decide(caller('OPERATOR', ['ADMIN']), 'ADMINISTER')).toBe('ALLOWED');
    expect(decide(caller('OPERATOR', ['SUBSCRIBE', 'CONTRIBUTE']), 'ADMINISTER')).toBe('API_KEY_WRONG_SCOPE');
    expect(decide(caller('NGO', ['ADMIN']), 'ADMINISTER')).toBe('NOT_OPERATOR');
  });

  it('denies an unknown action whatever the key', () => {
    expect(decide(caller('OPERATOR', ['ADMIN', 'CONTRIBUTE', 'SUBSCRIBE']), 'UNKNOWN')).toBe('UNKNOWN_ACTION');
  });
});

describe(requireViewer.name, () => {
  it('grants an organisation its own view with a SUBSCRIBE key, and an operator ADMIN key any view', () => {
    expect(refusal(() => requireViewer(caller('PLATFORM', ['SUBSCRIBE']), 'org_1'))).toBeUndefined();
    expect(refusal(() => requireViewer(caller('OPERATOR', ['ADMIN']), 'org_other'))).toBeUndefined();
  });

  it("denies another organisation's view, whatever the key, and own views without SUBSCRIBE", () => {
    for (const scopes of [['SUBSCRIBE'], ['ADMIN'], ['SUBSCRIBE', 'CONTRIBUTE', 'ADMIN']] as ApiKeyScope[][]) {
      expect(refusal(() => requireViewer(caller('NGO', scopes), 'org_other'))).toEqual({ code: 'NOT_OWN_VIEW', status: GrpcStatus.PERMISSION_DENIED });
    }
    expect(refusal(() => requireViewer(caller('OPERATOR', ['SUBSCRIBE']), 'org_other'))).toEqual({ code: 'NOT_OWN_VIEW', status: GrpcStatus.PERMISSION_DENIED });
    for (const scopes of [['CONTRIBUTE'], ['ADMIN'], []] as ApiKeyScope[][]) {
      expect(refusal(() => requireViewer(caller('NGO', scopes), 'org_1'))).toEqual({ code: 'API_KEY_WRONG_SCOPE', status: GrpcStatus.PERMISSION_DENIED });
    }
  });
});
