import { inspect } from 'node:util';

import { thrownCode } from '@signal-mesh/testing';

import { API_KEY_LENGTH, containsApiKey, generateApiKey, hashSecret, parseApiKey, verifySecret } from './api-key';

/** A deterministic random source: bytes 0, 1, 2, … */
const counting = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => i));

describe(generateApiKey.name, () => {
  it('issues smk_<12 base32 chars>_<43 base64url chars> from 256 random bits', () => {
    const sut = generateApiKey();
    expect(sut.apiKey).toMatch(/^smk_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);
    expect(sut.apiKey).toHaveLength(API_KEY_LENGTH);
    expect(Buffer.from(sut.secret, 'base64url')).toHaveLength(32);
  });

  it('uses the injected random source', () => {
    const sut = generateApiKey(counting);
    expect(sut.keyId).toBe('abcdefghijkl');
    expect(sut.secret).toBe(counting(32).toString('base64url'));
  });

  it('never repeats a key id or secret', () => {
    const keys = Array.from({ length: 200 }, () => generateApiKey());
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(200);
    expect(new Set(keys.map((k) => k.secret)).size).toBe(200);
  });

  it('does not show the secret when serialised or inspected', () => {
    const sut = generateApiKey();
    for (const shown of [JSON.stringify(sut), JSON.stringify({ key: sut }), inspect(sut), inspect({ nested: sut })]) {
      expect(shown).toContain(sut.keyId);
      expect(shown).not.toContain(sut.secret);
    }
  });
});

describe(parseApiKey.name, () => {
  it('round-trips a generated key', () => {
    const issued = generateApiKey();
    const sut = parseApiKey(issued.apiKey);
    expect([sut.keyId, sut.secret]).toEqual([issued.keyId, issued.secret]);
    expect(JSON.stringify(sut)).not.toContain(issued.secret);
  });

  it('keeps underscores and dashes inside the secret', () => {
    const secret = Buffer.alloc(32, 0xff).toString('base64url');
    expect(secret).toContain('_');
    expect(parseApiKey(`smk_abcdefghijkl_${secret}`).secret).toBe(secret);
  });

  it.each([
    ['empty', ''],
    ['wrong prefix', `sk_x_${'A'.repeat(43)}`.padEnd(API_KEY_LENGTH, 'A')],
    ['upper-case key id', `smk_ABCDEFGHIJKL_${'A'.repeat(43)}`],
    ['base32 digit outside the alphabet', `smk_abcdefghijk1_${'A'.repeat(43)}`],
    ['missing separator', `smk_abcdefghijklA${'A'.repeat(43)}`],
    ['short secret', `smk_abcdefghijkl_${'A'.repeat(42)}`],
    ['long secret', `smk_abcdefghijkl_${'A'.repeat(44)}`],
    ['non-canonical last character', `smk_abcdefghijkl_${'A'.repeat(42)}B`],
    ['padding', `smk_abcdefghijkl_${'A'.repeat(42)}=`],
    ['whitespace', ` smk_abcdefghijkl_${'A'.repeat(42)}`],
  ])('rejects %s as API_KEY_MALFORMED', (_case, presented) => {
    expect(thrownCode(() => parseApiKey(presented))).toBe('API_KEY_MALFORMED');
  });

  it('never quotes the presented value in its error', () => {
    const presented = `smk_abcdefghijkl_${'Z'.repeat(42)}`;
    expect(() => parseApiKey(presented)).toThrow(expect.objectContaining({ message: expect.not.stringContaining('ZZZZ') }));
  });
});

describe(verifySecret.name, () => {
  it('accepts the secret whose hash is stored and nothing else', () => {
    const { secret } = generateApiKey();
    const stored = hashSecret(secret);
    expect(stored).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(stored).not.toContain(secret);
    expect(verifySecret(secret, stored)).toBe(true);
    expect(verifySecret(generateApiKey().secret, stored)).toBe(false);
    expect(verifySecret(secret.slice(0, -1), stored)).toBe(false);
  });

  it('rejects malformed stored hashes instead of throwing', () => {
    const { secret } = generateApiKey();
    for (const stored of ['', 'sha256:', 'sha256:abc', hashSecret(secret).slice(7), `md5:${'0'.repeat(32)}`, `sha256:${'z'.repeat(64)}`]) {
      expect(verifySecret(secret, stored)).toBe(false);
    }
  });
});

describe(containsApiKey.name, () => {
  it('spots a key embedded in text', () => {
    expect(containsApiKey(`Bearer ${generateApiKey().apiKey} trailing`)).toBe(true);
    expect(containsApiKey('key smk_abcdefghijkl without secret')).toBe(false);
  });
});
