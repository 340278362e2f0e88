import { createHash, randomBytes } from 'node:crypto';

import { thrownCode } from '@signal-mesh/testing';
import fc from 'fast-check';

import type { ValidationCode } from '../errors';
import { createFingerprinter, type Fingerprint, fingerprintIdentifiers, type FingerprintOptions } from './fingerprint';
import { merkleRoot, tensorLeaf } from './merkle';
import { SAFETENSORS_MAX_HEADER_BYTES } from './safetensors';

// A tiny safetensors writer: random small F32 / I8 tensors, never real weights.
interface FixtureTensor {
  name: string;
  dtype: 'F32' | 'I8';
  shape: number[];
  data: Buffer;
}

function randomTensor(name: string, dtype: 'F32' | 'I8', shape: number[]): FixtureTensor {
  const elements = shape.reduce((n, d) => n * d, 1);
  return { name, dtype, shape, data: randomBytes(elements * (dtype === 'F32' ? 4 : 1)) };
}

function headerJson(tensors: FixtureTensor[], metadata?: Record<string, string>): Record<string, unknown> {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  return header;
}

function frame(header: unknown, data: Buffer[] = []): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, ...data]);
}

function writeSafetensors(tensors: FixtureTensor[], metadata?: Record<string, string>): Buffer {
  return frame(headerJson(tensors, metadata), tensors.map((t) => t.data));
}

const TENSORS: FixtureTensor[] = [
  randomTensor('model.layers.1.weight', 'F32', [4, 3]),
  randomTensor('model.layers.0.weight', 'F32', [2, 5]),
  randomTensor('model.embed', 'I8', [17]),
  randomTensor('model.scalar', 'F32', []),
  randomTensor('model.empty', 'I8', [0]),
  randomTensor('lora_up.weight', 'I8', [3, 3]),
];
const METADATA = { format: 'pt', note: 'synthetic fixture' };
const FILE = writeSafetensors(TENSORS, METADATA);

function fingerprint(file: Buffer, chunkSizes: number[] = [file.length], options: FingerprintOptions = { safetensors: true }): Fingerprint {
  const fp = createFingerprinter(options);
  for (let at = 0, i = 0; at < file.length; i += 1) {
    const size = Math.max(1, chunkSizes[i % chunkSizes.length]);
    fp.update(file.subarray(at, at + size));
    at += size;
  }
  return fp.digest();
}


const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe(createFingerprinter.name, () => {
  it('hashes the whole file and derives AutoV2', () => {
    const result = fingerprint(FILE, [FILE.length], {});
    expect(result).toEqual({ bytes: FILE.length, sha256: sha256(FILE), autov2: sha256(FILE).slice(0, 10) });
  });

  it('fingerprints the tensor bytes, each tensor and a Merkle root over them', () => {
    const { safetensors: st } = fingerprint(FILE);
    const headerBytes = FILE.readUInt32LE(0);
    const dataBytes = Buffer.concat(TENSORS.map((t) => t.data));
    expect(st?.headerBytes).toBe(headerBytes);
    expect(st?.metadata).toEqual(METADATA);
    expect(st?.tensorsSha256).toBe(sha256(FILE.subarray(8 + headerBytes)));
    expect(st?.tensorsSha256).toBe(sha256(dataBytes));
    const names = st?.tensors.map((t) => t.name);
    expect(names).toEqual([...TENSORS.map((t) => t.name)].sort());
    expect(names).not.toContain('__metadata__');
    for (const t of TENSORS) {
      const got = st?.tensors.find((x) => x.name === t.name);
      expect(got).toMatchObject({ dtype: t.dtype, shape: t.shape, sha256: sha256(t.data) });
    }
    expect(st?.merkleRoot).toBe(merkleRoot(st?.tensors.map(tensorLeaf) ?? []).toString('hex'));
  });

  it('keeps tensorsSha256, every tensor hash and the root across a metadata-only edit', () => {
    const before = fingerprint(FILE);
    const after = fingerprint(writeSafetensors(TENSORS, { ...METADATA, note: 'edited to hide provenance', extra: 'x'.repeat(100) }));
    expect(after.sha256).not.toBe(before.sha256);
    expect(after.safetensors?.headerBytes).not.toBe(before.safetensors?.headerBytes);
    expect(after.safetensors?.tensorsSha256).toBe(before.safetensors?.tensorsSha256);
    expect(after.safetensors?.tensors).toEqual(before.safetensors?.tensors);
    expect(after.safetensors?.merkleRoot).toBe(before.safetensors?.merkleRoot);
  });

  it('changes exactly the hash of the one tensor whose bytes changed, and the root', () => {
    const before = fingerprint(FILE);
    const changed = TENSORS.map((t) => (t.name === 'model.embed' ? { ...t, data: Buffer.from(t.data.map((b, i) => (i === 5 ? b ^ 1 : b))) } : t));
    const after = fingerprint(writeSafetensors(changed, METADATA));
    const differing = after.safetensors?.tensors.filter((t, i) => t.sha256 !== before.safetensors?.tensors[i].sha256).map((t) => t.name);
    expect(differing).toEqual(['model.embed']);
    expect(after.safetensors?.tensorsSha256).not.toBe(before.safetensors?.tensorsSha256);
    expect(after.safetensors?.merkleRoot).not.toBe(before.safetensors?.merkleRoot);
  });

  it('gives the same result in 1-byte, 7-byte and whole-file chunks', () => {
    const whole = fingerprint(FILE);
    expect(fingerprint(FILE, [1])).toEqual(whole);
    expect(fingerprint(FILE, [7])).toEqual(whole);
  });

  it('is independent of chunk boundaries (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 40 }), (sizes) => {
        expect(fingerprint(FILE, sizes)).toEqual(fingerprint(FILE));
      }),
    );
  });

  it('hashes gaps into tensorsSha256 and ignores bytes after the last tensor', () => {
    const a = randomBytes(4);
    const b = randomBytes(4);
    const header = { x: { dtype: 'I8', shape: [4], data_offsets: [0, 4] }, y: { dtype: 'I8', shape: [4], data_offsets: [6, 10] } };
    const gap = Buffer.from([9, 9]);
    const file = frame(header, [a, gap, b, Buffer.from('trailing')]);
    const st = fingerprint(file, [3]).safetensors;
    expect(st?.tensorsSha256).toBe(sha256(Buffer.concat([a, gap, b])));
    expect(st?.tensors.map((t) => t.sha256)).toEqual([sha256(a), sha256(b)]);
  });

  it('handles a header with no tensors', () => {
    const st = fingerprint(frame({ __metadata__: { a: 'b' } })).safetensors;
    expect(st).toMatchObject({ metadata: { a: 'b' }, tensors: [], tensorsSha256: sha256(Buffer.alloc(0)), merkleRoot: sha256(Buffer.alloc(0)) });
  });

  it('does not keep references to the caller buffers', () => {
    const reused = Buffer.alloc(5);
    const fp = createFingerprinter({ safetensors: true });
    for (let at = 0; at < FILE.length; at += 5) {
      reused.fill(0);
      const n = FILE.copy(reused, 0, at, at + 5);
      fp.update(reused.subarray(0, n));
    }
    expect(fp.digest()).toEqual(fingerprint(FILE));
  });

  it('lists its identifiers for matching', () => {
    const result = fingerprint(FILE);
    expect(fingerprintIdentifiers(result).map((id) => id.algorithm)).toEqual(['sha256', 'autov2', 'safetensors-tensors-sha256', 'safetensors-merkle-root']);
  });

  describe('malformed files', () => {
    const tensor = (offsets: unknown, dtype: unknown = 'I8', shape: unknown = [4]) => ({ t: { dtype, shape, data_offsets: offsets } });
    const dataEnd = 8 + FILE.readUInt32LE(0) + TENSORS.reduce((n, t) => n + t.data.length, 0);
    const tooLarge = Buffer.alloc(8);
    tooLarge.writeBigUInt64LE(BigInt(SAFETENSORS_MAX_HEADER_BYTES + 1));
    const huge = Buffer.alloc(8, 0xff);
    const notUtf8 = Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0x7b, 0xff, 0x7d])]);
    const beyond = frame(tensor([0, 4]), [Buffer.alloc(2)]);

    it.each<[string, Buffer, ValidationCode, FingerprintOptions?]>([
      ['empty file', Buffer.alloc(0), 'SAFETENSORS_HEADER_TRUNCATED'],
      ['short length prefix', Buffer.from([1, 0, 0]), 'SAFETENSORS_HEADER_TRUNCATED'],
      ['truncated header', FILE.subarray(0, 20), 'SAFETENSORS_HEADER_TRUNCATED'],
      ['header length lying long', Buffer.concat([Buffer.from([100, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{}')]), 'SAFETENSORS_HEADER_TRUNCATED'],
      ['header length lying long (size known)', FILE.subarray(0, 20), 'SAFETENSORS_HEADER_TRUNCATED', { safetensors: true, size: 20 }],
      ['header length over 100 MiB', Buffer.concat([tooLarge, Buffer.from('{}')]), 'SAFETENSORS_HEADER_TOO_LARGE'],
      ['header length over 2^32', huge, 'SAFETENSORS_HEADER_TOO_LARGE'],
      ['header length lying short', Buffer.concat([Buffer.from([10, 0, 0, 0, 0, 0, 0, 0]), FILE.subarray(8)]), 'SAFETENSORS_HEADER_INVALID'],
      ['bad JSON', frame('{"t": {'), 'SAFETENSORS_HEADER_INVALID'],
      ['not UTF-8', notUtf8, 'SAFETENSORS_HEADER_INVALID'],
      ['JSON array', frame('[]'), 'SAFETENSORS_HEADER_INVALID'],
      ['tensor not an object', frame({ t: 3 }), 'SAFETENSORS_HEADER_INVALID'],
      ['dtype not a string', frame(tensor([0, 4], 4)), 'SAFETENSORS_HEADER_INVALID'],
      ['shape not an int array', frame(tensor([0, 4], 'I8', [2.5])), 'SAFETENSORS_HEADER_INVALID'],
      ['negative shape', frame(tensor([0, 4], 'I8', [-4])), 'SAFETENSORS_HEADER_INVALID'],
      ['shape not matching the byte span', frame(tensor([0, 4], 'F32', [4])), 'SAFETENSORS_HEADER_INVALID'],
      ['offsets not a pair', frame(tensor([0, 4, 8])), 'SAFETENSORS_HEADER_INVALID'],
      ['offsets not integers', frame(tensor(['0', 4])), 'SAFETENSORS_HEADER_INVALID'],
      ['offsets reversed', frame(tensor([4, 0])), 'SAFETENSORS_HEADER_INVALID'],
      ['metadata not strings', frame({ __metadata__: { a: 1 } }), 'SAFETENSORS_HEADER_INVALID'],
      ['NUL in a name', frame({ 'a\u0000b': { dtype: 'I8', shape: [0], data_offsets: [0, 0] } }), 'SAFETENSORS_HEADER_INVALID'],
      [
        'overlapping tensors',
        frame({ a: { dtype: 'I8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'I8', shape: [4], data_offsets: [2, 6] } }, [Buffer.alloc(6)]),
        'SAFETENSORS_TENSOR_OUT_OF_BOUNDS',
      ],
      ['offsets beyond the data section (size known)', beyond, 'SAFETENSORS_TENSOR_OUT_OF_BOUNDS', { safetensors: true, size: beyond.length }],
      ['offsets beyond the end of the stream', beyond, 'FILE_TRUNCATED'],
      ['truncated data', FILE.subarray(0, dataEnd - 1), 'FILE_TRUNCATED'],
      ['stream shorter than the size given', FILE.subarray(0, dataEnd), 'FILE_TRUNCATED', { safetensors: true, size: dataEnd + 10 }],
    ])('%s gives its code in any chunking', (_label, file, code, options = { safetensors: true }) => {
      for (const chunks of [[file.length || 1], [1], [5]]) {
        expect(thrownCode(() => fingerprint(file, chunks, options))).toBe(code);
      }
    });

    it('fails fast in update() and keeps failing', () => {
      const fp = createFingerprinter({ safetensors: true });
      expect(thrownCode(() => fp.update(tooLarge))).toBe('SAFETENSORS_HEADER_TOO_LARGE');
      expect(thrownCode(() => fp.update(Buffer.from('{}')))).toBe('SAFETENSORS_HEADER_TOO_LARGE');
      expect(thrownCode(() => fp.digest())).toBe('SAFETENSORS_HEADER_TOO_LARGE');
    });

    it('never crashes on random bytes or random truncations (property)', () => {
      const codes = new Set<ValidationCode>([
        'SAFETENSORS_HEADER_TRUNCATED',
        'SAFETENSORS_HEADER_TOO_LARGE',
        'SAFETENSORS_HEADER_INVALID',
        'SAFETENSORS_TENSOR_OUT_OF_BOUNDS',
        'FILE_TRUNCATED',
      ]);
      const mutated = fc.oneof(
        fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
        fc.integer({ min: 0, max: FILE.length }).map((n) => FILE.subarray(0, n)),
        fc.tuple(fc.integer({ min: 0, max: FILE.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => Buffer.from(FILE).fill(byte, at, at + 1)),
      );
      fc.assert(
        fc.property(mutated, fc.integer({ min: 1, max: 32 }), (file, chunk) => {
          const code = thrownCode(() => fingerprint(file, [chunk]));
          if (code !== undefined) expect(codes).toContain(code);
        }),
      );
    });
  });
});
