import { createHash } from 'node:crypto';

import { containsApiKey } from '../credentials/api-key';
import { AuditError } from './errors';

export type AuditOutcome = 'ALLOWED' | 'DENIED' | 'CHANGED';
export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['ALLOWED', 'DENIED', 'CHANGED'];
export type AuditDetails = Readonly<Record<string, string | number | boolean>>;

export interface AuditEntry {
  readonly at: Date;
  readonly actorOrgId?: string;
  readonly keyId?: string;
  /** e.g. `key.revoke`, `org.suspend`, `signal.contribute`. */
  readonly action: string;
  readonly outcome: AuditOutcome;
  /** What was acted on, e.g. an org id, key id or signal id. */
  readonly subject?: string;
  /** Flat facts. Never API keys, secrets or evidence notes: see `assertSafeDetails`. */
  readonly details?: AuditDetails;
}

export interface AuditRecord extends AuditEntry {
  readonly seq: number;
  readonly prevHash: string;
  /** sha256(prevHash + "\n" + canonicalJson(record without hash)), lowercase hex. */
  readonly hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

const MAX_DETAILS = 32;
const MAX_TEXT = 1024;
// Detail keys become MongoDB field names: no '.', no leading '$'.
const DETAIL_KEY_RE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
// Matched against the key lowercased without '_': catches apiKey, api_key, clientSecret, evidenceNote, notes…
const FORBIDDEN_KEY_PARTS = ['apikey', 'secret', 'password', 'passphrase', 'token', 'credential', 'authorization', 'evidence', 'note'];

/**
 * Rejects details that could carry a credential or abuse evidence into a log kept forever: forbidden key names and
 * any string value shaped like an API key. Also enforces the flat, Mongo-safe shape.
 */
export function assertSafeDetails(details: AuditDetails): void {
  const keys = Object.keys(details);
  if (keys.length > MAX_DETAILS) throw new AuditError('AUDIT_DETAIL_INVALID', `at most ${MAX_DETAILS} details`, 'details');
  for (const key of keys) {
    if (!DETAIL_KEY_RE.test(key)) throw new AuditError('AUDIT_DETAIL_INVALID', 'detail keys are identifiers of at most 64 characters', 'details');
    const folded = key.toLowerCase().replaceAll('_', '');
    if (FORBIDDEN_KEY_PARTS.some((part) => folded.includes(part))) {
      throw new AuditError('AUDIT_DETAIL_FORBIDDEN', `detail "${key}" may carry a credential or evidence and is not allowed`, `details.${key}`);
    }
    const value: unknown = details[key];
    if (typeof value === 'string') {
      if (value.length > MAX_TEXT) throw new AuditError('AUDIT_DETAIL_INVALID', `detail "${key}" is too long`, `details.${key}`);
      if (containsApiKey(value)) throw new AuditError('AUDIT_DETAIL_FORBIDDEN', `detail "${key}" looks like an API key`, `details.${key}`);
    } else if (typeof value === 'number') {
      // NaN and Infinity have no JSON spelling, so they could not be hashed unambiguously.
      if (!Number.isFinite(value)) throw new AuditError('AUDIT_DETAIL_INVALID', `detail "${key}" is not a finite number`, `details.${key}`);
    } else if (typeof value !== 'boolean') {
      throw new AuditError('AUDIT_DETAIL_INVALID', `detail "${key}" must be a string, number or boolean`, `details.${key}`);
    }
  }
}

export function assertValidEntry(entry: AuditEntry): void {
  if (!(entry.at instanceof Date) || Number.isNaN(entry.at.getTime())) throw new AuditError('AUDIT_ENTRY_INVALID', 'at must be a valid date', 'at');
  if (typeof entry.action !== 'string' || entry.action.length === 0 || entry.action.length > 128) {
    throw new AuditError('AUDIT_ENTRY_INVALID', 'action must be 1-128 characters', 'action');
  }
  if (!AUDIT_OUTCOMES.includes(entry.outcome)) throw new AuditError('AUDIT_ENTRY_INVALID', 'unknown outcome', 'outcome');
  for (const field of ['actorOrgId', 'keyId', 'subject'] as const) {
    const value = entry[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > MAX_TEXT) throw new AuditError('AUDIT_ENTRY_INVALID', `${field} must be a string of at most ${MAX_TEXT}`, field);
    if (containsApiKey(value)) throw new AuditError('AUDIT_DETAIL_FORBIDDEN', `${field} looks like an API key`, field);
  }
  if (entry.details !== undefined) assertSafeDetails(entry.details);
}

type Canonical = string | number | boolean | Date | undefined | { readonly [key: string]: Canonical };

/**
 * Deterministic JSON: object keys sorted by UTF-16 code unit, dates as ISO-8601 UTC with milliseconds, undefined
 * members left out, no whitespace. Reproducible in any language, so an auditor can verify the chain without us.
 */
export function canonicalJson(value: Canonical): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === 'object') {
    const members = Object.keys(value)
      .sort()
      .filter((key) => value[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${members.join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new AuditError('AUDIT_DETAIL_INVALID', 'numbers must be finite');
  return JSON.stringify(value);
}

export function computeRecordHash(record: Omit<AuditRecord, 'hash'> & { hash?: string }): string {
  const { hash: _ignored, ...body } = record;
  const canonical = canonicalJson({
    seq: body.seq,
    at: body.at,
    actorOrgId: body.actorOrgId,
    keyId: body.keyId,
    action: body.action,
    outcome: body.outcome,
    subject: body.subject,
    details: body.details,
    prevHash: body.prevHash,
  });
  return createHash('sha256').update(`${body.prevHash}\n${canonical}`, 'utf8').digest('hex');
}

export function chainRecord(prev: AuditRecord | undefined, entry: AuditEntry): AuditRecord {
  assertValidEntry(entry);
  const body = {
    seq: prev ? prev.seq + 1 : 1,
    at: new Date(entry.at.getTime()),
    ...(entry.actorOrgId !== undefined && { actorOrgId: entry.actorOrgId }),
    ...(entry.keyId !== undefined && { keyId: entry.keyId }),
    action: entry.action,
    outcome: entry.outcome,
    ...(entry.subject !== undefined && { subject: entry.subject }),
    ...(entry.details !== undefined && { details: { ...entry.details } }),
    prevHash: prev ? prev.hash : GENESIS_HASH,
  };
  return { ...body, hash: computeRecordHash(body) };
}
