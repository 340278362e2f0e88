import { isSignalValidationError } from '../errors';
import { compilePatternSet, type PatternSetEntry } from './matcher';
import { canonicalizePattern } from './pattern';

function keyword(id: string, raw: string): PatternSetEntry {
  return { id, kind: 'keyword', canonical: canonicalizePattern(raw, 'keyword').canonical };
}

function regex(id: string, raw: string): PatternSetEntry {
  return { id, kind: 'regex', canonical: canonicalizePattern(raw, 'regex').canonical };
}

describe(compilePatternSet.name, () => {
  const matcher = compilePatternSet([keyword('k1', 'forbidden example phrase'), keyword('k2', 'placeholder term'), regex('r1', '\\bplace\\w*\\s+terms?\\b')]);
  const ids = (text: string) => matcher.match(text).map((m) => m.id);

  it.each([
    ['plain', 'a prompt with the forbidden example phrase in it'],
    ['case and spacing', 'A prompt: FORBIDDEN   Example\n\tPhrase!!'],
    ['punctuation between words', 'forbidden-example_phrase'],
    ['homoglyphs', 'fоrbіddеn ехаmрlе рhrаsе'],
    ['fullwidth', 'ｆｏｒｂｉｄｄｅｎ ｅｘａｍｐｌｅ ｐｈｒａｓｅ'],
    ['mathematical letters', '𝐟𝐨𝐫𝐛𝐢𝐝𝐝𝐞𝐧 𝐞𝐱𝐚𝐦𝐩𝐥𝐞 𝐩𝐡𝐫𝐚𝐬𝐞'],
    ['zero-width', 'for\u200bbid\u200cden ex\u200dam\u00adple phr\ufeffase'],
    ['leetspeak', 'f0rb1dd3n ex@mple phr4$e'],
    ['accents and zalgo', 'fórbíddén e̸x̸a̸m̸p̸l̸e̸ phrâse'],
    ['letter spacing', 'f o r b i d d e n example phrase'],
    ['letter spacing across words', 'f.o.r.b.i.d.d.e.n.e.x.a.m.p.l.e.p.h.r.a.s.e'],
  ])('matches a keyword through %s', (_, text) => {
    expect(ids(text)).toEqual(['k1']);
  });

  it('matches whole words only', () => {
    expect(ids('forbidden examples phrase')).toEqual([]);
    expect(ids('unforbidden example phrase')).toEqual([]);
    expect(ids('forbidden example')).toEqual([]);
  });

  it('matches keywords of scripts without spaces as substrings', () => {
    const cjk = compilePatternSet([keyword('c', '禁止例')]);
    expect(cjk.match('これは禁止例です').map((m) => m.id)).toEqual(['c']);
    expect(cjk.match('禁止 例').map((m) => m.id)).toEqual(['c']);
    expect(cjk.match('禁止').map((m) => m.id)).toEqual([]);
  });

  it('runs regexes on the normalised text, case-insensitively', () => {
    expect(matcher.match('a PLACEHOLDER term')).toEqual([
      { id: 'k2', kind: 'keyword' },
      { id: 'r1', kind: 'regex' },
    ]);
    expect(ids('pl4c3holders t3rms')).toEqual(['r1']);
    expect(compilePatternSet([regex('u', 'PLACEHOLDER')]).match('placeholder').map((m) => m.id)).toEqual(['u']);
  });

  it('lets regexes see digits that leetspeak folding turns into letters', () => {
    const numbers = compilePatternSet([regex('n', '\\b\\d+ ?units?\\b')]);
    expect(numbers.match('placeholder9units').map((m) => m.id)).toEqual([]);
    expect(numbers.match('placeholder 9units').map((m) => m.id)).toEqual(['n']);
    expect(compilePatternSet([regex('n', 'r\\d+unit')]).match('pr9unit').map((m) => m.id)).toEqual(['n']);
  });

  it('reports each id once, in the order given, and its size', () => {
    const twice = compilePatternSet([keyword('a', 'placeholder term'), keyword('b', 'placeholder'), keyword('a', 'placeholder term')]);
    expect(twice.size).toBe(3);
    expect(twice.match('placeholder term').map((m) => m.id)).toEqual(['a', 'b']);
  });

  it('runs a pathological regex in linear time on a long text', () => {
    const evil = compilePatternSet([regex('evil', '(a+)+$'), regex('evil2', '(x+x+)+y'), regex('evil3', '(?:a|aa)*c')]);
    const text = `${'a'.repeat(100_000)}!`;
    const started = performance.now();
    expect(evil.match(text)).toEqual([]);
    expect(evil.match('x'.repeat(100_000))).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(evil.match('aaaa').map((m) => m.id)).toEqual(['evil']);
  });

  it('finds exactly the planted keywords among 2,000', () => {
    // Letters only, so that leetspeak folding cannot make two of them equal.
    const letters = (i: number): string => (i < 26 ? '' : letters(Math.floor(i / 26) - 1)) + String.fromCharCode(97 + (i % 26));
    const word = (i: number) => `placeholder${letters(i)}`;
    const patterns = Array.from({ length: 2_000 }, (_, i) => keyword(`p${i}`, i % 3 === 0 ? `${word(i)} term` : word(i)));
    const set = compilePatternSet(patterns);
    const planted = [7, 300, 1_234, 1_999];
    const fillers = Array.from({ length: 500 }, (_, i) => `filler${letters(i)} ${word(i * 3)} other term`);
    const parts = [...fillers];
    for (const i of planted) parts.splice((i * 7) % parts.length, 0, i % 3 === 0 ? `${word(i).toUpperCase()} term` : word(i));
    parts.push(word(0)); // p0 wants "placeholder0 term": its first word alone must not match
    const started = performance.now();
    expect(set.match(parts.join(' ')).map((m) => m.id)).toEqual(planted.map((i) => `p${i}`));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(set.size).toBe(2_000);
  });

  it('rejects an invalid pattern, or skips it when asked', () => {
    const bad = [keyword('ok', 'placeholder term'), { id: 'bad', kind: 'regex' as const, canonical: '(a)\\1' }, { id: 'empty', kind: 'keyword' as const, canonical: '!!!' }];
    expect(() => compilePatternSet(bad)).toThrow(expect.objectContaining({ code: 'REGEX_NOT_RE2', message: expect.stringContaining('pattern bad') }));
    const skipping = compilePatternSet(bad, { onInvalid: 'skip' });
    expect(skipping.size).toBe(1);
    expect(skipping.skipped.map(({ id, code }) => ({ id, code }))).toEqual([
      { id: 'bad', code: 'REGEX_NOT_RE2' },
      { id: 'empty', code: 'PATTERN_EMPTY' },
    ]);
    expect(skipping.match('placeholder term').map((m) => m.id)).toEqual(['ok']);
    try {
      compilePatternSet([{ id: 'x', kind: 'glob' as never, canonical: 'x' }]);
    } catch (err) {
      expect(isSignalValidationError(err) && err.code).toBe('UNSUPPORTED_PATTERN_KIND');
    }
  });

  it('normalises text and keywords with the same options', () => {
    const noLeet = compilePatternSet([keyword('k', 'placeholder term')], { leetspeak: 'off', confusables: false });
    expect(noLeet.match('PLACEHOLDER term').map((m) => m.id)).toEqual(['k']);
    expect(noLeet.match('pl4ceholder term').map((m) => m.id)).toEqual([]);
    expect(noLeet.match('plaсeholder term').map((m) => m.id)).toEqual([]); // Cyrillic с
  });
});
