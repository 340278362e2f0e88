export type LeetspeakMode = 'off' | 'basic';

/** The basic substitutions. 2 and 6 (z/to, b/g) are too ambiguous; 1 reads as i (k1d, g1rl) more often than l. */
export const LEETSPEAK_BASIC: ReadonlyMap<string, string> = new Map([
  ['0', 'o'],
  ['1', 'i'],
  ['3', 'e'],
  ['4', 'a'],
  ['5', 's'],
  ['7', 't'],
  ['8', 'b'],
  ['9', 'g'],
  ['@', 'a'],
  ['$', 's'],
]);

// A token: letters, marks, numbers and the leet symbols. Everything else separates.
const TOKEN = /[\p{L}\p{M}\p{N}@$]+/gu;
const HAS_LEET = /[013-57-9@$]/;
const ASCII_LETTER = /^[a-z]$/;

/**
 * Folds leetspeak inside words, on case-folded text. A run of leet characters between two ASCII letters folds
 * (b4by, n00b, h4x0r, p@$$word) unless it holds two different digits, which reads as a number (girl13, not
 * "girlie"); a run of only @ and $ also folds at the start or end of a word next to a letter (@ss, $ex). Digits at
 * word edges stay, so 2024, 4k, 3d, mp4, 1080p and 9yo are left alone. Whether a run folds depends only on the run
 * and the characters around it, which folding never changes, so the fold is idempotent.
 */
export function foldLeetspeak(text: string, mode: LeetspeakMode = 'basic'): string {
  if (mode === 'off' || !HAS_LEET.test(text)) return text;
  return text.replace(TOKEN, (token) => (HAS_LEET.test(token) && /[a-z]/.test(token) ? foldToken(token) : token));
}

function foldToken(token: string): string {
  let out = '';
  let i = 0;
  while (i < token.length) {
    if (!LEETSPEAK_BASIC.has(token[i])) {
      out += token[i++];
      continue;
    }
    let j = i;
    while (j < token.length && LEETSPEAK_BASIC.has(token[j])) j++;
    const run = token.slice(i, j);
    // Leet characters are ASCII, so UTF-16 indexes are safe here: a surrogate is never a letter a-z.
    const letterBefore = i > 0 && ASCII_LETTER.test(token[i - 1]);
    const letterAfter = j < token.length && ASCII_LETTER.test(token[j]);
    const symbolsOnly = /^[@$]+$/.test(run);
    const number = new Set(run.replace(/[@$]/g, '')).size > 1;
    const fold = (letterBefore && letterAfter && !number) || (symbolsOnly && ((i === 0 && letterAfter) || (j === token.length && letterBefore)));
    out += fold ? [...run].map((c) => LEETSPEAK_BASIC.get(c)).join('') : run;
    i = j;
  }
  return out;
}
