import { hashSecret, type ParsedApiKey, verifySecret } from './api-key';
import type { CredentialCode } from './errors';

export type ApiKeyScope = 'CONTRIBUTE' | 'SUBSCRIBE' | 'ADMIN';
export const API_KEY_SCOPES: readonly ApiKeyScope[] = ['CONTRIBUTE', 'SUBSCRIBE', 'ADMIN'];

/** A stored credential. Only the secret's hash is kept; scopes are explicit (ADMIN does not imply the others). */
export interface ApiKeyRecord {
  readonly keyId: string;
  readonly orgId: string;
  readonly label?: string;
  readonly scopes: readonly ApiKeyScope[];
  readonly secretHash: string;
  readonly createdAt: Date;
  /** Unset: no expiry. Unusable from this instant on; rotation with a grace period sets it on the old key. */
  readonly expiresAt?: Date;
  /** Any value revokes, whatever its time: revocation is never scheduled, so failing closed costs nothing. */
  readonly revokedAt?: Date;
  readonly rotatedFrom?: string;
}

export type KeyUnusableCode = Extract<CredentialCode, 'API_KEY_REVOKED' | 'API_KEY_EXPIRED' | 'API_KEY_WRONG_SCOPE'>;
export type KeyCheck = { readonly ok: true } | { readonly ok: false; readonly code: KeyUnusableCode };
export type PresentedKeyCheck = { readonly ok: true } | { readonly ok: false; readonly code: KeyUnusableCode | 'API_KEY_INVALID' };

/** Whether a known key may be used now (for `requiredScope`, when given). Revocation wins over expiry over scope. */
export function checkKeyUsable(record: ApiKeyRecord, now: Date, requiredScope?: ApiKeyScope): KeyCheck {
  if (record.revokedAt !== undefined) return { ok: false, code: 'API_KEY_REVOKED' };
  if (record.expiresAt !== undefined && now.getTime() >= record.expiresAt.getTime()) return { ok: false, code: 'API_KEY_EXPIRED' };
  if (requiredScope !== undefined && !record.scopes.includes(requiredScope)) return { ok: false, code: 'API_KEY_WRONG_SCOPE' };
  return { ok: true };
}

// Verified against when the key id is unknown, so unknown and wrong keys take the same time.
const DUMMY_HASH = hashSecret('signal-mesh-unknown-key');

/**
 * Authenticates a parsed key against the record found by its key id (undefined when none). The secret is checked
 * before anything else about the record, so a caller without the secret learns nothing (not even revocation).
 */
export function checkPresentedKey(presented: ParsedApiKey, record: ApiKeyRecord | undefined, now: Date, requiredScope?: ApiKeyScope): PresentedKeyCheck {
  const secretOk = verifySecret(presented.secret, record?.secretHash ?? DUMMY_HASH);
  if (!record || !secretOk || record.keyId !== presented.keyId) return { ok: false, code: 'API_KEY_INVALID' };
  return checkKeyUsable(record, now, requiredScope);
}
