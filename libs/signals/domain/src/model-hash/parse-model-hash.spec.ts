import { createHash } from 'node:crypto';

import { thrownCode } from '@signal-mesh/testing';
import fc from 'fast-check';

import type { ValidationCode } from '../errors';
import { type HashAlgorithm, signalId } from '../identity';
import { autoV2Of, isPartial, modelHashSignalId, parseModelHash, relatedIdentifiers } from './parse-model-hash';

const SHA256 = createHash('sha256').update('signal mesh test vector').digest('hex');


describe(parseModelHash.name, () => {
  it.each([
    SHA256,
    SHA256.toUpperCase(),
    `  ${SHA256}\n`,
    `sha256:${SHA256}`,
    `SHA256:${SHA256.toUpperCase()}`,
    `sha-256:${SHA256}`,
    `Sha-256: ${SHA256}`,
    `0x${SHA256}`,
    `sha256:0X${SHA256}`,
    SHA256.match(/.{8}/g)?.join(' ') ?? '',
    SHA256.match(/.{16}/g)?.join('\n\t') ?? '',
  ])('maps the notation %j to one canonical value and one signal id', (notation) => {
    const hash = parseModelHash(notation);
    expect(hash).toEqual({ algorithm: 'sha256', hex: SHA256 });
    expect(modelHashSignalId(hash)).toBe(signalId({ type: 'model-hash', algorithm: 'sha256' }, SHA256));
  });

  it.each<[string, HashAlgorithm, string]>([
    ['a'.repeat(40), 'sha1', 'a'.repeat(40)],
    [`SHA1:${'B'.repeat(40)}`, 'sha1', 'b'.repeat(40)],
    [`sha-1:${'c'.repeat(40)}`, 'sha1', 'c'.repeat(40)],
    [`md5:${'D'.repeat(32)}`, 'md5', 'd'.repeat(32)],
    ['0123456789ABCDEF0123456789abcdef', 'md5', '0123456789abcdef0123456789abcdef'],
    ['AutoV2:ABCDEF0123', 'autov2', 'abcdef0123'],
    ['abcdef0123', 'autov2', 'abcdef0123'],
  ])('infers the algorithm of %j from its prefix or length', (notation, algorithm, hex) => {
    expect(parseModelHash(notation)).toEqual({ algorithm, hex });
  });

  it('takes the algorithm from the argument, and lets sha256: prefix the fingerprint kinds', () => {
    expect(parseModelHash(SHA256, 'safetensors-merkle-root')).toEqual({ algorithm: 'safetensors-merkle-root', hex: SHA256 });
    expect(parseModelHash(`sha256:${SHA256}`, 'safetensors-tensors-sha256').algorithm).toBe('safetensors-tensors-sha256');
    expect(parseModelHash(`sha256:${SHA256}`, 'sha256').algorithm).toBe('sha256');
  });

  it.each<[string, string, HashAlgorithm | undefined, ValidationCode]>([
    ['empty', '', undefined, 'VALUE_REQUIRED'],
    ['blank', ' \n\t ', undefined, 'VALUE_REQUIRED'],
    ['overlong', ' '.repeat(200) + SHA256, undefined, 'VALUE_TOO_LONG'],
    ['unknown prefix', `sha512:${SHA256}`, undefined, 'UNSUPPORTED_HASH_ALGORITHM'],
    ['unknown argument', SHA256, 'sha512' as HashAlgorithm, 'UNSUPPORTED_HASH_ALGORITHM'],
    ['prefix vs argument', `md5:${'a'.repeat(32)}`, 'sha256', 'HASH_ALGORITHM_MISMATCH'],
    ['sha1 prefix vs fingerprint kind', `sha1:${'a'.repeat(40)}`, 'safetensors-merkle-root', 'HASH_ALGORITHM_MISMATCH'],
    ['non-hex', SHA256.slice(0, 63) + 'g', undefined, 'INVALID_HASH_CHARACTERS'],
    ['separator', SHA256.slice(0, 32) + '-' + SHA256.slice(32), undefined, 'INVALID_HASH_CHARACTERS'],
    ['unknown length', 'abc123', undefined, 'INVALID_HASH_LENGTH'],
    ['wrong length for prefix', `sha256:${'a'.repeat(40)}`, undefined, 'INVALID_HASH_LENGTH'],
    ['wrong length for argument', 'a'.repeat(64), 'md5', 'INVALID_HASH_LENGTH'],
    ['prefix only', 'sha256:', undefined, 'INVALID_HASH_LENGTH'],
  ])('rejects %s input with its code', (_label, raw, algorithm, code) => {
    expect(thrownCode(() => parseModelHash(raw, algorithm))).toBe(code);
  });

  it('maps random SHA-256 values in random notations to one canonical value and id', () => {
    const notation = fc.record({
      prefix: fc.constantFrom('', 'sha256:', 'SHA256:', 'sha-256:', 'Sha-256: ', '0x', 'sha256:0x'),
      upper: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
      spaces: fc.array(fc.constantFrom('', '', '', ' ', '\t', '\n', '  '), { minLength: 65, maxLength: 65 }),
    });
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), notation, (bytes, n) => {
        const hex = Buffer.from(bytes).toString('hex');
        const spelled = [...hex].map((c, i) => n.spaces[i] + (n.upper[i] ? c.toUpperCase() : c)).join('') + n.spaces[64];
        const parsed = parseModelHash(n.prefix + spelled);
        expect(parsed).toEqual({ algorithm: 'sha256', hex });
        expect(parseModelHash(parsed.hex)).toEqual(parsed);
        expect(modelHashSignalId(parsed)).toBe(signalId({ type: 'model-hash', algorithm: 'sha256' }, hex));
      }),
    );
  });
});

describe(autoV2Of.name, () => {
  it('is the first 10 hex digits of the file SHA-256, from any notation', () => {
    expect(autoV2Of(`SHA256:${SHA256.toUpperCase()}`)).toBe(SHA256.slice(0, 10));
    expect(thrownCode(() => autoV2Of('a'.repeat(40)))).toBe('INVALID_HASH_LENGTH');
  });
});

describe(isPartial.name, () => {
  it('marks only AutoV2 as partial', () => {
    expect(isPartial('autov2')).toBe(true);
    for (const algorithm of ['sha256', 'sha1', 'md5', 'safetensors-tensors-sha256', 'safetensors-merkle-root'] as const) {
      expect(isPartial(algorithm)).toBe(false);
    }
  });
});

describe(relatedIdentifiers.name, () => {
  it('links a full SHA-256 to the AutoV2 signal it implies, never the reverse', () => {
    const full = parseModelHash(SHA256);
    const [autov2] = relatedIdentifiers(full);
    expect(autov2).toEqual({ algorithm: 'autov2', hex: SHA256.slice(0, 10) });
    // The partial signal contributed separately has exactly the id derived from the full hash.
    expect(modelHashSignalId(autov2)).toBe(modelHashSignalId(parseModelHash(`AutoV2:${SHA256.slice(0, 10).toUpperCase()}`)));
    expect(relatedIdentifiers(autov2)).toEqual([]);
    expect(relatedIdentifiers(parseModelHash('a'.repeat(32)))).toEqual([]);
  });
});
