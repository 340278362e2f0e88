import { FeedDomainError } from './errors';

/** What a subscriber narrows its feed to. Empty lists and 0 mean no narrowing. */
export interface FeedFilter {
  /** Signal types in the signal domain's spelling ('model-hash', 'url', 'prompt-pattern'). */
  readonly types: readonly string[];
  /** Category prefixes; "service.nudify" also covers "service.nudify.tutorial". */
  readonly categories: readonly string[];
  /** 0–100, compared with the view's aggregated confidence. */
  readonly minConfidence: number;
}

/** The parts of a view a filter looks at. */
export interface FilterableView {
  readonly type: string;
  readonly categories: readonly string[];
  readonly confidence: number;
}

export const EMPTY_FILTER: FeedFilter = Object.freeze({ types: Object.freeze([]), categories: Object.freeze([]), minConfidence: 0 });

export const FILTER_LIMITS = { types: 8, categories: 64, categoryLength: 64 } as const;
const CATEGORY_RE = /^[a-z0-9]+(?:[.-][a-z0-9]+)*$/;

const sortedUnique = (values: readonly string[]): string[] => [...new Set(values)].sort();

/**
 * Validates and normalises a filter (sorted, deduplicated), so equal filters compare equal and stored records are
 * canonical. `knownTypes` are the valid type spellings.
 */
export function normalizeFilter(filter: FeedFilter, knownTypes: readonly string[]): FeedFilter {
  const bad = (message: string, field: string) => new FeedDomainError('INVALID_FILTER', message, field);
  if (filter.types.length > FILTER_LIMITS.types) throw bad(`at most ${FILTER_LIMITS.types} types`, 'filter.types');
  for (const type of filter.types) if (!knownTypes.includes(type)) throw bad(`unknown signal type "${type}"`, 'filter.types');
  if (filter.categories.length > FILTER_LIMITS.categories) throw bad(`at most ${FILTER_LIMITS.categories} categories`, 'filter.categories');
  for (const category of filter.categories) {
    if (category.length > FILTER_LIMITS.categoryLength || !CATEGORY_RE.test(category)) throw bad(`"${category.slice(0, 80)}" is not a category (lowercase dotted words)`, 'filter.categories');
  }
  if (!Number.isInteger(filter.minConfidence) || filter.minConfidence < 0 || filter.minConfidence > 100) throw bad('min_confidence must be an integer from 0 to 100', 'filter.min_confidence');
  return { types: sortedUnique(filter.types), categories: sortedUnique(filter.categories), minConfidence: filter.minConfidence };
}

export function isEmptyFilter(filter: FeedFilter): boolean {
  return filter.types.length === 0 && filter.categories.length === 0 && filter.minConfidence === 0;
}

/** True when a category equals a filter entry or is one of its dotted sub-categories. */
export function categoryCovered(category: string, entries: readonly string[]): boolean {
  return entries.some((entry) => category === entry || category.startsWith(`${entry}.`));
}

/** Whether a view passes the filter: every non-empty criterion must hold. */
export function matchesFilter(filter: FeedFilter, view: FilterableView): boolean {
  if (filter.types.length > 0 && !filter.types.includes(view.type)) return false;
  if (filter.categories.length > 0 && !view.categories.some((category) => categoryCovered(category, filter.categories))) return false;
  return view.confidence >= filter.minConfidence;
}
