import {
  type ContributionDraft,
  type ExternalRef,
  HashAlgorithm,
  Opinion,
  PatternKind,
  SignalType,
  TlpMarking,
  UrlMatchScope,
} from '@signal-mesh/contracts';

/** CLI spellings of the proto enums (flags, CSV cells, JSON-lines values). */
export const SUBMIT_TYPES: Readonly<Record<string, SignalType>> = {
  url: SignalType.SIGNAL_TYPE_URL,
  'model-hash': SignalType.SIGNAL_TYPE_MODEL_HASH,
  'prompt-pattern': SignalType.SIGNAL_TYPE_PROMPT_PATTERN,
};
export const URL_SCOPES: Readonly<Record<string, UrlMatchScope>> = {
  exact: UrlMatchScope.URL_MATCH_SCOPE_EXACT,
  'path-prefix': UrlMatchScope.URL_MATCH_SCOPE_PATH_PREFIX,
  host: UrlMatchScope.URL_MATCH_SCOPE_HOST,
  domain: UrlMatchScope.URL_MATCH_SCOPE_DOMAIN,
};
export const PATTERN_KINDS: Readonly<Record<string, PatternKind>> = {
  keyword: PatternKind.PATTERN_KIND_KEYWORD,
  regex: PatternKind.PATTERN_KIND_REGEX,
};
export const MARKINGS: Readonly<Record<string, TlpMarking>> = {
  clear: TlpMarking.TLP_MARKING_CLEAR,
  green: TlpMarking.TLP_MARKING_GREEN,
  amber: TlpMarking.TLP_MARKING_AMBER,
  'amber-strict': TlpMarking.TLP_MARKING_AMBER_STRICT,
  red: TlpMarking.TLP_MARKING_RED,
};
export const OPINIONS: Readonly<Record<string, Opinion>> = {
  positive: Opinion.OPINION_POSITIVE,
  negative: Opinion.OPINION_NEGATIVE,
};

/** The CLI spelling of a signal type, for output (`url`, `model-hash`, `prompt-pattern`). */
export function typeName(type: SignalType): string {
  return Object.keys(SUBMIT_TYPES).find((name) => SUBMIT_TYPES[name] === type) ?? 'unspecified';
}

/** An input the CLI cannot turn into a request, with the request field it concerns (as the service names fields). */
export class SubmitInputError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'SubmitInputError';
  }
}

/** One contribution as text, from flags, a CSV row or a JSON-lines object; empty or absent means unset. */
export interface DraftFields {
  type?: string;
  value?: string;
  scope?: string;
  kind?: string;
  categories?: readonly string[];
  marking?: string;
  sharingGroups?: readonly string[];
  namedOrgs?: readonly string[];
  confidence?: string | number;
  opinion?: string;
  validUntil?: string;
  evidenceNote?: string;
  externalRefs?: readonly string[];
}

/** `AMBER_STRICT`, `Amber-Strict`, `TLP:AMBER+STRICT` → `amber-strict`. */
function normalise(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/^tlp:/, '')
    .replace(/[_+]/g, '-');
}

function enumValue<T>(names: Readonly<Record<string, T>>, raw: string | undefined, unset: T, code: string, field: string): T {
  if (raw === undefined || raw.trim() === '') return unset;
  const value = names[normalise(raw)];
  if (value === undefined) throw new SubmitInputError(code, `"${raw}" is not one of ${Object.keys(names).join(', ')}`, field);
  return value;
}

/** 0–100; empty means unset (0 on the wire: the service applies its default). */
export function parseConfidence(raw: string | number | undefined): number {
  if (raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return 0;
  const n = typeof raw === 'number' ? raw : Number(raw.trim());
  if (!Number.isInteger(n) || n < 0 || n > 100) throw new SubmitInputError('INVALID_CONFIDENCE', `confidence must be an integer from 0 to 100, not "${raw}"`, 'contribution.confidence');
  return n;
}

/** An ISO 8601 date or date-time (`2027-01-01`, `2027-01-01T00:00:00Z`); empty means no expiry. */
export function parseValidUntil(raw: string | undefined): Date | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const date = new Date(raw.trim());
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw.trim()) || Number.isNaN(date.getTime())) {
    throw new SubmitInputError('INVALID_VALID_UNTIL', `valid_until must be an ISO 8601 date such as 2027-01-01T00:00:00Z, not "${raw}"`, 'contribution.valid_until');
  }
  return date;
}

/** `system:id` or `system:id:url` (the id may not contain ":"; the url may), e.g. `hotline-case:123:https://example.com/cases/123`. */
export function parseExternalRef(raw: string): ExternalRef {
  const text = raw.trim();
  const first = text.indexOf(':');
  const second = first === -1 ? -1 : text.indexOf(':', first + 1);
  const system = first === -1 ? '' : text.slice(0, first).trim();
  const id = (second === -1 ? text.slice(first + 1) : text.slice(first + 1, second)).trim();
  const url = second === -1 ? '' : text.slice(second + 1).trim();
  if (system === '' || id === '' || (url !== '' && !URL.canParse(url))) {
    throw new SubmitInputError('INVALID_EXTERNAL_REF', `an external reference must be system:id or system:id:url, not "${raw}"`, 'contribution.external_refs');
  }
  return { system, id, url };
}

/** Trimmed, without empty entries or repeats, in first-seen order. */
function list(values: readonly string[] | undefined): string[] {
  return [...new Set((values ?? []).map((v) => v.trim()).filter((v) => v !== ''))];
}

/**
 * The ContributionDraft a caller means. Only what the CLI must parse is checked here (enum spellings, numbers,
 * dates, references); whether the combination is acceptable (required marking, AMBER audiences, the value itself)
 * is the ingest service's call, so its answer and codes are the single source of truth.
 */
export function toDraft(fields: DraftFields): ContributionDraft {
  return {
    signal: {
      type: enumValue(SUBMIT_TYPES, fields.type, SignalType.SIGNAL_TYPE_UNSPECIFIED, 'UNSUPPORTED_SIGNAL_TYPE', 'contribution.signal.type'),
      value: fields.value ?? '',
      urlMatchScope: enumValue(URL_SCOPES, fields.scope, UrlMatchScope.URL_MATCH_SCOPE_UNSPECIFIED, 'UNSUPPORTED_MATCH_SCOPE', 'contribution.signal.url_match_scope'),
      patternKind: enumValue(PATTERN_KINDS, fields.kind, PatternKind.PATTERN_KIND_UNSPECIFIED, 'UNSUPPORTED_PATTERN_KIND', 'contribution.signal.pattern_kind'),
      hashAlgorithm: HashAlgorithm.HASH_ALGORITHM_UNSPECIFIED,
    },
    relatedIdentifiers: [],
    categories: list(fields.categories),
    marking: enumValue(MARKINGS, fields.marking, TlpMarking.TLP_MARKING_UNSPECIFIED, 'INVALID_MARKING', 'contribution.marking'),
    sharingGroupIds: list(fields.sharingGroups),
    namedOrgIds: list(fields.namedOrgs),
    confidence: parseConfidence(fields.confidence),
    opinion: enumValue(OPINIONS, fields.opinion, Opinion.OPINION_UNSPECIFIED, 'INVALID_OPINION', 'contribution.opinion'),
    validUntil: parseValidUntil(fields.validUntil),
    evidenceNote: fields.evidenceNote ?? '',
    externalRefs: list(fields.externalRefs).map(parseExternalRef),
  };
}
