export { CONFUSABLES, foldConfusable } from './confusables';
export { foldLeetspeak, LEETSPEAK_BASIC, type LeetspeakMode } from './leetspeak';
export { compilePatternSet, type CompilePatternSetOptions, type PatternMatch, type PatternMatcher, type PatternSetEntry, type SkippedPattern } from './matcher';
export { caseFold, type NormalizeOptions, normalizeText } from './normalize';
export {
  canonicalizePattern,
  type CanonicalPattern,
  compilePatternRegex,
  MAX_KEYWORD_LENGTH,
  MAX_REGEX_PROGRAM_SIZE,
  MAX_REGEX_SOURCE_LENGTH,
  parsePatternKind,
} from './pattern';
export { joinSpacedLetters, joinTokens, tokenize } from './tokenize';
