import { CONFUSABLE_FOLDS } from './confusables.data';

/**
 * Lookalike characters folded to ASCII, keyed by code point. Keys are case-folded, NFKC- and NFD-stable, because
 * normalizeText() looks them up after NFKC, NFD and case folding (fullwidth and mathematical letters are already
 * ASCII by then). Source and rules: confusables.data.ts and confusables.generate.mjs (Unicode TR39 18.0.0).
 */
export const CONFUSABLES: ReadonlyMap<number, string> = new Map(
  Object.entries(CONFUSABLE_FOLDS).flatMap(([value, codePoints]) => codePoints.split(' ').map((hex) => [parseInt(hex, 16), value] as const)),
);

/** The ASCII a (folded) character looks like, or undefined when it is not a known lookalike. */
export function foldConfusable(codePoint: number): string | undefined {
  return CONFUSABLES.get(codePoint);
}
