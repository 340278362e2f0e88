import { createHash } from 'node:crypto';

import { thrownCode } from '@signal-mesh/testing';
import fc from 'fast-check';

import { contributionIdFor, isContributionId, newContributionId, validateIdempotencyKey } from './contribution-id';

/** The documented encoding, written out independently of the implementation. */
function expectedId(orgId: string, key: string): string {
  const part = (s: string) => Buffer.concat([Buffer.from(`${Buffer.byteLength(s)}:`), Buffer.from(s, 'utf8')]);
  const bytes = Buffer.concat([Buffer.from('ctb/v1\u0000'), part(orgId), Buffer.from([0]), part(key)]);
  return `ctb_${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}`;
}

describe(contributionIdFor.name, () => {
  it('maps a retry with the same organisation and key to the same id', () => {
    const sut = contributionIdFor('org-hotline-1', 'upload-2026-11-15-0001');
    expect(sut).toMatch(/^ctb_[0-9a-f]{32}$/);
    expect(contributionIdFor('org-hotline-1', 'upload-2026-11-15-0001')).toBe(sut);
  });

  it('follows the documented encoding, with UTF-8 byte lengths', () => {
    expect(contributionIdFor('org-a', 'retry-1')).toBe(expectedId('org-a', 'retry-1'));
    expect(contributionIdFor('org-é', 'retry-1')).toBe(expectedId('org-é', 'retry-1'));
  });

  it('gives different organisations using the same key different ids', () => {
    expect(contributionIdFor('org-a', 'k-1')).not.toBe(contributionIdFor('org-b', 'k-1'));
  });

  it('cannot be confused by moving characters between the org id and the key', () => {
    expect(contributionIdFor('org-a', 'bc')).not.toBe(contributionIdFor('org-ab', 'c'));
  });

  it('is a function of exactly (orgId, key)', () => {
    const orgId = fc.string({ minLength: 1, maxLength: 40 });
    const key = fc.stringMatching(/^[\x21-\x7e]{1,128}$/);
    fc.assert(
      fc.property(orgId, orgId, key, key, (orgA, orgB, keyA, keyB) => {
        expect(contributionIdFor(orgA, keyA)).toBe(expectedId(orgA, keyA));
        expect(contributionIdFor(orgA, keyA) === contributionIdFor(orgB, keyB)).toBe(orgA === orgB && keyA === keyB);
      }),
    );
  });

  it('refuses an invalid key and a missing org id', () => {
    expect(thrownCode(() => contributionIdFor('org-a', 'has space'))).toBe('IDEMPOTENCY_KEY_INVALID');
    expect(() => contributionIdFor('', 'k-1')).toThrow(TypeError);
  });
});

describe(validateIdempotencyKey.name, () => {
  it.each(['k', 'x'.repeat(128), '6f1c2b7e-3d4a-4e8f-9b0c-1d2e3f4a5b6c', '!#$%&()*+,-./:;<=>?@[]^_`{|}~'])('accepts %j', (key) => {
    expect(validateIdempotencyKey(key)).toBe(key);
  });

  it.each([
    ['empty', ''],
    ['129 characters', 'x'.repeat(129)],
    ['a space', 'retry 1'],
    ['edge whitespace', ' retry-1'],
    ['a tab', 'retry\t1'],
    ['a newline', 'retry-1\n'],
    ['NUL', 'retry\u00001'],
    ['non-ASCII', 'retry-é'],
    ['DEL', 'retry\u007f'],
  ])('refuses a key with %s', (_, key) => {
    let field: string | undefined;
    expect(
      thrownCode(() => {
        try {
          validateIdempotencyKey(key);
        } catch (err) {
          field = (err as { field?: string }).field;
          throw err;
        }
      }),
    ).toBe('IDEMPOTENCY_KEY_INVALID');
    expect(field).toBe('idempotencyKey');
  });
});

describe(newContributionId.name, () => {
  it('issues 128 random bits in the contribution id format', () => {
    const ids = Array.from({ length: 1000 }, () => newContributionId());
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) expect(isContributionId(id)).toBe(true);
  });
});

describe(isContributionId.name, () => {
  it.each([
    ['ctb_0123456789abcdef0123456789abcdef', true],
    ['ctb_0123456789ABCDEF0123456789ABCDEF', false],
    ['ctb_0123456789abcdef', false],
    ['mh_0123456789abcdef0123456789abcdef', false],
    [' ctb_0123456789abcdef0123456789abcdef', false],
  ])('%j → %s', (value, expected) => {
    expect(isContributionId(value)).toBe(expected);
  });
});
