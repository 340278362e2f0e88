import { type TrustChangeEvent, TrustChangeKind } from '@signal-mesh/contracts';
import { type Tier, type TrustChange, trustEntityKey } from '@signal-mesh/trust-domain';

import { entitlementsFromProto } from './entitlements.mapping';
import { organisationKinds, organisationStatuses } from './enums';
import { TrustEventMappingError } from './trust-event-mapping.error';

const fail = (field: string, message: string): never => {
  throw new TrustEventMappingError('INVALID_TRUST_EVENT', `${field}: ${message}`, field);
};
const id = (value: string | undefined, field: string): string => (typeof value === 'string' && value.trim() !== '' ? value : fail(field, 'is required'));
const isTier = (tier: number): tier is Tier => tier === 1 || tier === 2 || tier === 3 || tier === 4;
const CHANGES = new Set([TrustChangeKind.TRUST_CHANGE_KIND_CREATED, TrustChangeKind.TRUST_CHANGE_KIND_UPDATED, TrustChangeKind.TRUST_CHANGE_KIND_DELETED]);

/**
 * A record of trust.changes.v1 in domain terms, exactly what `TrustSnapshot.apply` takes. Validated, failing on the
 * first bad field with TrustEventMappingError INVALID_TRUST_EVENT: unknown enums (UNSPECIFIED included), missing ids,
 * a tier outside 1–4, a version that is not a positive integer, an entity id that is not the entity's key.
 */
export function trustChangeFromEvent(event: TrustChangeEvent): TrustChange {
  const version = typeof event.version === 'string' && /^\d{1,20}$/.test(event.version) && BigInt(event.version) > 0n ? event.version : fail('version', 'must be a positive integer');
  if (!CHANGES.has(event.change)) fail('change', `${event.change} is not a known TrustChangeKind`);
  const deleted = event.change === TrustChangeKind.TRUST_CHANGE_KIND_DELETED;
  const entity = event.entity ?? fail('entity', 'is required');
  const change = entityChange(entity, version, deleted);
  const key = trustEntityKey(change);
  if (event.entityId !== key) fail('entity_id', `must be "${key}"`);
  return change;
}

function entityChange(entity: NonNullable<TrustChangeEvent['entity']>, version: string, deleted: boolean): TrustChange {
  switch (entity.$case) {
    case 'organisation': {
      const org = entity.value;
      const field = 'entity.organisation';
      const orgId = id(org.orgId, `${field}.org_id`);
      const kind = organisationKinds.fromProto(org.kind) ?? fail(`${field}.kind`, `${org.kind} is not a known OrganisationKind`);
      const status = organisationStatuses.fromProto(org.status) ?? fail(`${field}.status`, `${org.status} is not a known OrganisationStatus`);
      const tier = isTier(org.tier) ? org.tier : fail(`${field}.tier`, `${org.tier} is not a tier in 1..4`);
      return { kind: 'organisation', version, deleted, org: { orgId, kind, tier, status } };
    }
    case 'sharingGroup': {
      const group = entity.value;
      const groupId = id(group.groupId, 'entity.sharing_group.group_id');
      const memberOrgIds = (group.memberOrgIds ?? []).map((orgId, i) => id(orgId, `entity.sharing_group.member_org_ids[${i}]`));
      return { kind: 'sharing-group', version, deleted, group: { groupId, memberOrgIds: [...new Set(memberOrgIds)] } };
    }
    case 'entitlements': {
      const orgId = id(entity.value.orgId, 'entity.entitlements.org_id');
      return { kind: 'entitlements', version, deleted, orgId, entitlements: entitlementsFromProto(entity.value, 'entity.entitlements', 'INVALID_TRUST_EVENT') };
    }
    case 'apiKey': {
      const key = entity.value;
      return { kind: 'api-key', version, deleted, keyId: id(key.keyId, 'entity.api_key.key_id'), orgId: id(key.orgId, 'entity.api_key.org_id'), revoked: key.revokedAt !== undefined };
    }
    default:
      return fail('entity', 'is not a known trust entity');
  }
}
