import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';

import { CredentialError } from './errors';

/**
 * API key format: `smk_<keyId>_<secret>`.
 * - `keyId`: 12 characters of lowercase RFC 4648 base32 (`a-z2-7`, 60 random bits). Public: it names the key in
 *   storage, audit records and logs, and lets the server find the record without scanning.
 * - `secret`: 32 random bytes (256 bits) as unpadded base64url, 43 characters. Shown once, stored only as a hash.
 * The `smk_` prefix makes leaked keys easy to spot by secret scanners. Total length 60.
 */
export const API_KEY_PREFIX = 'smk_';
export const KEY_ID_LENGTH = 12;
export const SECRET_BYTES = 32;
export const SECRET_LENGTH = 43;
export const API_KEY_LENGTH = API_KEY_PREFIX.length + KEY_ID_LENGTH + 1 + SECRET_LENGTH;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const KEY_ID_RE = /^[a-z2-7]{12}$/;
const SECRET_RE = /^[A-Za-z0-9_-]{43}$/;
const API_KEY_RE = /smk_[a-z2-7]{12}_[A-Za-z0-9_-]{43}/;
const REDACTED = '[redacted]';
const HASH_PREFIX = 'sha256:';

export type RandomSource = (size: number) => Buffer;

/** A key split into its parts. Serialising or inspecting it never shows the secret, so logging one is harmless. */
export class ParsedApiKey {
  constructor(
    readonly keyId: string,
    readonly secret: string,
  ) {}
  toJSON(): { keyId: string; secret: string } {
    return { keyId: this.keyId, secret: REDACTED };
  }
  [inspect.custom](): string {
    return `ParsedApiKey { keyId: '${this.keyId}', secret: ${REDACTED} }`;
  }
}

/** A freshly issued key: `apiKey` is what the holder presents; hand it out once, store `hashSecret(secret)`. */
export class GeneratedApiKey extends ParsedApiKey {
  readonly apiKey: string;
  constructor(keyId: string, secret: string) {
    super(keyId, secret);
    this.apiKey = `${API_KEY_PREFIX}${keyId}_${secret}`;
  }
  override toJSON(): { keyId: string; secret: string } {
    return super.toJSON();
  }
  override [inspect.custom](): string {
    return `GeneratedApiKey { keyId: '${this.keyId}', secret: ${REDACTED} }`;
  }
}

export function generateApiKey(random: RandomSource = randomBytes): GeneratedApiKey {
  // 256 is a multiple of 32, so `byte & 31` is unbiased.
  const idBytes = random(KEY_ID_LENGTH);
  let keyId = '';
  for (let i = 0; i < KEY_ID_LENGTH; i++) keyId += BASE32[idBytes[i] & 31];
  const secretBytes = random(SECRET_BYTES);
  if (idBytes.length !== KEY_ID_LENGTH || secretBytes.length !== SECRET_BYTES) throw new Error('random source returned too few bytes');
  return new GeneratedApiKey(keyId, secretBytes.toString('base64url'));
}

/** Splits a presented key; throws API_KEY_MALFORMED (without quoting the input) for anything not in the format. */
export function parseApiKey(presented: string): ParsedApiKey {
  if (typeof presented !== 'string' || presented.length !== API_KEY_LENGTH || !presented.startsWith(API_KEY_PREFIX)) {
    throw new CredentialError('API_KEY_MALFORMED', 'API key is not in the smk_<keyId>_<secret> format');
  }
  const keyId = presented.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + KEY_ID_LENGTH);
  const separator = presented[API_KEY_PREFIX.length + KEY_ID_LENGTH];
  const secret = presented.slice(API_KEY_PREFIX.length + KEY_ID_LENGTH + 1);
  // The round trip rejects a last character whose unused low bits are set: each secret has one spelling.
  if (!KEY_ID_RE.test(keyId) || separator !== '_' || !SECRET_RE.test(secret) || Buffer.from(secret, 'base64url').toString('base64url') !== secret) {
    throw new CredentialError('API_KEY_MALFORMED', 'API key is not in the smk_<keyId>_<secret> format');
  }
  return new ParsedApiKey(keyId, secret);
}

/** True when a string contains something shaped like an API key (used to keep keys out of audit details). */
export function containsApiKey(text: string): boolean {
  return API_KEY_RE.test(text);
}

/**
 * `sha256:<hex>`. A plain fast hash is enough here: slow KDFs (scrypt, argon2) exist to make guessing low-entropy
 * passwords expensive, but a 256-bit random secret cannot be guessed at any speed, even from a stolen hash. A fast
 * hash also keeps per-request verification cheap, so authentication is not a CPU-exhaustion target. The prefix
 * leaves room to move to a peppered HMAC later without ambiguity.
 */
export function hashSecret(secret: string): string {
  return HASH_PREFIX + sha256(secret).toString('hex');
}

/** Constant-time comparison of a presented secret with a stored `hashSecret` value. */
export function verifySecret(secret: string, storedHash: string): boolean {
  const presented = sha256(secret);
  const stored = storedHash.startsWith(HASH_PREFIX) ? Buffer.from(storedHash.slice(HASH_PREFIX.length), 'hex') : Buffer.alloc(0);
  // Length depends only on the stored value, never on the secret, so this early exit leaks nothing.
  if (stored.length !== presented.length) {
    timingSafeEqual(presented, presented);
    return false;
  }
  return timingSafeEqual(presented, stored);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
