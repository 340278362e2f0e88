import { Topics, TrustChangeEvent, TrustChangeKind } from '@signal-mesh/contracts';
import type { KafkaProducer } from '@signal-mesh/transport-kafka';
import type { OrganisationRecord } from '@signal-mesh/trust-data-access';
import type { ApiKeyRecord } from '@signal-mesh/trust-domain';

import { TrustServiceError } from './errors';
import { apiKeyToProto, organisationToProto } from './mapping';

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

export function apiKeyEvent(key: ApiKeyRecord, change: TrustChangeKind, actorOrgId: string): TrustChangeEvent {
  const changedAt = key.revokedAt ?? key.createdAt;
  return TrustChangeEvent.fromPartial({
    entityId: `api-key/${key.keyId}`,
    version: String(change === TrustChangeKind.TRUST_CHANGE_KIND_CREATED ? 1 : 2),
    change,
    changedAt,
    actorOrgId,
    entity: { $case: 'apiKey', value: apiKeyToProto(key) },
  });
}

/**
 * Publishes to trust.changes.v1 (compacted, keyed by entity id) after the MongoDB write succeeded. A failed publish
 * is reported to the caller (UNAVAILABLE) although the change is stored: the next change of the entity carries its
 * full state again.
 */
export class TrustChangePublisher {
  constructor(private readonly producer: Pick<KafkaProducer, 'send'>) {}

  async publish(event: TrustChangeEvent): Promise<void> {
    try {
      await this.producer.send(Topics.trustChanges.name, [{ key: event.entityId, value: TrustChangeEvent.encode(event).finish() }]);
    } catch (err) {
      throw Object.assign(new TrustServiceError('TRUST_EVENT_NOT_PUBLISHED', 'the change is stored but its event could not be published; retry'), { cause: err });
    }
  }
}
