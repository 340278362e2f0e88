import { type DelistEntry, type ListDefinition, type MatchScope, normalizeCategories } from './model';

/** Marking spellings of the trust domain; anything else (unspecified, unknown) is treated as not exportable. */
export type ViewMarking = 'CLEAR' | 'GREEN' | 'AMBER' | 'AMBER_STRICT' | 'RED' | 'UNKNOWN';

/** One contribution of an organisation's view, as much as a list entry needs of it. */
export interface ViewContribution {
  readonly marking: ViewMarking;
  readonly opinion: 'POSITIVE' | 'NEGATIVE' | 'UNKNOWN';
  readonly categories: readonly string[];
  readonly revoked: boolean;
}

/** An organisation's view of a signal (as the fan-out computed it under the trust policy), transport-free. */
export interface ListableView {
  readonly signalId: string;
  readonly type: 'url' | 'model-hash' | 'prompt-pattern' | 'unknown';
  readonly canonical: string;
  /** URL signals only. */
  readonly url?: { readonly matchScope: MatchScope; readonly registrableDomain: string };
  readonly contributions: readonly ViewContribution[];
}

/**
 * The same rule as feeds-domain `categoryCovered` (a domain lib may only depend on util libs, so it is repeated
 * here; the delisting app's spec checks both agree): equal, or a dotted sub-category.
 */
export function categoryCoveredBy(category: string, entries: readonly string[]): boolean {
  return entries.some((entry) => category === entry || category.startsWith(`${entry}.`));
}

/** Bulk lists never carry RED (trust-domain `bulk-export`); an unknown marking fails closed. */
export function isBulkExportable(contribution: ViewContribution): boolean {
  return contribution.marking !== 'RED' && contribution.marking !== 'UNKNOWN' && !contribution.revoked;
}

/**
 * The list entry a view yields, or undefined when the signal must not be on the list. RED contributions are dropped
 * first and everything is recomputed from what remains: no remaining contribution, no POSITIVE one among them (only
 * an exportable positive statement may put a URL on a published list), not a URL, or no category covered by the
 * list's → not listed. `firstListedAt` is the previous entry's when there is one, else `listedAt`.
 */
export function deriveEntry(list: ListDefinition, view: ListableView, listedAt: Date, previous?: DelistEntry): DelistEntry | undefined {
  if (view.type !== list.signalType || view.url === undefined) return undefined;
  const exportable = view.contributions.filter(isBulkExportable);
  if (!exportable.some((contribution) => contribution.opinion === 'POSITIVE')) return undefined;
  const categories = normalizeCategories(exportable.flatMap((contribution) => contribution.categories));
  if (!categories.some((category) => categoryCoveredBy(category, list.categories))) return undefined;
  return {
    signalId: view.signalId,
    canonicalUrl: view.canonical,
    matchScope: view.url.matchScope,
    registrableDomain: view.url.registrableDomain,
    categories,
    firstListedAt: previous?.firstListedAt ?? listedAt,
  };
}
