import { thrownCode } from '@signal-mesh/testing';
import fc from 'fast-check';

import { isSignalValidationError } from '../errors';
import { signalId } from '../identity';
import { canonicalizePattern, compilePatternRegex, MAX_REGEX_PROGRAM_SIZE, parsePatternKind } from './pattern';


describe(parsePatternKind.name, () => {
  it.each([
    ['keyword', 'keyword'],
    ['KEYWORD', 'keyword'],
    [' Regex ', 'regex'],
    ['PATTERN_KIND_KEYWORD', 'keyword'],
    ['pattern_kind_regex', 'regex'],
  ])('parses %j', (raw, kind) => expect(parsePatternKind(raw)).toBe(kind));

  it('rejects other kinds with a code', () => {
    expect(thrownCode(() => parsePatternKind('glob'))).toBe('UNSUPPORTED_PATTERN_KIND');
    expect(thrownCode(() => parsePatternKind('PATTERN_KIND_UNSPECIFIED'))).toBe('UNSUPPORTED_PATTERN_KIND');
    expect(thrownCode(() => parsePatternKind('constructor'))).toBe('UNSUPPORTED_PATTERN_KIND');
    expect(thrownCode(() => parsePatternKind(' '))).toBe('VALUE_REQUIRED');
  });
});

describe(canonicalizePattern.name, () => {
  const kind = { type: 'prompt-pattern', kind: 'keyword' } as const;

  it('gives every spelling of a keyword one canonical value and one signal id', () => {
    const spellings = [
      'forbidden example phrase',
      '  Forbidden   EXAMPLE\tphrase ',
      'forbidden-example, phrase!',
      'fоrbіddеn ехаmрlе рhrаsе',
      'ＦＯＲＢＩＤＤＥＮ ｅｘａｍｐｌｅ ｐｈｒａｓｅ',
      'for\u200bbid\u00adden ex\u200dample phrase',
      'f0rb1dd3n ex4mpl3 phr@se'.replace('mpl3', 'mple'),
      'fórbíddén éxàmplê phrâse',
    ];
    const ids = new Set(spellings.map((s) => signalId(kind, canonicalizePattern(s, 'keyword').canonical)));
    expect(canonicalizePattern(spellings[1], 'keyword')).toEqual({ kind: 'keyword', canonical: 'forbidden example phrase', source: spellings[1] });
    expect(ids).toEqual(new Set([signalId(kind, 'forbidden example phrase')]));
  });

  it('keeps different keywords apart', () => {
    expect(canonicalizePattern('placeholder term', 'keyword').canonical).not.toBe(canonicalizePattern('placeholder terms', 'keyword').canonical);
  });

  it('joins words of scripts without spaces without one', () => {
    expect(canonicalizePattern('禁止 例', 'keyword').canonical).toBe('禁止例');
  });

  it('is idempotent on keywords (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), (raw) => {
        let canonical: string;
        try {
          canonical = canonicalizePattern(raw, 'keyword').canonical;
        } catch (err) {
          if (isSignalValidationError(err)) return;
          throw err;
        }
        expect(canonicalizePattern(canonical, 'keyword').canonical).toBe(canonical);
      }),
      { numRuns: 5_000 },
    );
  });

  it('rejects empty and overlong keywords with codes', () => {
    expect(thrownCode(() => canonicalizePattern('', 'keyword'))).toBe('VALUE_REQUIRED');
    expect(thrownCode(() => canonicalizePattern(' \t ', 'keyword'))).toBe('VALUE_REQUIRED');
    expect(thrownCode(() => canonicalizePattern('\u200b\u200d', 'keyword'))).toBe('PATTERN_EMPTY');
    expect(thrownCode(() => canonicalizePattern('!!! ...', 'keyword'))).toBe('PATTERN_EMPTY');
    expect(thrownCode(() => canonicalizePattern('a'.repeat(1_000), 'keyword'))).toBeUndefined();
    expect(thrownCode(() => canonicalizePattern('a'.repeat(1_001), 'keyword'))).toBe('VALUE_TOO_LONG');
    expect(thrownCode(() => canonicalizePattern('\ufdfa'.repeat(100), 'keyword'))).toBe('VALUE_TOO_LONG'); // NFKC expands it
  });

  it('keeps a regex source as written, trimmed', () => {
    expect(canonicalizePattern('  \\bplaceholder\\s+term\\b \n', 'regex')).toEqual({ kind: 'regex', canonical: '\\bplaceholder\\s+term\\b', source: '  \\bplaceholder\\s+term\\b \n' });
  });

  it.each(['(a)\\1', '(?P<w>placeholder) (?P=w)', 'placeholder(?= term)', 'placeholder(?! term)', '(?<=placeholder) term', '(?<!placeholder) term', '(a', '\\C', 'a**'])(
    'rejects %j with REGEX_NOT_RE2 and the engine message',
    (source) => {
      expect(() => canonicalizePattern(source, 'regex')).toThrow(expect.objectContaining({ code: 'REGEX_NOT_RE2', message: expect.stringContaining('error parsing regexp') }));
    },
  );

  it('rejects regexes that are too large', () => {
    expect(thrownCode(() => canonicalizePattern('a'.repeat(2_000), 'regex'))).toBeUndefined();
    expect(thrownCode(() => canonicalizePattern('a'.repeat(2_001), 'regex'))).toBe('REGEX_TOO_LARGE');
    expect(thrownCode(() => canonicalizePattern('[a-z]{1000}[a-z]{1000}[a-z]{1000}[a-z]{1000}x', 'regex'))).toBe('REGEX_TOO_LARGE');
    expect(compilePatternRegex('[a-z]{1000}x').programSize()).toBeLessThanOrEqual(MAX_REGEX_PROGRAM_SIZE);
  });

  it('rejects regexes that match the empty string, so would match every text', () => {
    for (const source of ['x*', '(?:)', '^', 'a|']) expect(thrownCode(() => canonicalizePattern(source, 'regex'))).toBe('PATTERN_EMPTY');
    expect(thrownCode(() => canonicalizePattern('', 'regex'))).toBe('VALUE_REQUIRED');
  });

  it('rejects an unknown kind', () => {
    expect(thrownCode(() => canonicalizePattern('x', 'glob' as never))).toBe('UNSUPPORTED_PATTERN_KIND');
  });
});
