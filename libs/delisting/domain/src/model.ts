import { DelistingDomainError } from './errors';

/** How widely an entry matches; the same spellings as the proto's UrlMatchScope without its prefix. */
export type MatchScope = 'EXACT' | 'PATH_PREFIX' | 'HOST' | 'DOMAIN';
export const MATCH_SCOPES: readonly MatchScope[] = ['EXACT', 'PATH_PREFIX', 'HOST', 'DOMAIN'];

/** One URL, host or domain to delist. */
export interface DelistEntry {
  /** The URL signal's id: the entry's stable identity and its sort key. */
  readonly signalId: string;
  readonly canonicalUrl: string;
  readonly matchScope: MatchScope;
  /** eTLD+1, e.g. "example.com". */
  readonly registrableDomain: string;
  /** Sorted, distinct. */
  readonly categories: readonly string[];
  /** When the signal entered the list (kept when the entry is replaced; reset by a removal and a later add). */
  readonly firstListedAt: Date;
}

/** A named list: which of an organisation's signals it carries. */
export interface ListDefinition {
  readonly listId: string;
  readonly description: string;
  /** Only URL signals are delisted. */
  readonly signalType: 'url';
  /** A view is listed when one of its categories equals one of these or is a dotted sub-category of one. */
  readonly categories: readonly string[];
}

export const NUDIFY_SERVICES: ListDefinition = Object.freeze({
  listId: 'nudify-services',
  description: 'Nudify services and their tutorials (URL signals in service.nudify and its sub-categories).',
  signalType: 'url',
  categories: Object.freeze(['service.nudify']),
});

/** Every list each search-engine organisation has, in list id order. */
export const LIST_DEFINITIONS: readonly ListDefinition[] = Object.freeze([NUDIFY_SERVICES]);

export function listDefinition(listId: string): ListDefinition | undefined {
  return LIST_DEFINITIONS.find((list) => list.listId === listId);
}

/**
 * URL signal ids are "url_" + 32 lowercase hex digits (signals-domain identity). All the same length, so the storage
 * keys `<prefix><signalId>:<version>` sort in signal id order and the canonical snapshot order is plain string order.
 */
export const URL_SIGNAL_ID_RE = /^url_[0-9a-f]{32}$/;

export function assertUrlSignalId(signalId: string): void {
  if (!URL_SIGNAL_ID_RE.test(signalId)) throw new DelistingDomainError('INVALID_ENTRY', `"${signalId.slice(0, 80)}" is not a URL signal id (url_ + 32 hex digits)`);
}

/** List versions are dense non-negative integers: version N is the list after its N-th change. */
export function assertVersion(version: number, what = 'version'): void {
  if (!Number.isSafeInteger(version) || version < 0) throw new DelistingDomainError('INVALID_VERSION', `${what} must be a non-negative integer, got ${String(version)}`);
}

/** Parses a decimal version (wire uint64, query parameter); INVALID_VERSION otherwise. */
export function parseVersion(value: string, what = 'version'): number {
  if (!/^\d{1,16}$/.test(value)) throw new DelistingDomainError('INVALID_VERSION', `${what} must be a non-negative decimal integer`);
  const version = Number(value);
  assertVersion(version, what);
  return version;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Sorted and distinct, so equal sets compare and serialise equal. */
export function normalizeCategories(categories: Iterable<string>): string[] {
  return [...new Set(categories)].sort(compare);
}

/** Same content (first-listed time included). */
export function entriesEqual(a: DelistEntry | undefined, b: DelistEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.signalId === b.signalId &&
    a.canonicalUrl === b.canonicalUrl &&
    a.matchScope === b.matchScope &&
    a.registrableDomain === b.registrableDomain &&
    a.firstListedAt.getTime() === b.firstListedAt.getTime() &&
    a.categories.length === b.categories.length &&
    a.categories.every((category, i) => category === b.categories[i])
  );
}

export function compareSignalIds(a: string, b: string): number {
  return compare(a, b);
}
