import { ensureIndexes, type MongoConnection } from '@signal-mesh/data-access-mongo';
import type { Logger } from '@signal-mesh/util-logging';

import { ApiKeyRepository } from './api-key.repository';
import { AuditLogRepository } from './audit-log.repository';
import { EntitlementsRepository } from './entitlements.repository';
import { OrganisationRepository } from './organisation.repository';
import { SharingGroupRepository } from './sharing-group.repository';

export interface TrustRepositories {
  organisations: OrganisationRepository;
  apiKeys: ApiKeyRepository;
  sharingGroups: SharingGroupRepository;
  entitlements: EntitlementsRepository;
  auditLog: AuditLogRepository;
}

/** Every trust repository on one connection, with its indexes created (call once at boot). */
export async function createTrustRepositories(connection: MongoConnection, logger?: Logger): Promise<TrustRepositories> {
  const repositories: TrustRepositories = {
    organisations: new OrganisationRepository(connection),
    apiKeys: new ApiKeyRepository(connection),
    sharingGroups: new SharingGroupRepository(connection),
    entitlements: new EntitlementsRepository(connection),
    auditLog: new AuditLogRepository(connection, { logger }),
  };
  await ensureIndexes(Object.values(repositories));
  return repositories;
}
