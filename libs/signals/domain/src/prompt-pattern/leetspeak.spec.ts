import { foldLeetspeak } from './leetspeak';

describe(foldLeetspeak.name, () => {
  it.each([
    ['b4by', 'baby'],
    ['n00b', 'noob'],
    ['h4x0r', 'haxor'],
    ['p@$$word', 'password'],
    ['@ss', 'ass'],
    ['$ex', 'sex'],
    ['l33t', 'leet'],
    ['pl4c3h0ld3r', 'placeholder'],
  ])('folds %s → %s', (input, output) => expect(foldLeetspeak(input)).toBe(output));

  it.each(['2024', '4k', '3d', 'mp4', '1080p', '13yo', 'girl13yo', 'covid19', '$100', '@', '1337', 'a-4-b'])('leaves %s alone', (input) => {
    expect(foldLeetspeak(input)).toBe(input);
  });

  it('folds each word separately', () => {
    expect(foldLeetspeak('pl4c3h0ld3r t3rm 2024')).toBe('placeholder term 2024');
  });

  it('is off when asked and idempotent', () => {
    expect(foldLeetspeak('b4by', 'off')).toBe('b4by');
    for (const s of ['a1b3c', 'x@4y', '1a0b', 'b@4c', 'a$1', 'ab3@']) expect(foldLeetspeak(foldLeetspeak(s))).toBe(foldLeetspeak(s));
  });
});
