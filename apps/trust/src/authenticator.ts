import type { ApiKeyRepository, OrganisationRecord, OrganisationRepository } from '@signal-mesh/trust-data-access';
import { type ApiKeyRecord, checkPresentedKey, CredentialError, isCredentialError, parseApiKey } from '@signal-mesh/trust-domain';

import { TrustServiceError } from './errors';
import type { FailureThrottle } from './failure-throttle';

export interface Caller {
  readonly org: OrganisationRecord;
  readonly key: ApiKeyRecord;
}

export type AuthenticationResult =
  | { readonly ok: true; readonly caller: Caller }
  /** `keyId` / `orgId` when known, for the audit record; never the secret. */
  | { readonly ok: false; readonly error: CredentialError | TrustServiceError; readonly keyId?: string; readonly orgId?: string; readonly audit: boolean };

export interface AuthenticatorDeps {
  apiKeys: Pick<ApiKeyRepository, 'findByKeyId'>;
  organisations: Pick<OrganisationRepository, 'findById'>;
  throttle: FailureThrottle;
  now: () => Date;
}

/**
 * API key → caller, on every call. Reads the key and its organisation from MongoDB each time (no cache), so a
 * revocation or suspension takes effect on the next call.
 */
export class Authenticator {
  constructor(private readonly deps: AuthenticatorDeps) {}

  async authenticate(presented: string | undefined, client: string): Promise<AuthenticationResult> {
    if (!presented) return this.fail(client, new TrustServiceError('API_KEY_MISSING', 'an API key is required'), undefined, undefined, false);
    let parsed;
    try {
      parsed = parseApiKey(presented);
    } catch (err) {
      if (!isCredentialError(err)) throw err;
      return this.fail(client, err, undefined, undefined);
    }
    const { keyId } = parsed;
    if (this.deps.throttle.isBlocked(client, keyId)) return tooMany(keyId, false);

    const record = await this.deps.apiKeys.findByKeyId(keyId);
    const check = checkPresentedKey(parsed, record, this.deps.now());
    // Only a caller holding the secret learns anything about the key (revoked, expired, its organisation).
    if (!check.ok) return this.fail(client, new CredentialError(check.code, messages[check.code]), keyId, check.code === 'API_KEY_INVALID' ? undefined : record?.orgId);
    const key = record as ApiKeyRecord;
    const org = await this.deps.organisations.findById(key.orgId);
    if (!org) return this.fail(client, new CredentialError('API_KEY_INVALID', messages.API_KEY_INVALID), keyId, undefined);
    if (org.status !== 'ACTIVE') return this.fail(client, new TrustServiceError('ORGANISATION_SUSPENDED', 'the organisation of this API key is suspended'), keyId, org.orgId);
    return { ok: true, caller: { org, key } };
  }

  private fail(client: string, error: CredentialError | TrustServiceError, keyId: string | undefined, orgId: string | undefined, count = true): AuthenticationResult {
    if (count && this.deps.throttle.recordFailure(client, keyId)) return tooMany(keyId, true, orgId);
    return { ok: false, error, keyId, orgId, audit: true };
  }
}

const messages = {
  API_KEY_INVALID: 'unknown API key or wrong secret',
  API_KEY_REVOKED: 'API key is revoked',
  API_KEY_EXPIRED: 'API key is expired',
  API_KEY_WRONG_SCOPE: 'API key lacks the required scope',
} as const;

/** Audited only for the failure that started the block: one record per block, not one per refused guess. */
const tooMany = (keyId: string | undefined, startedBlock: boolean, orgId?: string): AuthenticationResult => ({
  ok: false,
  error: new CredentialError('TOO_MANY_ATTEMPTS', 'too many failed authentication attempts; retry later'),
  keyId,
  orgId,
  audit: startedBlock,
});
