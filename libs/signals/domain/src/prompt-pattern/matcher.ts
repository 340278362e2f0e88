import type { RE2JS } from 're2js';

import { isSignalValidationError, SignalValidationError, type ValidationCode } from '../errors';
import type { PatternKind } from '../identity';
import { foldLeetspeak } from './leetspeak';
import { type NormalizeOptions, normalizeText } from './normalize';
import { compilePatternRegex } from './pattern';
import { joinSpacedLetters, tokenize } from './tokenize';

export interface PatternSetEntry {
  id: string;
  kind: PatternKind;
  /** The canonical value (canonicalizePattern). */
  canonical: string;
}

export interface PatternMatch {
  id: string;
  kind: PatternKind;
}

export interface CompilePatternSetOptions extends NormalizeOptions {
  /** 'throw' (default): an invalid entry fails the whole set. 'skip': it is left out and listed in `skipped`. */
  onInvalid?: 'throw' | 'skip';
}

export interface SkippedPattern {
  id: string;
  code: ValidationCode;
  message: string;
}

export interface PatternMatcher {
  /** Patterns loaded (skipped ones excluded). */
  readonly size: number;
  readonly skipped: readonly SkippedPattern[];
  /** The patterns the text matches, each id once, in the order they were given. */
  match(text: string): PatternMatch[];
}

interface TrieNode {
  next?: Map<string, TrieNode>;
  ends?: number[];
}

/**
 * Compiles prompt patterns into a matcher. The text is normalised once per match with `options` (keywords are
 * normalised with the same options, so both sides agree; use the defaults unless every pattern was written for
 * other options).
 *
 * - Keywords match as whole-word token sequences (tokenize(): punctuation and spaces separate words; characters of
 *   scripts without word spaces are single tokens, so there a keyword matches as a substring). A token trie makes
 *   the cost independent of the number of keywords. Letter-spaced text ("f o r b i d…") is also matched after
 *   joining runs of single letters; a joined run may equal a whole keyword written without its spaces.
 * - Regexes run with re2js (RE2, linear time) on the normalised text, and also on it without leetspeak folding so
 *   that numbers between letters ("age9yo") stay matchable. One regex after another: a set automaton (RE2Set)
 *   falls back to its slow path for the whole set as soon as one pattern uses \b.
 */
export function compilePatternSet(patterns: readonly PatternSetEntry[], options: CompilePatternSetOptions = {}): PatternMatcher {
  const normalizeOptions: NormalizeOptions = { leetspeak: options.leetspeak, confusables: options.confusables };
  const root: TrieNode = {};
  const concatenated = new Map<string, number[]>();
  const regexes: { index: number; re: RE2JS }[] = [];
  const skipped: SkippedPattern[] = [];
  const entries = patterns.map(({ id, kind }) => ({ id, kind }));

  patterns.forEach((pattern, index) => {
    try {
      if (pattern.kind === 'keyword') {
        const tokens = tokenize(normalizeText(pattern.canonical, normalizeOptions));
        if (tokens.length === 0) throw new SignalValidationError('PATTERN_EMPTY', 'the keyword has no letters or digits left after normalisation', 'value');
        let node = root;
        for (const token of tokens) {
          node.next ??= new Map();
          let child = node.next.get(token);
          if (!child) node.next.set(token, (child = {}));
          node = child;
        }
        (node.ends ??= []).push(index);
        if (tokens.length > 1) push(concatenated, tokens.join(''), index);
      } else if (pattern.kind === 'regex') {
        regexes.push({ index, re: compilePatternRegex(pattern.canonical.trim()) });
      } else {
        throw new SignalValidationError('UNSUPPORTED_PATTERN_KIND', `unsupported pattern kind ${JSON.stringify(pattern.kind)}`, 'kind');
      }
    } catch (err) {
      if (options.onInvalid !== 'skip' || !isSignalValidationError(err)) {
        if (isSignalValidationError(err)) throw new SignalValidationError(err.code, `pattern ${pattern.id}: ${err.message}`, err.field);
        throw err;
      }
      skipped.push({ id: pattern.id, code: err.code, message: err.message });
    }
  });

  const size = patterns.length - skipped.length;
  return {
    size,
    skipped,
    match(text: string): PatternMatch[] {
      const unfolded = normalizeText(text, { ...normalizeOptions, leetspeak: 'off' });
      const normalized = foldLeetspeak(unfolded, normalizeOptions.leetspeak);
      const hits = new Set<number>();
      if (root.next) {
        const tokens = tokenize(normalized);
        matchTokens(root, tokens, hits);
        const spaced = joinSpacedLetters(tokens);
        if (spaced) {
          matchTokens(root, spaced.tokens, hits);
          for (const word of spaced.joined) for (const index of concatenated.get(word) ?? []) hits.add(index);
        }
      }
      for (const { index, re } of regexes) {
        if (!hits.has(index) && (re.test(normalized) || (unfolded !== normalized && re.test(unfolded)))) hits.add(index);
      }
      const seen = new Set<string>();
      const out: PatternMatch[] = [];
      for (const index of [...hits].sort((a, b) => a - b)) {
        const { id, kind } = entries[index];
        if (seen.has(id)) continue;
        seen.add(id);
        out.push({ id, kind });
      }
      return out;
    },
  };
}

function matchTokens(root: TrieNode, tokens: readonly string[], hits: Set<number>): void {
  for (let i = 0; i < tokens.length; i++) {
    let node: TrieNode | undefined = root;
    for (let j = i; j < tokens.length; j++) {
      node = node.next?.get(tokens[j]);
      if (!node) break;
      if (node.ends) for (const index of node.ends) hits.add(index);
    }
  }
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
