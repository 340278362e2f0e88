import { SignalValidationError } from './errors';
import { type HashAlgorithm, signalId, type SignalKind, type SignalType } from './identity';
import { type ModelHash, parseModelHash, relatedIdentifiers } from './model-hash';
import { canonicalizePattern, parsePatternKind } from './prompt-pattern';
import { canonicalizeUrl, type CanonicalUrl, parseUrlMatchScope, scopedUrlValue } from './url';

/** A raw value as a contributor or a subscriber sends it. */
export interface SignalInput {
  type: string;
  value: string;
  /** URL match scope (default exact). */
  scope?: string;
  /** Prompt pattern kind (default keyword). */
  kind?: string;
  /** Model hash algorithm when the value does not say (default: from prefix or length). */
  algorithm?: string;
}

export interface CanonicalSignal {
  type: SignalType;
  kind: SignalKind;
  /** The canonical value: what the signal id is derived from and what subscribers match against. */
  canonical: string;
  signalId: string;
  url?: Pick<CanonicalUrl, 'url' | 'host' | 'hostKind' | 'registrableDomain' | 'lookupExpressions'>;
  /** Identifiers implied by this one (e.g. the AutoV2 short hash of a full SHA-256), with their signal ids. */
  related?: { algorithm: HashAlgorithm; canonical: string; signalId: string }[];
}

const TYPE_ALIASES: Record<string, SignalType> = {
  url: 'url',
  'model-hash': 'model-hash',
  model_hash: 'model-hash',
  'prompt-pattern': 'prompt-pattern',
  prompt_pattern: 'prompt-pattern',
};

/** Accepts `url`, `model-hash`, `prompt-pattern` and the proto spellings (`SIGNAL_TYPE_MODEL_HASH`, `MODEL_HASH`). */
export function parseSignalType(raw: string): SignalType {
  const key = raw.trim().toLowerCase().replace(/^signal_type_/, '');
  const type = TYPE_ALIASES[key];
  if (!type) throw new SignalValidationError('UNSUPPORTED_SIGNAL_TYPE', `unsupported signal type "${raw}": use url, model-hash or prompt-pattern`, 'type');
  return type;
}

const ALGORITHMS: readonly HashAlgorithm[] = ['sha256', 'sha1', 'md5', 'autov2'];

function parseAlgorithm(raw: string | undefined): HashAlgorithm | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const key = raw.trim().toLowerCase().replace(/^hash_algorithm_/, '').replace('-', '') as HashAlgorithm;
  if (!ALGORITHMS.includes(key)) throw new SignalValidationError('UNSUPPORTED_HASH_ALGORITHM', `unsupported hash algorithm "${raw}": use ${ALGORITHMS.join(', ')}`, 'algorithm');
  return key;
}

/** Validates and canonicalizes one value into its signal identity. Throws SignalValidationError with a code. */
export function canonicalizeSignal(input: SignalInput): CanonicalSignal {
  const type = parseSignalType(input.type);
  if (typeof input.value !== 'string' || input.value.trim() === '') throw new SignalValidationError('VALUE_REQUIRED', 'a value is required', 'value');
  switch (type) {
    case 'model-hash': {
      const hash: ModelHash = parseModelHash(input.value, parseAlgorithm(input.algorithm));
      const kind: SignalKind = { type, algorithm: hash.algorithm };
      const related = relatedIdentifiers(hash).map((r) => ({ ...r, canonical: r.hex, signalId: signalId({ type, algorithm: r.algorithm }, r.hex) }));
      return { type, kind, canonical: hash.hex, signalId: signalId(kind, hash.hex), ...(related.length ? { related: related.map(({ algorithm, canonical, signalId: id }) => ({ algorithm, canonical, signalId: id })) } : {}) };
    }
    case 'url': {
      const scope = input.scope === undefined || input.scope.trim() === '' ? 'exact' : parseUrlMatchScope(input.scope);
      const url = canonicalizeUrl(input.value);
      const canonical = scopedUrlValue(url, scope);
      const kind: SignalKind = { type, scope };
      const { hostKind, host, registrableDomain, lookupExpressions } = url;
      return { type, kind, canonical, signalId: signalId(kind, canonical), url: { url: url.url, host, hostKind, registrableDomain, lookupExpressions } };
    }
    case 'prompt-pattern': {
      const patternKind = input.kind === undefined || input.kind.trim() === '' ? 'keyword' : parsePatternKind(input.kind);
      const pattern = canonicalizePattern(input.value, patternKind);
      const kind: SignalKind = { type, kind: patternKind };
      return { type, kind, canonical: pattern.canonical, signalId: signalId(kind, pattern.canonical) };
    }
  }
}
