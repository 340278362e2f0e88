import fc from 'fast-check';

import { CONFUSABLES } from './confusables';
import { caseFold, normalizeText } from './normalize';

const PHRASE = 'forbidden example phrase';

describe(normalizeText.name, () => {
  it('lower-cases and collapses whitespace', () => {
    expect(normalizeText('  Forbidden\tEXAMPLE \n\n phrase ')).toBe(PHRASE);
    expect(normalizeText('forbidden\u00a0example\u3000phrase\u2028x\u0085y\u2003z')).toBe('forbidden example phrase x y z');
    expect(normalizeText('')).toBe('');
    expect(normalizeText(' \t\u200b ')).toBe('');
  });

  it('applies NFKC: fullwidth, mathematical, circled, superscript letters and ligatures', () => {
    expect(normalizeText('ＦＯＲＢＩＤＤＥＮ ｅｘａｍｐｌｅ')).toBe('forbidden example');
    expect(normalizeText('𝐟𝐨𝐫𝐛𝐢𝐝𝐝𝐞𝐧 𝔢𝔵𝔞𝔪𝔭𝔩𝔢 𝓹𝓱𝓻𝓪𝓼𝓮')).toBe(PHRASE);
    expect(normalizeText('ⓕⓞⓡⓑⓘⓓⓓⓔⓝ ᵉˣᵃᵐᵖˡᵉ')).toBe('forbidden example');
    expect(normalizeText('ﬁne ﬂow')).toBe('fine flow');
  });

  it('folds case fully: ß, ẞ, final sigma, Cherokee', () => {
    expect(normalizeText('STRASSE')).toBe(normalizeText('Straße'));
    expect(normalizeText('ẞ')).toBe('ss');
    expect(normalizeText('ΣΑΣ', { confusables: false })).toBe(normalizeText('σας', { confusables: false }));
    expect(caseFold('ς')).toBe('σ');
    expect(caseFold('ꭰ')).toBe('Ꭰ');
    expect(normalizeText('İ', { confusables: false })).toBe('i\u0307');
  });

  it('removes zero-width and other default-ignorable characters', () => {
    const invisible = ['\u200b', '\u200c', '\u200d', '\u00ad', '\u2060', '\ufeff', '\ufe0f', '\u034f', '\u202e', '\u2066', '\u{e0061}', '\u0007'];
    for (const c of invisible) expect(normalizeText(`for${c}bidden`)).toBe('forbidden');
  });

  it('folds homoglyphs to Latin (TR39-derived) in lower and upper case', () => {
    expect(normalizeText('fоrbіddеn ехаmрlе рhrаsе')).toBe(PHRASE); // Cyrillic о і е х а р
    expect(normalizeText('FОRBIDDЕN ЕХАMРLЕ')).toBe('forbidden example'); // Cyrillic О Е Х А Р
    expect(normalizeText('ρhrαsе')).toBe('phrase'); // Greek ρ α
    expect(normalizeText('ꜰᴏʀʙɪᴅᴅᴇɴ')).toBe('forbidden'); // small capitals
    expect(normalizeText('🅕🅞🅡🅑🅘🅓🅓🅔🅝')).toBe('forbidden');
    expect(normalizeText('ᎪᏴᏟ')).toBe('abc'); // Cherokee
    expect(normalizeText('օ ս ց')).toBe('o u g'); // Armenian
  });

  it('drops combining marks on Latin letters: accents and zalgo', () => {
    expect(normalizeText('fórbíddén éxàmplê')).toBe('forbidden example');
    expect(normalizeText('f̸o̸r̸b̸i̸d̸d̸e̸n̸')).toBe('forbidden');
    expect(normalizeText('f\u0336\u0335o\u0489r\u0334bidden')).toBe('forbidden');
    expect(normalizeText('й')).toBe('й'); // marks on other scripts stay, recomposed
  });

  it('leaves other scripts readable', () => {
    expect(normalizeText('日本語のテキスト 2024年')).toBe('日本語のテキスト 2024年');
    expect(normalizeText('है। ¡hola!')).toBe('है। ¡hola!');
  });

  it('can keep confusables', () => {
    expect(normalizeText('fоrbіddеn', { confusables: false })).toBe('fоrbіddеn');
    expect(normalizeText('Café', { confusables: false })).toBe('café');
  });

  it('folds leetspeak inside words only, and can be turned off', () => {
    expect(normalizeText('F0RB1DD3N ex@mple phr4$e')).toBe(PHRASE);
    expect(normalizeText('2024 4k 3d mp4 1080p 13yo $100')).toBe('2024 4k 3d mp4 1080p 13yo $100');
    expect(normalizeText('f0rb1dd3n', { leetspeak: 'off' })).toBe('f0rb1dd3n');
  });

  it('is deterministic and idempotent (property)', () => {
    const special = fc.constantFrom(
      ...'aAßẞςΣİıЁё\u0301\u0308\u0345\u200d\u00ad\ufe0f \t\n\u0085\u2028\u3000Ηη①ⓐ⒜ﬀǅ가\u3164ﾞ 0134579@$bz-.'.split(''),
      ...[...CONFUSABLES.keys()].slice(0, 400).map((c) => String.fromCodePoint(c)),
    );
    const text = fc.array(fc.oneof(special, fc.string({ unit: 'binary', maxLength: 4 }), fc.string({ unit: 'grapheme', maxLength: 3 })), { maxLength: 16 }).map((parts) => parts.join(''));
    const options = fc.record({ leetspeak: fc.constantFrom('off' as const, 'basic' as const), confusables: fc.boolean() });
    fc.assert(
      fc.property(text, options, (s, o) => {
        const once = normalizeText(s, o);
        expect(normalizeText(s, o)).toBe(once);
        expect(normalizeText(once, o)).toBe(once);
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('normalizeText on every code point', () => {
  it('is idempotent for each character alone and between letters', () => {
    const failures: string[] = [];
    for (let cp = 0x80; cp < 0x110000; cp++) {
      if (cp === 0xd800) cp = 0xe000;
      if (cp === 0x40000) cp = 0xe0000; // planes 4-13 are unassigned
      if (cp === 0xf0000) break; // private use planes
      const c = String.fromCodePoint(cp);
      const s = `a${c}b${c}\u0301`;
      const once = normalizeText(s);
      if (normalizeText(once) !== once) failures.push(cp.toString(16));
    }
    expect(failures).toEqual([]);
  });
});
