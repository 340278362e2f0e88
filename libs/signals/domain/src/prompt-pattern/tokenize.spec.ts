import { joinSpacedLetters, joinTokens, tokenize } from './tokenize';

describe(tokenize.name, () => {
  it('splits on spaces, punctuation and symbols', () => {
    expect(tokenize('forbidden-example, phrase! (2024)')).toEqual(['forbidden', 'example', 'phrase', '2024']);
    expect(tokenize("don't")).toEqual(['don', 't']);
  });

  it('keeps whole words in other scripts, with their marks', () => {
    expect(tokenize('привет мир नमस्ते')).toEqual(['привет', 'мир', 'नमस्ते']);
  });

  it('makes one token per character in scripts written without spaces', () => {
    expect(tokenize('abc日本語のテキスト')).toEqual(['abc', '日', '本', '語', 'の', 'テ', 'キ', 'ス', 'ト']);
    expect(tokenize('กินข้าว')).toEqual(['กิ', 'น', 'ข้', 'า', 'ว']);
  });

  it('drops a mark that has no letter before it', () => {
    expect(tokenize('a \u0301b')).toEqual(['a', 'b']);
  });
});

describe(joinTokens.name, () => {
  it('puts one space between words and none next to per-character tokens', () => {
    expect(joinTokens(['forbidden', 'example'])).toBe('forbidden example');
    expect(joinTokens(['abc', '日', '本', 'def'])).toBe('abc日本def');
  });
});

describe(joinSpacedLetters.name, () => {
  it('joins runs of three or more single letters', () => {
    expect(joinSpacedLetters(tokenize('f o r b i d d e n example'))).toEqual({ tokens: ['forbidden', 'example'], joined: ['forbidden'] });
    expect(joinSpacedLetters(['a', 'b', 'word'])).toBeUndefined();
    expect(joinSpacedLetters(['日', '本', '語'])).toBeUndefined();
  });
});
