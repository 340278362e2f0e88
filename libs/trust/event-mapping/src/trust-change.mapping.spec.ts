import { OrganisationKind, OrganisationStatus, SignalType, TrustChangeEvent, TrustChangeKind } from '@signal-mesh/contracts';
import { TrustSnapshot } from '@signal-mesh/trust-domain';

import { trustChangeFromEvent } from './trust-change.mapping';

const at = new Date('2025-01-01T00:00:00Z');
type Entity = NonNullable<TrustChangeEvent['entity']>;
const event = (entityId: string, entity: Entity, overrides: Partial<TrustChangeEvent> = {}): TrustChangeEvent =>
  TrustChangeEvent.fromPartial({ entityId, version: '1735689600000', change: TrustChangeKind.TRUST_CHANGE_KIND_UPDATED, changedAt: at, actorOrgId: 'org-operator', entity, ...overrides });

const organisation = (overrides: Record<string, unknown> = {}): Entity => ({
  $case: 'organisation',
  value: { orgId: 'org-1', name: 'Example NGO', kind: OrganisationKind.ORGANISATION_KIND_NGO, tier: 3, status: OrganisationStatus.ORGANISATION_STATUS_ACTIVE, suspensionReason: '', createdAt: at, updatedAt: at, ...overrides },
});

const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return { name: (err as Error).name, code: (err as { code?: string }).code, field: (err as { field?: string }).field };
  }
  throw new Error('expected a TrustEventMappingError');
};

describe(trustChangeFromEvent.name, () => {
  it('maps an organisation to its domain fields only', () => {
    expect(trustChangeFromEvent(event('organisation/org-1', organisation()))).toEqual({
      kind: 'organisation',
      version: '1735689600000',
      deleted: false,
      org: { orgId: 'org-1', kind: 'NGO', tier: 3, status: 'ACTIVE' },
    });
    expect(trustChangeFromEvent(event('organisation/org-1', organisation({ status: OrganisationStatus.ORGANISATION_STATUS_SUSPENDED, kind: OrganisationKind.ORGANISATION_KIND_OPERATOR }))).kind).toBe('organisation');
  });

  it('maps a sharing group, collapsing duplicate members', () => {
    const entity: Entity = { $case: 'sharingGroup', value: { groupId: 'grp-1', name: 'Hotlines', description: '', memberOrgIds: ['org-1', 'org-2', 'org-1'], createdAt: at, updatedAt: at } };
    expect(trustChangeFromEvent(event('sharing-group/grp-1', entity))).toEqual({ kind: 'sharing-group', version: '1735689600000', deleted: false, group: { groupId: 'grp-1', memberOrgIds: ['org-1', 'org-2'] } });
  });

  it('maps entitlements with their rules', () => {
    const entity: Entity = {
      $case: 'entitlements',
      value: { orgId: 'org-1', receive: [{ signalType: SignalType.SIGNAL_TYPE_URL, categories: ['service.nudify'] }], contribute: [{ signalType: SignalType.SIGNAL_TYPE_MODEL_HASH, categories: [] }] },
    };
    expect(trustChangeFromEvent(event('entitlements/org-1', entity))).toEqual({
      kind: 'entitlements',
      version: '1735689600000',
      deleted: false,
      orgId: 'org-1',
      entitlements: { receive: [{ signalType: 'url', categories: ['service.nudify'] }], contribute: [{ signalType: 'model-hash', categories: [] }] },
    });
  });

  it('maps an API key to its id, organisation and whether it is revoked', () => {
    const key = { keyId: 'abcdefghijkl', orgId: 'org-1', label: 'ingest', scopes: [], createdAt: at };
    expect(trustChangeFromEvent(event('api-key/abcdefghijkl', { $case: 'apiKey', value: key }, { version: '1', change: TrustChangeKind.TRUST_CHANGE_KIND_CREATED }))).toEqual({
      kind: 'api-key',
      version: '1',
      deleted: false,
      keyId: 'abcdefghijkl',
      orgId: 'org-1',
      revoked: false,
    });
    expect(trustChangeFromEvent(event('api-key/abcdefghijkl', { $case: 'apiKey', value: { ...key, revokedAt: at } }, { version: '3' }))).toMatchObject({ revoked: true });
  });

  it('marks DELETED changes, keeping the last state', () => {
    expect(trustChangeFromEvent(event('organisation/org-1', organisation(), { change: TrustChangeKind.TRUST_CHANGE_KIND_DELETED }))).toMatchObject({ deleted: true, org: { orgId: 'org-1' } });
  });

  it.each([
    ['an UNSPECIFIED kind', event('organisation/org-1', organisation({ kind: OrganisationKind.ORGANISATION_KIND_UNSPECIFIED })), 'entity.organisation.kind'],
    ['an unknown kind', event('organisation/org-1', organisation({ kind: 42 })), 'entity.organisation.kind'],
    ['an UNSPECIFIED status', event('organisation/org-1', organisation({ status: OrganisationStatus.ORGANISATION_STATUS_UNSPECIFIED })), 'entity.organisation.status'],
    ['a tier of 0', event('organisation/org-1', organisation({ tier: 0 })), 'entity.organisation.tier'],
    ['a missing org id', event('organisation/', organisation({ orgId: '' })), 'entity.organisation.org_id'],
    ['a key that is not the entity', event('organisation/org-2', organisation()), 'entity_id'],
    ['a key of another kind', event('sharing-group/org-1', organisation()), 'entity_id'],
    ['a missing entity', event('organisation/org-1', undefined as unknown as Entity), 'entity'],
    ['an UNSPECIFIED change', event('organisation/org-1', organisation(), { change: TrustChangeKind.TRUST_CHANGE_KIND_UNSPECIFIED }), 'change'],
    ['version 0 (unset)', event('organisation/org-1', organisation(), { version: '0' }), 'version'],
    ['a non-numeric version', event('organisation/org-1', organisation(), { version: 'v2' }), 'version'],
    ['a missing group id', event('sharing-group/', { $case: 'sharingGroup', value: { groupId: '', name: '', description: '', memberOrgIds: [] } }), 'entity.sharing_group.group_id'],
    ['an empty member id', event('sharing-group/grp-1', { $case: 'sharingGroup', value: { groupId: 'grp-1', name: '', description: '', memberOrgIds: ['org-1', ''] } }), 'entity.sharing_group.member_org_ids[1]'],
    [
      'an unknown entitled signal type',
      event('entitlements/org-1', { $case: 'entitlements', value: { orgId: 'org-1', receive: [], contribute: [{ signalType: SignalType.SIGNAL_TYPE_UNSPECIFIED, categories: [] }] } }),
      'entity.entitlements.contribute[0].signal_type',
    ],
    ['a malformed category', event('entitlements/org-1', { $case: 'entitlements', value: { orgId: 'org-1', receive: [{ signalType: SignalType.SIGNAL_TYPE_URL, categories: ['Not A Category'] }], contribute: [] } }), 'entity.entitlements.receive[0].categories'],
    ['a missing entitlements org id', event('entitlements/', { $case: 'entitlements', value: { orgId: '', receive: [], contribute: [] } }), 'entity.entitlements.org_id'],
    ['a missing key org id', event('api-key/abcdefghijkl', { $case: 'apiKey', value: { keyId: 'abcdefghijkl', orgId: '', label: '', scopes: [] } }), 'entity.api_key.org_id'],
  ])('refuses %s', (_case, bad, field) => {
    expect(failure(() => trustChangeFromEvent(bad))).toEqual({ name: 'TrustEventMappingError', code: 'INVALID_TRUST_EVENT', field });
  });

  it('produces exactly what the trust snapshot applies', () => {
    const sut = new TrustSnapshot();
    const suspended = event('organisation/org-1', organisation({ status: OrganisationStatus.ORGANISATION_STATUS_SUSPENDED }), { version: '2' });
    sut.apply(trustChangeFromEvent(event('organisation/org-1', organisation(), { version: '1' })));
    expect(sut.apply(trustChangeFromEvent(suspended))).toEqual({ changed: true, affectedOrgIds: 'all' });
    // A decoded round trip of the same record is a replay.
    expect(sut.apply(trustChangeFromEvent(TrustChangeEvent.decode(TrustChangeEvent.encode(suspended).finish())))).toEqual({ changed: false, affectedOrgIds: [] });
    expect(sut.context(at).organisation('org-1')?.status).toBe('SUSPENDED');
  });
});
