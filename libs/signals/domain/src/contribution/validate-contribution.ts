import { canonicalizeSignal, type CanonicalSignal } from '../canonicalize';
import { isSignalValidationError, SignalValidationError, type ValidationCode } from '../errors';
import type { SignalType } from '../identity';
import type { ContributionDraft, ExternalRef, Marking, Opinion, SignalDetails, ValidContribution } from './model';
import { categoryDefinition } from './vocabulary';

/** Limits on one contribution. Lengths count Unicode code points. */
export const CONTRIBUTION_LIMITS = {
  maxCategories: 10,
  /** Per audience list (sharing groups, named organisations). */
  maxIdsPerList: 50,
  maxIdLength: 100,
  maxEvidenceNoteLength: 1000,
  maxDisputeReasonLength: 500,
  maxRevocationReasonLength: 500,
  maxExternalRefs: 20,
  /** ExternalRef `system` and `id`. */
  maxRefFieldLength: 200,
  maxRefUrlLength: 2048,
} as const;

const MARKING_ALIASES: Readonly<Record<string, Marking>> = {
  CLEAR: 'CLEAR',
  GREEN: 'GREEN',
  AMBER: 'AMBER',
  AMBER_STRICT: 'AMBER_STRICT',
  'AMBER+STRICT': 'AMBER_STRICT',
  RED: 'RED',
};

/** Accepts `AMBER_STRICT`, the TLP 2.0 spelling `TLP:AMBER+STRICT`, the proto `TLP_MARKING_AMBER_STRICT`; any case. */
export function parseMarking(raw: string): Marking {
  const key = typeof raw === 'string' ? raw.trim().toUpperCase().replace(/^TLP_MARKING_|^TLP:/, '') : '';
  const marking = MARKING_ALIASES[key];
  if (!marking) throw new SignalValidationError('UNKNOWN_MARKING', `unknown TLP marking ${quote(raw)}: use CLEAR, GREEN, AMBER, AMBER+STRICT or RED`, 'marking');
  return marking;
}

/** Accepts `POSITIVE`/`NEGATIVE` and the proto spellings; absent, empty or `OPINION_UNSPECIFIED` (proto3's default) is POSITIVE. */
export function parseOpinion(raw: string | undefined): Opinion {
  if (raw === undefined) return 'POSITIVE';
  const key = typeof raw === 'string' ? raw.trim().toUpperCase().replace(/^OPINION_/, '') : '?';
  if (key === '' || key === 'UNSPECIFIED' || key === 'POSITIVE') return 'POSITIVE';
  if (key === 'NEGATIVE') return 'NEGATIVE';
  throw new SignalValidationError('UNKNOWN_OPINION', `unknown opinion ${quote(raw)}: use POSITIVE or NEGATIVE`, 'opinion');
}

/** The type-specific facts of a canonical signal, as stored with its record. */
export function detailsOf(signal: CanonicalSignal): SignalDetails {
  const { kind } = signal;
  switch (kind.type) {
    case 'model-hash':
      return { type: kind.type, algorithm: kind.algorithm, related: (signal.related ?? []).map((r) => ({ algorithm: r.algorithm, value: r.canonical })) };
    case 'url': {
      if (!signal.url) throw new Error(`url signal ${signal.signalId} carries no URL facts: build it with canonicalizeSignal()`);
      const { host, registrableDomain } = signal.url;
      return registrableDomain === undefined ? { type: kind.type, scope: kind.scope, host } : { type: kind.type, scope: kind.scope, host, registrableDomain };
    }
    case 'prompt-pattern':
      return { type: kind.type, kind: kind.kind };
  }
}

/**
 * Validates a contribution draft into its canonical form, or throws SignalValidationError with a code and the field
 * path inside the draft (`signal.value`, `categories[1]`, `externalRefs[0].url`…). Checks the shape only: whether the
 * contributor may use this marking, categories or audience, and whether the audience exists, is the trust policy's
 * decision.
 */
export function validateContribution(draft: ContributionDraft, opts: { now: Date }): ValidContribution {
  const signal = validSignal(draft.signal);
  const categories = validCategories(draft.categories, signal.type);
  const marking = parseMarking(draft.marking);
  const sharingGroupIds = validIds(draft.sharingGroupIds, 'sharingGroupIds');
  const namedOrgIds = validIds(draft.namedOrgIds, 'namedOrgIds');
  checkAudience(marking, sharingGroupIds, namedOrgIds);
  const confidence = validConfidence(draft.confidence);
  const opinion = parseOpinion(draft.opinion);
  const disputeReason = optionalText(draft.disputeReason, 'disputeReason', CONTRIBUTION_LIMITS.maxDisputeReasonLength);
  if (opinion === 'NEGATIVE' && disputeReason === undefined) fail('DISPUTE_REASON_REQUIRED', 'a NEGATIVE opinion (a dispute) needs a dispute reason', 'disputeReason');
  if (opinion === 'POSITIVE' && disputeReason !== undefined) fail('DISPUTE_REASON_NOT_APPLICABLE', 'only a NEGATIVE opinion carries a dispute reason', 'disputeReason');
  const validUntil = validValidUntil(draft.validUntil, opts.now);
  const evidenceNote = optionalText(draft.evidenceNote, 'evidenceNote', CONTRIBUTION_LIMITS.maxEvidenceNoteLength);
  const externalRefs = validRefs(draft.externalRefs);
  return {
    signal,
    details: detailsOf(signal),
    categories,
    marking,
    sharingGroupIds,
    namedOrgIds,
    confidence,
    opinion,
    ...(validUntil === undefined ? {} : { validUntil }),
    ...(evidenceNote === undefined ? {} : { evidenceNote }),
    externalRefs,
    ...(disputeReason === undefined ? {} : { disputeReason }),
  };
}

/** A revocation's optional reason: trimmed, empty → undefined; TEXT_TOO_LONG / SECRET_DETECTED on field `reason`. */
export function validateRevocationReason(reason: string | undefined): string | undefined {
  return optionalText(reason, 'reason', CONTRIBUTION_LIMITS.maxRevocationReasonLength);
}

// An API key pasted into a shared field would be copied to every organisation that sees the contribution. Trust keys
// read `smk_<keyId>_<secret>` (libs/trust/domain); this looser local pattern (the signals domain must not depend on
// trust) also catches truncated or case-mangled copies.
const API_KEY_LIKE = /smk_[a-z0-9]{6,}_[a-z0-9_-]{16,}/i;

function checkNoSecret(text: string, field: string): void {
  // The message never repeats the text: it would put the key into logs and error responses.
  if (API_KEY_LIKE.test(text)) fail('SECRET_DETECTED', 'this looks like an API key (smk_…): remove it and revoke the key', field);
}

function validSignal(input: ContributionDraft['signal']): CanonicalSignal {
  if (typeof input !== 'object' || input === null) fail('VALUE_REQUIRED', 'a signal is required', 'signal');
  if (typeof input.value === 'string') checkNoSecret(input.value, 'signal.value');
  let signal: CanonicalSignal;
  try {
    signal = canonicalizeSignal(input);
  } catch (err) {
    // Field paths are relative to the draft.
    if (isSignalValidationError(err)) throw new SignalValidationError(err.code, err.message, err.field ? `signal.${err.field}` : 'signal');
    throw err;
  }
  checkNoSecret(signal.canonical, 'signal.value');
  return signal;
}

function validCategories(raw: readonly string[] | undefined, type: SignalType): string[] {
  if (!Array.isArray(raw) || raw.length === 0) fail('CATEGORIES_REQUIRED', 'at least one category from the controlled vocabulary is required (docs/categories.md)', 'categories');
  if (raw.length > CONTRIBUTION_LIMITS.maxCategories) fail('TOO_MANY_CATEGORIES', `at most ${CONTRIBUTION_LIMITS.maxCategories} categories (got ${raw.length})`, 'categories');
  const ids = raw.map((value: unknown, i) => {
    const field = `categories[${i}]`;
    const id = typeof value === 'string' ? value.trim().toLowerCase() : '';
    const definition = categoryDefinition(id);
    if (!definition) fail('UNKNOWN_CATEGORY', `unknown category ${quote(value)}: see docs/categories.md`, field);
    if (definition.signalType !== type) fail('CATEGORY_TYPE_MISMATCH', `category ${id} is for ${definition.signalType} signals, not ${type}`, field);
    return id;
  });
  return sortedUnique(ids);
}

const ID_SHAPE = /^[^\s\p{Cc}]+$/u;

function validIds(raw: readonly string[] | undefined, field: 'sharingGroupIds' | 'namedOrgIds'): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) fail('ID_INVALID', `${field} must be a list of ids`, field);
  if (raw.length > CONTRIBUTION_LIMITS.maxIdsPerList) fail('TOO_MANY_IDS', `at most ${CONTRIBUTION_LIMITS.maxIdsPerList} ids (got ${raw.length})`, field);
  raw.forEach((id: unknown, i) => {
    const at = `${field}[${i}]`;
    if (typeof id !== 'string' || id.length === 0 || id.length > CONTRIBUTION_LIMITS.maxIdLength || !ID_SHAPE.test(id)) {
      fail('ID_INVALID', `an id has 1 to ${CONTRIBUTION_LIMITS.maxIdLength} characters and no whitespace or control characters`, at);
    }
    checkNoSecret(id, at);
  });
  return sortedUnique(raw);
}

function checkAudience(marking: Marking, groups: readonly string[], named: readonly string[]): void {
  const usesGroups = marking === 'AMBER';
  const usesNamed = marking === 'AMBER_STRICT' || marking === 'RED';
  // An audience the marking ignores would mislead the contributor into thinking it narrows who sees the contribution.
  if (!usesGroups && groups.length > 0) fail('AUDIENCE_NOT_APPLICABLE', `${marking} does not use sharing groups`, 'sharingGroupIds');
  if (!usesNamed && named.length > 0) fail('AUDIENCE_NOT_APPLICABLE', `${marking} does not use named organisations`, 'namedOrgIds');
  if (usesGroups && groups.length === 0) fail('SHARING_GROUP_REQUIRED', 'AMBER needs at least one sharing group', 'sharingGroupIds');
  if (usesNamed && named.length === 0) fail('NAMED_ORG_REQUIRED', `${marking} needs at least one named organisation`, 'namedOrgIds');
}

function validConfidence(raw: number): number {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 0 || raw > 100) fail('CONFIDENCE_OUT_OF_RANGE', `confidence is an integer from 0 to 100 (got ${String(raw)})`, 'confidence');
  return raw;
}

function validValidUntil(raw: Date | undefined, now: Date): Date | undefined {
  if (raw === undefined) return undefined;
  if (!(raw instanceof Date) || Number.isNaN(raw.getTime())) fail('VALID_UNTIL_NOT_IN_FUTURE', 'validUntil must be a valid time in the future', 'validUntil');
  if (raw.getTime() <= now.getTime()) fail('VALID_UNTIL_NOT_IN_FUTURE', `validUntil ${raw.toISOString()} is not after ${now.toISOString()}`, 'validUntil');
  return raw;
}

/** Trimmed; empty means absent (proto3 sends '' for an unset string). */
function optionalText(raw: string | undefined, field: string, max: number): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') fail('TEXT_TOO_LONG', `${field} must be text`, field);
  const text = raw.trim();
  if (text === '') return undefined;
  checkLength(text, field, max);
  checkNoSecret(text, field);
  return text;
}

function checkLength(text: string, field: string, max: number): void {
  const length = codePoints(text);
  if (length > max) fail('TEXT_TOO_LONG', `at most ${max} characters (got ${length})`, field);
}

function validRefs(raw: readonly ExternalRef[] | undefined): ExternalRef[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) fail('REF_INVALID', 'externalRefs must be a list', 'externalRefs');
  if (raw.length > CONTRIBUTION_LIMITS.maxExternalRefs) fail('TOO_MANY_REFS', `at most ${CONTRIBUTION_LIMITS.maxExternalRefs} external references (got ${raw.length})`, 'externalRefs');
  return raw.map((ref: unknown, i) => validRef(ref, `externalRefs[${i}]`));
}

function validRef(ref: unknown, at: string): ExternalRef {
  if (typeof ref !== 'object' || ref === null) fail('REF_INVALID', 'an external reference has a system and an id', at);
  const { system, id, url } = ref as Partial<Record<keyof ExternalRef, unknown>>;
  const validSystem = requiredRefText(system, `${at}.system`);
  const validId = requiredRefText(id, `${at}.id`);
  const validUrl = url === undefined || url === '' ? undefined : validRefUrl(url, `${at}.url`);
  return validUrl === undefined ? { system: validSystem, id: validId } : { system: validSystem, id: validId, url: validUrl };
}

function requiredRefText(raw: unknown, field: string): string {
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (text === '') fail('REF_INVALID', 'required', field);
  checkLength(text, field, CONTRIBUTION_LIMITS.maxRefFieldLength);
  checkNoSecret(text, field);
  return text;
}

function validRefUrl(raw: unknown, field: string): string {
  if (typeof raw !== 'string') fail('REF_INVALID', 'a URL is text', field);
  const text = raw.trim();
  checkLength(text, field, CONTRIBUTION_LIMITS.maxRefUrlLength);
  checkNoSecret(text, field);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fail('REF_INVALID', 'not an absolute URL', field);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('REF_INVALID', `only http and https links (got ${url.protocol})`, field);
  // Credentials in a link would be shared with everyone who sees the contribution.
  if (url.username !== '' || url.password !== '') fail('REF_INVALID', 'a link may not carry a user name or password', field);
  return text;
}

function fail(code: ValidationCode, message: string, field: string): never {
  throw new SignalValidationError(code, message, field);
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** The offending value for a message: shortened, and never an API key. */
function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  if (API_KEY_LIKE.test(text)) return '(redacted: looks like an API key)';
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}
