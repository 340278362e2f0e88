import { RE2JS } from 're2js';

import { SignalValidationError } from '../errors';
import type { PatternKind } from '../identity';
import { normalizeText } from './normalize';
import { joinTokens, tokenize } from './tokenize';

/** Longest keyword, in code points, before and after normalisation. */
export const MAX_KEYWORD_LENGTH = 1_000;
/** Longest regular expression source, in code points. */
export const MAX_REGEX_SOURCE_LENGTH = 2_000;
/**
 * Largest compiled RE2 program (instructions, re2js programSize()). Matching costs up to (text length × program
 * size) steps when the DFA gives up, so this bounds the cost of a hostile regex; a regex without counted
 * repetition (x{n}) stays near its source length, well inside.
 */
export const MAX_REGEX_PROGRAM_SIZE = 4_000;

export interface CanonicalPattern {
  kind: PatternKind;
  /** What the signal id is derived from and what matchers load. */
  canonical: string;
  /** The value as contributed. */
  source: string;
}

/** Accepts keyword / regex in any case and the proto spellings (PATTERN_KIND_KEYWORD, PATTERN_KIND_REGEX). */
export function parsePatternKind(raw: string): PatternKind {
  if (typeof raw !== 'string' || raw.trim() === '') throw new SignalValidationError('VALUE_REQUIRED', 'a pattern kind is required: keyword or regex', 'kind');
  switch (raw.trim().toLowerCase().replace(/^pattern_kind_/, '')) {
    case 'keyword':
      return 'keyword';
    case 'regex':
      return 'regex';
    default:
      throw new SignalValidationError('UNSUPPORTED_PATTERN_KIND', `unsupported pattern kind ${JSON.stringify(raw)}: use keyword or regex`, 'kind');
  }
}

/**
 * Validates a prompt pattern and returns its canonical form. Throws SignalValidationError.
 *
 * - keyword: the words of normalizeText(raw) (default options) joined by one space — punctuation between words is
 *   dropped because matching ignores it, so "forbidden-example" and "Forbidden  example" are one signal. Words of
 *   scripts without spaces (Han, Thai…) are joined without one.
 * - regex: the source, trimmed and otherwise untouched (rewriting regex syntax could change its meaning). It must
 *   compile with RE2 semantics (re2js: linear time; no backreferences or lookaround) — see compilePatternRegex().
 */
export function canonicalizePattern(raw: string, kind: PatternKind): CanonicalPattern {
  if (typeof raw !== 'string' || raw.trim() === '') throw new SignalValidationError('VALUE_REQUIRED', 'a pattern is required', 'value');
  switch (kind) {
    case 'keyword':
      return { kind, canonical: canonicalKeyword(raw), source: raw };
    case 'regex': {
      const canonical = raw.trim();
      compilePatternRegex(canonical);
      return { kind, canonical, source: raw };
    }
    default:
      throw new SignalValidationError('UNSUPPORTED_PATTERN_KIND', `unsupported pattern kind ${JSON.stringify(kind)}: use keyword or regex`, 'kind');
  }
}

function canonicalKeyword(raw: string): string {
  if (codePointLength(raw) > MAX_KEYWORD_LENGTH) throw tooLong(raw);
  const canonical = joinTokens(tokenize(normalizeText(raw)));
  if (canonical === '') throw new SignalValidationError('PATTERN_EMPTY', 'the keyword has no letters or digits left after normalisation', 'value');
  // NFKC can expand (one ligature, several letters), so the stored value is bounded too.
  if (codePointLength(canonical) > MAX_KEYWORD_LENGTH) throw tooLong(canonical);
  return canonical;
}

/**
 * Compiles a regex pattern with re2js (RE2 semantics, linear-time matching; never a backtracking engine) after
 * checking the limits. Patterns run against normalizeText() output, which is lower-case, so they compile
 * case-insensitive: an upper-case letter still matches rather than silently never matching. Other literals must be
 * written in normalised form (ASCII rather than lookalikes, "ss" for ß, no accents on Latin letters); the matcher
 * also tries the text without leetspeak folding, so digits stay matchable. No flags besides RE2's inline syntax.
 */
export function compilePatternRegex(source: string): RE2JS {
  if (codePointLength(source) > MAX_REGEX_SOURCE_LENGTH) {
    throw new SignalValidationError('REGEX_TOO_LARGE', `a regex may have at most ${MAX_REGEX_SOURCE_LENGTH} characters`, 'value');
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new SignalValidationError('REGEX_NOT_RE2', `not an RE2 regular expression (RE2 has no backreferences or lookaround): ${reason}`, 'value');
  }
  if (re.programSize() > MAX_REGEX_PROGRAM_SIZE) {
    throw new SignalValidationError('REGEX_TOO_LARGE', `the compiled regex has ${re.programSize()} instructions; at most ${MAX_REGEX_PROGRAM_SIZE} are allowed`, 'value');
  }
  if (re.test('')) throw new SignalValidationError('PATTERN_EMPTY', 'the regex matches the empty string, so it would match every text', 'value');
  return re;
}

function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if ((s.charCodeAt(i) & 0xfc00) !== 0xdc00) n++;
  return n;
}

function tooLong(s: string): SignalValidationError {
  return new SignalValidationError('VALUE_TOO_LONG', `a keyword may have at most ${MAX_KEYWORD_LENGTH} characters (got ${codePointLength(s)})`, 'value');
}
