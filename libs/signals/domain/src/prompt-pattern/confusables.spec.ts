import { CONFUSABLES, foldConfusable } from './confusables';
import { caseFold } from './normalize';

describe(foldConfusable.name, () => {
  it('folds the TR39 lookalikes of Latin letters', () => {
    const cases: [string, string][] = [['а', 'a'], ['е', 'e'], ['о', 'o'], ['р', 'p'], ['с', 'c'], ['х', 'x'], ['у', 'y'], ['і', 'i'], ['ј', 'j'], ['ѕ', 's'], ['ԁ', 'd'], ['α', 'a'], ['ο', 'o'], ['ρ', 'p'], ['ι', 'i'], ['ν', 'v'], ['ɑ', 'a'], ['ı', 'i'], ['Ꭺ', 'a'], ['ꓮ', 'a'], ['ᗅ', 'a'], ['℮', 'e'], ['ʙ', 'b'], ['в', 'b'], ['‐', '-'], ['’', "'"]];
    for (const [c, ascii] of cases) expect([c, foldConfusable(c.codePointAt(0) as number)]).toEqual([c, ascii]);
  });

  it('leaves ASCII, ordinary letters and excluded scripts alone', () => {
    for (const c of 'mI01|lпжλשاहก日가¡।') expect([c, foldConfusable(c.codePointAt(0) as number)]).toEqual([c, undefined]);
  });

  it('holds only keys the normaliser can see, folding to short ASCII', () => {
    expect(CONFUSABLES.size).toBeGreaterThan(600);
    for (const [cp, value] of CONFUSABLES) {
      const c = String.fromCodePoint(cp);
      expect(cp).toBeGreaterThan(0x7f);
      expect([c, caseFold(c), c.normalize('NFKC'), c.normalize('NFD')]).toEqual([c, c, c, c]);
      expect(value).toMatch(/^[\x21-\x7e]{1,3}$/);
      if (/^[\p{L}\p{N}]$/u.test(c)) expect(value).toMatch(/^[a-z0-9]+$/);
      if (/^\p{P}$/u.test(c)) expect(value).not.toMatch(/[a-z0-9]/);
    }
  });
});
