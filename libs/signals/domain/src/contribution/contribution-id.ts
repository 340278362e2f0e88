import { hash, randomBytes } from 'node:crypto';

import { SignalValidationError } from '../errors';

export const CONTRIBUTION_ID_PREFIX = 'ctb_';
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;

// Visible ASCII only: no spaces, since HTTP trims header values and the same key must give the same id on every
// transport.
const IDEMPOTENCY_KEY = /^[\x21-\x7e]+$/;
const CONTRIBUTION_ID = /^ctb_[0-9a-f]{32}$/;

/** Throws IDEMPOTENCY_KEY_INVALID (field `idempotencyKey`) unless the key is 1–128 visible ASCII characters. */
export function validateIdempotencyKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !IDEMPOTENCY_KEY.test(key)) {
    throw new SignalValidationError(
      'IDEMPOTENCY_KEY_INVALID',
      `an idempotency key has 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters (no spaces)`,
      'idempotencyKey',
    );
  }
  return key;
}

/**
 * The contribution id of an organisation's submission with an idempotency key, so a retry maps to the same id and
 * dedup treats it as a replay:
 *
 *   ctb_ + lowercase_hex(SHA-256(UTF-8("ctb/v1" NUL len(orgId) ":" orgId NUL len(key) ":" key)))[0:32]
 *
 * with `len` the decimal UTF-8 byte length: the encoding is unambiguous whatever the org id contains. The org id is
 * part of it, so two organisations using the same key never collide.
 */
export function contributionIdFor(orgId: string, idempotencyKey: string): string {
  if (typeof orgId !== 'string' || orgId === '') throw new TypeError('contributionIdFor: orgId is required');
  validateIdempotencyKey(idempotencyKey);
  const field = (s: string) => `${Buffer.byteLength(s, 'utf8')}:${s}`;
  const digest = hash('sha256', `ctb/v1\u0000${field(orgId)}\u0000${field(idempotencyKey)}`, 'hex');
  return `${CONTRIBUTION_ID_PREFIX}${digest.slice(0, 32)}`;
}

/** A random contribution id, for submissions without an idempotency key. */
export function newContributionId(): string {
  return `${CONTRIBUTION_ID_PREFIX}${randomBytes(16).toString('hex')}`;
}

/** Whether a string has the shape of a contribution id (e.g. the target of a revocation). */
export function isContributionId(value: string): boolean {
  return typeof value === 'string' && CONTRIBUTION_ID.test(value);
}
