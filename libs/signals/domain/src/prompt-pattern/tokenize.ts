const WORD_CHAR = /^[\p{L}\p{M}\p{N}]$/u;
const MARK = /^\p{M}$/u;
// Scripts written without spaces between words: each character is a token, so a keyword matches as a substring.
const PER_CHARACTER = /^[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{scx=Thai}\p{scx=Lao}\p{scx=Khmer}\p{scx=Myanmar}]$/u;

/**
 * Splits normalised text into the tokens keywords are matched on. A token is a run of letters, marks and numbers;
 * anything else (spaces, punctuation, symbols) separates, so "forbidden-example" is two tokens. Characters of
 * scripts written without word spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) are one token each,
 * with their combining marks. Other scripts (Latin, Cyrillic, Greek, Arabic, Devanagari, Hangul…) use whole words.
 */
export function tokenize(normalized: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let perCharacter = false;
  const flush = () => {
    if (current) tokens.push(current);
    current = '';
  };
  for (const c of normalized) {
    const code = c.charCodeAt(0);
    const asciiWord = (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a);
    if (asciiWord || (code >= 0x80 && WORD_CHAR.test(c))) {
      if (!asciiWord && MARK.test(c)) {
        // A mark with no base in this word (right after a separator) is dropped.
        if (current) current += c;
      } else if (!asciiWord && PER_CHARACTER.test(c)) {
        flush();
        current = c;
        perCharacter = true;
      } else {
        if (perCharacter) flush();
        current += c;
        perCharacter = false;
      }
    } else {
      flush();
      perCharacter = false;
    }
  }
  flush();
  return tokens;
}

/** The canonical spelling of a token sequence: one space between words, none next to a per-character token. */
export function joinTokens(tokens: readonly string[]): string {
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    if (i > 0 && !PER_CHARACTER.test(firstCharacter(tokens[i - 1])) && !PER_CHARACTER.test(firstCharacter(tokens[i]))) out += ' ';
    out += tokens[i];
  }
  return out;
}

function firstCharacter(token: string): string {
  return String.fromCodePoint(token.codePointAt(0) as number);
}

/**
 * Letter-spacing evasion ("f o r b i d d e n", "f.o.r.b.i.d"): joins each run of at least three one-character
 * tokens (not of a per-character script) into one token. Returns the new token list and the joined tokens, or
 * undefined when there is no such run.
 */
export function joinSpacedLetters(tokens: readonly string[]): { tokens: string[]; joined: string[] } | undefined {
  const out: string[] = [];
  const joined: string[] = [];
  for (let i = 0; i < tokens.length; ) {
    let j = i;
    while (j < tokens.length && isSingleLetter(tokens[j])) j++;
    if (j - i >= 3) {
      const word = tokens.slice(i, j).join('');
      out.push(word);
      joined.push(word);
    } else {
      out.push(...tokens.slice(i, Math.max(j, i + 1)));
    }
    i = Math.max(j, i + 1);
  }
  return joined.length ? { tokens: out, joined } : undefined;
}

function isSingleLetter(token: string): boolean {
  return (token.length === 1 || [...token].length === 1) && !PER_CHARACTER.test(token);
}
