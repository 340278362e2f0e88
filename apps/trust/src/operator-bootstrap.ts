import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

import { DuplicateKeyError } from '@signal-mesh/data-access-mongo';
import type { OrganisationRecord, TrustRepositories } from '@signal-mesh/trust-data-access';
import { type ApiKeyRecord, checkKeyUsable, generateApiKey, hashSecret } from '@signal-mesh/trust-domain';
import type { Logger } from '@signal-mesh/util-logging';

import { apiKeyEvent, organisationEvent, TrustChangeKind,type TrustChangePublisher } from './trust-changes';

export const OPERATOR_NAME = 'Signal Mesh operator';
const SYSTEM_ACTOR = 'system';

export interface OperatorBootstrapDeps {
  repos: Pick<TrustRepositories, 'organisations' | 'apiKeys' | 'auditLog'>;
  publisher: TrustChangePublisher;
  logger: Logger;
  now: () => Date;
}

/**
 * First start: create the OPERATOR organisation and an ADMIN key, written to `keyFile` (0600). Also repairs an
 * operator left without a usable ADMIN key (e.g. a start that died before writing the file). The key is never logged.
 * Returns the key file when a key was written.
 */
export async function ensureOperator(keyFile: string, deps: OperatorBootstrapDeps): Promise<string | undefined> {
  const { repos, publisher, now } = deps;
  const logger = deps.logger.child({ component: 'operator-bootstrap' });
  const operators = (await repos.organisations.list()).filter((o) => o.kind === 'OPERATOR');
  for (const org of operators) {
    const keys = await repos.apiKeys.listForOrg(org.orgId);
    if (keys.some((k) => checkKeyUsable(k, now(), 'ADMIN').ok)) {
      logger.info({ orgId: org.orgId }, 'operator organisation exists');
      return undefined;
    }
  }

  const operator = operators[0] ?? (await createOperator(deps));
  const generated = generateApiKey();
  const path = resolve(keyFile);
  await writeSecretFile(path, `${generated.apiKey}\n`);
  const key: ApiKeyRecord = await repos.apiKeys.insert({ keyId: generated.keyId, orgId: operator.orgId, label: 'bootstrap operator key', scopes: ['ADMIN'], secretHash: hashSecret(generated.secret), createdAt: now() });
  await repos.auditLog.append({ at: now(), actorOrgId: SYSTEM_ACTOR, action: 'key.issue', outcome: 'CHANGED', subject: key.keyId, details: { orgId: operator.orgId, scopes: 'ADMIN', bootstrap: true } });
  await publisher.publish(apiKeyEvent(key, TrustChangeKind.TRUST_CHANGE_KIND_CREATED, SYSTEM_ACTOR));
  logger.info({ orgId: operator.orgId, keyId: key.keyId, file: path }, 'operator ADMIN key written to file');
  return path;
}

async function createOperator({ repos, publisher, now }: OperatorBootstrapDeps): Promise<OrganisationRecord> {
  const at = now();
  try {
    const org = await repos.organisations.create({ orgId: `org_${randomBytes(8).toString('hex')}`, name: OPERATOR_NAME, kind: 'OPERATOR', tier: 4, status: 'ACTIVE', createdAt: at, updatedAt: at });
    await repos.auditLog.append({ at, actorOrgId: SYSTEM_ACTOR, action: 'org.create', outcome: 'CHANGED', subject: org.orgId, details: { kind: 'OPERATOR', tier: 4, bootstrap: true } });
    await publisher.publish(organisationEvent(org, TrustChangeKind.TRUST_CHANGE_KIND_CREATED, SYSTEM_ACTOR));
    return org;
  } catch (err) {
    // Another instance created it first: use that one.
    const existing = err instanceof DuplicateKeyError ? await repos.organisations.findByName(OPERATOR_NAME) : undefined;
    if (existing) return existing;
    throw err;
  }
}

/** Written next to the target and renamed over it, so a reader never sees half a key; mode 0600 either way. */
async function writeSecretFile(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}
