import { foldConfusable } from './confusables';
import { foldLeetspeak, type LeetspeakMode } from './leetspeak';

export interface NormalizeOptions {
  /** Leetspeak folding inside words (see foldLeetspeak). Default 'basic'. */
  leetspeak?: LeetspeakMode;
  /** Fold lookalike characters to ASCII and drop combining marks on ASCII letters. Default true. */
  confusables?: boolean;
}

// Default-ignorable code points (ZWJ, ZWNJ, ZWSP, soft hyphen, word joiner, BOM, variation selectors, bidi
// controls, tags, Hangul fillers) and control characters: invisible, so used to split words. Applied after
// whitespace (some of it is Cc) has become spaces.
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cc}]/gu;
const WHITESPACE = /\p{White_Space}+/gu;
const MARK = /^\p{M}$/u;
// Printable ASCII and whitespace: steps 1-3 only lower-case it.
const PLAIN_ASCII = /^[\t\n\v\f\r\x20-\x7e]*$/;

/**
 * The text normalisation used for a keyword's identity and for every text matched against patterns, in order:
 *
 * 1. Unicode NFKC (fullwidth, mathematical alphanumerics, ligatures, circled and superscript letters → plain).
 * 2. Whitespace becomes spaces; default-ignorable code points and control characters are removed (zero-width
 *    evasions).
 * 3. Canonical decomposition (NFD), then per character: full case folding — toLowerCase plus ß/ẞ → ss,
 *    ς → σ, U+0345 → ι, Cherokee to upper case as CaseFolding.txt does (other full folds are covered by NFKC/NFD);
 *    when `confusables` is on, lookalikes fold to ASCII (TR39-derived table, confusables.ts) and combining marks
 *    after an ASCII character are dropped (é → e, zalgo text); recompose with NFKC.
 * 4. Every run of Unicode whitespace becomes one space; trimmed.
 * 5. Leetspeak folding inside words when `leetspeak` is 'basic' (foldLeetspeak: b4by → baby; 2024, 4k, 13yo stay).
 *
 * Deterministic and idempotent. Case folding is language-neutral (no Turkish dotless-i rule). Both sides of a
 * match must use the same options; a keyword's identity always uses the defaults.
 */
export function normalizeText(text: string, options: NormalizeOptions = {}): string {
  const confusables = options.confusables ?? true;
  let s: string;
  if (PLAIN_ASCII.test(text)) {
    s = text.toLowerCase();
  } else {
    // Whitespace becomes ASCII before folding, so marks after it are treated alike everywhere.
    s = text.normalize('NFKC').replace(WHITESPACE, ' ').replace(INVISIBLE, '').normalize('NFD');
    s = foldCharacters(s, confusables).normalize('NFKC');
  }
  return foldLeetspeak(s.replace(WHITESPACE, ' ').trim(), options.leetspeak ?? 'basic');
}

function foldCharacters(nfd: string, confusables: boolean): string {
  let out = '';
  let afterAscii = false;
  for (const c of nfd) {
    const cp = c.codePointAt(0) as number;
    if (cp < 0x80) {
      out += c.toLowerCase();
      afterAscii = true;
      continue;
    }
    for (const f of caseFold(c).normalize('NFD')) {
      if (MARK.test(f)) {
        if (!(confusables && afterAscii)) out += f;
        continue;
      }
      const folded = confusables ? (foldConfusable(f.codePointAt(0) as number) ?? f) : f;
      out += folded;
      afterAscii = folded.charCodeAt(0) < 0x80;
    }
  }
  return out;
}

/** Full case folding of one character (see normalizeText); keep equal to caseFold() in confusables.generate.mjs. */
export function caseFold(c: string): string {
  const cp = c.codePointAt(0) as number;
  if (cp < 0x80) return c.toLowerCase();
  if (c === 'ß' || c === 'ẞ') return 'ss';
  if (c === 'ς') return 'σ';
  if (c === '\u0345') return 'ι';
  // Cherokee folds to upper case (CaseFolding.txt), unlike toLowerCase.
  if ((cp >= 0x13a0 && cp <= 0x13fd) || (cp >= 0xab70 && cp <= 0xabbf)) return c.toUpperCase();
  return c.toLowerCase();
}
