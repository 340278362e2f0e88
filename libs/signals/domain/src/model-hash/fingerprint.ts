import { createHash, type Hash } from 'node:crypto';

import { SignalValidationError } from '../errors';
import { merkleRoot, tensorLeaf } from './merkle';
import { HASH_HEX_LENGTH, type ModelHash } from './parse-model-hash';
import { parseSafetensorsHeader, readHeaderLength, type SafetensorsHeader } from './safetensors';

export interface TensorFingerprint {
  name: string;
  dtype: string;
  shape: number[];
  /** [begin, end) relative to the data section, as in the header. */
  offsets: [number, number];
  sha256: string;
}

export interface SafetensorsFingerprint {
  /** N, the JSON header length (the data section starts at byte 8 + N). */
  headerBytes: number;
  metadata: Record<string, string>;
  /** SHA-256 of file bytes [8 + N, 8 + N + end of last tensor): unchanged by header / metadata edits. */
  tensorsSha256: string;
  merkleRoot: string;
  /** Sorted by the UTF-8 bytes of the name, the Merkle leaf order. */
  tensors: TensorFingerprint[];
}

export interface Fingerprint {
  bytes: number;
  sha256: string;
  autov2: string;
  safetensors?: SafetensorsFingerprint;
}

export interface FingerprintOptions {
  /** Parse the file as safetensors and fingerprint its tensors. */
  safetensors?: boolean;
  /** The file size when known (stat): out-of-range tensor offsets and short streams are then reported early. */
  size?: number;
}

export interface Fingerprinter {
  /** Feeds the next bytes; throws SignalValidationError as soon as the safetensors structure is known to be bad. */
  update(chunk: Uint8Array): void;
  /** Ends the stream. Throws SignalValidationError if the file ended inside the header or a tensor. */
  digest(): Fingerprint;
}

interface TensorState extends TensorFingerprint {
  hash?: Hash;
}

const LENGTH_BYTES = 8;

/**
 * One streaming pass with memory bounded by the header (≤ 100 MiB, refused above): tensor bytes are hashed as
 * they pass and never kept. Every byte goes to the file hash; data-section bytes also go to the tensors hash and
 * to the hash of the tensor they belong to (tensors are walked in offset order).
 */
export function createFingerprinter(options: FingerprintOptions = {}): Fingerprinter {
  return new StreamingFingerprinter(options);
}

class StreamingFingerprinter implements Fingerprinter {
  private readonly fileHash = createHash('sha256');
  private bytes = 0;
  private phase: 'length' | 'header' | 'data' | 'plain' | 'done';
  private failure?: unknown;
  private result?: Fingerprint;

  // Header accumulation (length prefix, then JSON), copied because callers may reuse their buffers.
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private headerBytes = 0;

  // Data section state.
  private header?: SafetensorsHeader;
  private tensors: TensorState[] = [];
  private readonly tensorsHash = createHash('sha256');
  private dataPos = 0;
  private next = 0;

  constructor(private readonly options: FingerprintOptions) {
    this.phase = options.safetensors ? 'length' : 'plain';
  }

  update(chunk: Uint8Array): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.phase === 'done') throw new Error('Fingerprinter.update() called after digest().');
    try {
      this.fileHash.update(chunk);
      this.bytes += chunk.byteLength;
      if (this.phase !== 'plain') this.consume(chunk);
    } catch (err) {
      this.failure = err;
      throw err;
    }
  }

  digest(): Fingerprint {
    if (this.failure !== undefined) throw this.failure;
    if (this.result) return this.result;
    try {
      this.result = this.finish();
      this.phase = 'done';
      return this.result;
    } catch (err) {
      this.failure = err;
      throw err;
    }
  }

  private consume(chunk: Uint8Array): void {
    let offset = 0;
    if (this.phase === 'length') {
      offset = this.collect(chunk, offset, LENGTH_BYTES);
      if (this.pendingBytes < LENGTH_BYTES) return;
      this.headerBytes = readHeaderLength(this.takePending());
      this.phase = 'header';
      if (this.options.size !== undefined && this.options.size < LENGTH_BYTES + this.headerBytes) throw this.headerTruncated();
    }
    if (this.phase === 'header') {
      offset = this.collect(chunk, offset, this.headerBytes);
      if (this.pendingBytes < this.headerBytes) return;
      const dataBytes = this.options.size === undefined ? undefined : this.options.size - LENGTH_BYTES - this.headerBytes;
      this.header = parseSafetensorsHeader(this.takePending(), dataBytes);
      this.tensors = this.header.tensors.map((t) => ({ ...t, sha256: '' }));
      this.phase = 'data';
    }
    if (offset < chunk.byteLength) this.consumeData(chunk.subarray(offset));
  }

  /** Appends up to `want - pendingBytes` bytes from chunk[offset..]; returns the new offset. */
  private collect(chunk: Uint8Array, offset: number, want: number): number {
    const take = Math.min(want - this.pendingBytes, chunk.byteLength - offset);
    if (take > 0) {
      this.pending.push(Buffer.from(chunk.subarray(offset, offset + take)));
      this.pendingBytes += take;
    }
    return offset + take;
  }

  private takePending(): Buffer {
    const all = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return all;
  }

  /** `data` starts at data-section offset `dataPos`; bytes past the last tensor only count for the file hash. */
  private consumeData(data: Uint8Array): void {
    const end = this.header?.dataEnd ?? 0;
    if (this.dataPos >= end) return;
    const start = this.dataPos;
    const stop = Math.min(end, start + data.byteLength);
    const inRegion = data.subarray(0, stop - start);
    this.tensorsHash.update(inRegion);
    while (this.next < this.tensors.length) {
      const t = this.tensors[this.next];
      const [begin, finish] = t.offsets;
      if (begin >= stop) break;
      const from = Math.max(begin, start);
      const to = Math.min(finish, stop);
      if (to > from) (t.hash ??= createHash('sha256')).update(inRegion.subarray(from - start, to - start));
      if (finish > stop) break;
      this.close(t);
      this.next += 1;
    }
    this.dataPos = stop;
  }

  private close(t: TensorState): void {
    t.sha256 = (t.hash ?? createHash('sha256')).digest('hex');
    delete t.hash;
  }

  private headerTruncated(): SignalValidationError {
    return new SignalValidationError(
      'SAFETENSORS_HEADER_TRUNCATED',
      this.phase === 'length'
        ? `The file ends before the 8-byte safetensors header length (${this.bytes} bytes).`
        : `The safetensors header claims ${this.headerBytes} bytes but the file ends ${LENGTH_BYTES + this.headerBytes - (this.options.size ?? this.bytes)} bytes short of it.`,
    );
  }

  private finish(): Fingerprint {
    if (this.options.size !== undefined && this.bytes < this.options.size) {
      if (this.phase === 'length' || this.phase === 'header') throw this.headerTruncated();
      throw new SignalValidationError('FILE_TRUNCATED', `The stream ended after ${this.bytes} of ${this.options.size} bytes.`);
    }
    const sha256 = this.fileHash.digest('hex');
    const base = { bytes: this.bytes, sha256, autov2: sha256.slice(0, HASH_HEX_LENGTH.autov2) };
    if (this.phase === 'plain') return base;
    if (this.phase === 'length' || this.phase === 'header') throw this.headerTruncated();

    const header = this.header as SafetensorsHeader;
    if (this.dataPos < header.dataEnd) {
      throw new SignalValidationError(
        'FILE_TRUNCATED',
        `The file ends ${header.dataEnd - this.dataPos} bytes before the end of tensor "${this.tensors[this.next].name}" (data section needs ${header.dataEnd} bytes).`,
      );
    }
    // Zero-length tensors at the very end of the data section, or all of them when there is no data at all.
    for (; this.next < this.tensors.length; this.next += 1) this.close(this.tensors[this.next]);

    const tensors: TensorFingerprint[] = this.tensors
      .map(({ name, dtype, shape, offsets, sha256: digest }) => ({ name, dtype, shape, offsets, sha256: digest }))
      .sort((a, b) => Buffer.compare(Buffer.from(a.name, 'utf8'), Buffer.from(b.name, 'utf8')));
    return {
      ...base,
      safetensors: {
        headerBytes: this.headerBytes,
        metadata: header.metadata,
        tensorsSha256: this.tensorsHash.digest('hex'),
        merkleRoot: merkleRoot(tensors.map(tensorLeaf)).toString('hex'),
        tensors,
      },
    };
  }
}

/** The identifiers a fingerprint offers for matching against model-hash signals. */
export function fingerprintIdentifiers(fingerprint: Fingerprint): ModelHash[] {
  const ids: ModelHash[] = [
    { algorithm: 'sha256', hex: fingerprint.sha256 },
    { algorithm: 'autov2', hex: fingerprint.autov2 },
  ];
  if (fingerprint.safetensors) {
    ids.push({ algorithm: 'safetensors-tensors-sha256', hex: fingerprint.safetensors.tensorsSha256 });
    ids.push({ algorithm: 'safetensors-merkle-root', hex: fingerprint.safetensors.merkleRoot });
  }
  return ids;
}
