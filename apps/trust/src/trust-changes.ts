import { Topics, TrustChangeEvent, TrustChangeKind } from '@signal-mesh/contracts';
import type { KafkaProducer } from '@signal-mesh/transport-kafka';
import type { OrganisationRecord, SharingGroupRecord } from '@signal-mesh/trust-data-access';
import type { ApiKeyRecord, Entitlements } from '@signal-mesh/trust-domain';

import { TrustServiceError } from './errors';
import { apiKeyToProto, entitlementsToProto, organisationToProto, sharingGroupToProto } from './mapping';

export { TrustChangeKind };

export function organisationEvent(org: OrganisationRecord, change: TrustChangeKind, actorOrgId: string): TrustChangeEvent {
  return TrustChangeEvent.fromPartial({
    entityId: `organisation/${org.orgId}`,
    // Stored state has no counter; its update time (ms) only grows for one entity, which is what consumers compare.
    version: String(org.updatedAt.getTime()),
    change,
    changedAt: org.updatedAt,
    actorOrgId,
    entity: { $case: 'organisation', value: organisationToProto(org) },
  });
}

/**
 * A key changes at most three times: created (1), expiry brought forward by a rotation grace period (2), revoked (3).
 * `changedAt` is the time of the change (defaults to the revocation or creation time).
 */
export function apiKeyEvent(key: ApiKeyRecord, change: TrustChangeKind, actorOrgId: string, changedAt: Date = key.revokedAt ?? key.createdAt): TrustChangeEvent {
  const version = change === TrustChangeKind.TRUST_CHANGE_KIND_CREATED ? 1 : key.revokedAt ? 3 : 2;
  return TrustChangeEvent.fromPartial({
    entityId: `api-key/${key.keyId}`,
    version: String(version),
    change,
    changedAt,
    actorOrgId,
    entity: { $case: 'apiKey', value: apiKeyToProto(key) },
  });
}

export function sharingGroupEvent(group: SharingGroupRecord, change: TrustChangeKind, actorOrgId: string): TrustChangeEvent {
  return TrustChangeEvent.fromPartial({
    entityId: `sharing-group/${group.groupId}`,
    version: String(group.updatedAt.getTime()),
    change,
    changedAt: group.updatedAt,
    actorOrgId,
    entity: { $case: 'sharingGroup', value: sharingGroupToProto(group) },
  });
}

/** `at` is the write time: entitlements carry no timestamp of their own, so it is the version too. */
export function entitlementsEvent(orgId: string, entitlements: Entitlements, at: Date, actorOrgId: string): TrustChangeEvent {
  return TrustChangeEvent.fromPartial({
    entityId: `entitlements/${orgId}`,
    version: String(at.getTime()),
    change: TrustChangeKind.TRUST_CHANGE_KIND_UPDATED,
    changedAt: at,
    actorOrgId,
    entity: { $case: 'entitlements', value: entitlementsToProto(orgId, entitlements) },
  });
}

/**
 * Publishes to trust.changes.v1 or its configured override (compacted, keyed by entity id) after the MongoDB write succeeded. A failed publish
 * is reported to the caller (UNAVAILABLE) although the change is stored: the next change of the entity carries its
 * full state again.
 */
export class TrustChangePublisher {
  constructor(
    private readonly producer: Pick<KafkaProducer, 'send'>,
    private readonly topic: string = Topics.trustChanges.name,
  ) {}

  async publish(event: TrustChangeEvent): Promise<void> {
    try {
      await this.producer.send(this.topic, [{ key: event.entityId, value: TrustChangeEvent.encode(event).finish() }]);
    } catch (err) {
      throw Object.assign(new TrustServiceError('TRUST_EVENT_NOT_PUBLISHED', 'the change is stored but its event could not be published; retry'), { cause: err });
    }
  }
}
