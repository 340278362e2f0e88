import { SignalValidationError } from '../errors';
import { type HashAlgorithm, signalId } from '../identity';

/** A model-file hash in canonical form: `hex` is lowercase hex, the canonical value of a model-hash signal. */
export interface ModelHash {
  algorithm: HashAlgorithm;
  hex: string;
}

export const MAX_MODEL_HASH_INPUT = 256;

/** Hex digits per algorithm. The two safetensors kinds are SHA-256 digests computed by the fingerprinter. */
export const HASH_HEX_LENGTH: Readonly<Record<HashAlgorithm, number>> = {
  sha256: 64,
  sha1: 40,
  md5: 32,
  autov2: 10,
  'safetensors-tensors-sha256': 64,
  'safetensors-merkle-root': 64,
};

const BY_LENGTH: ReadonlyMap<number, HashAlgorithm> = new Map([
  [64, 'sha256'],
  [40, 'sha1'],
  [32, 'md5'],
  [10, 'autov2'],
]);

const BY_PREFIX: ReadonlyMap<string, HashAlgorithm> = new Map([
  ['sha256', 'sha256'],
  ['sha-256', 'sha256'],
  ['sha1', 'sha1'],
  ['sha-1', 'sha1'],
  ['md5', 'md5'],
  ['autov2', 'autov2'],
]);

const HEX = /^[0-9a-f]*$/;
const PREFIX = /^([a-z][a-z0-9-]*):/;

function isHashAlgorithm(value: string): value is HashAlgorithm {
  return Object.hasOwn(HASH_HEX_LENGTH, value);
}

/** A `sha256:` prefix also fits the fingerprinter's SHA-256 based kinds; any other pair must be equal. */
function compatible(fromPrefix: HashAlgorithm, explicit: HashAlgorithm): boolean {
  return fromPrefix === explicit || (fromPrefix === 'sha256' && explicit.startsWith('safetensors-'));
}

/**
 * Parses one model-hash notation into its canonical form.
 *
 * Normalisation: whitespace anywhere is removed (hashes are often printed in groups), case is folded, an algorithm
 * prefix (`sha256:`, `sha-256:`, `sha1:`, `sha-1:`, `md5:`, `autov2:`) is read, then an optional `0x`, which is
 * unambiguous because `x` is never a hex digit. The algorithm comes from the prefix, else from `algorithm`, else
 * from the length (64 sha256, 40 sha1, 32 md5, 10 autov2); a prefix contradicting `algorithm` is an error.
 */
export function parseModelHash(raw: string, algorithm?: HashAlgorithm): ModelHash {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new SignalValidationError('VALUE_REQUIRED', 'A model hash is required.', 'value');
  }
  if (raw.length > MAX_MODEL_HASH_INPUT) {
    throw new SignalValidationError('VALUE_TOO_LONG', `A model hash is at most ${MAX_MODEL_HASH_INPUT} characters.`, 'value');
  }
  if (algorithm !== undefined && !isHashAlgorithm(algorithm)) {
    throw new SignalValidationError('UNSUPPORTED_HASH_ALGORITHM', `Unsupported hash algorithm "${String(algorithm)}".`, 'algorithm');
  }

  let value = raw.replace(/\s+/gu, '').toLowerCase();
  let fromPrefix: HashAlgorithm | undefined;
  const prefix = PREFIX.exec(value);
  if (prefix) {
    fromPrefix = BY_PREFIX.get(prefix[1]);
    if (!fromPrefix) {
      throw new SignalValidationError('UNSUPPORTED_HASH_ALGORITHM', `Unsupported hash algorithm prefix "${prefix[1]}:".`, 'value');
    }
    if (algorithm !== undefined && !compatible(fromPrefix, algorithm)) {
      throw new SignalValidationError('HASH_ALGORITHM_MISMATCH', `The prefix says ${fromPrefix} but the algorithm given is ${algorithm}.`, 'algorithm');
    }
    value = value.slice(prefix[0].length);
  }
  if (value.startsWith('0x')) value = value.slice(2);

  if (!HEX.test(value)) {
    throw new SignalValidationError('INVALID_HASH_CHARACTERS', 'A model hash contains only hexadecimal digits (0-9, a-f).', 'value');
  }
  const resolved = algorithm ?? fromPrefix ?? BY_LENGTH.get(value.length);
  if (!resolved) {
    throw new SignalValidationError('INVALID_HASH_LENGTH', `${value.length} hex digits match no supported algorithm (64 sha256, 40 sha1, 32 md5, 10 autov2).`, 'value');
  }
  if (value.length !== HASH_HEX_LENGTH[resolved]) {
    throw new SignalValidationError('INVALID_HASH_LENGTH', `A ${resolved} hash has ${HASH_HEX_LENGTH[resolved]} hex digits, not ${value.length}.`, 'value');
  }
  return { algorithm: resolved, hex: value };
}

/** AutoV2, the short hash model sites display: the first 10 hex digits of the file SHA-256. */
export function autoV2Of(sha256: string): string {
  return parseModelHash(sha256, 'sha256').hex.slice(0, HASH_HEX_LENGTH.autov2);
}

/** Partial identifiers name a prefix of a full hash: they may match several files. */
export function isPartial(algorithm: HashAlgorithm): boolean {
  return algorithm === 'autov2';
}

/** The signal id of a parsed hash: the algorithm is part of the kind, the hex is the canonical value. */
export function modelHashSignalId(hash: ModelHash): string {
  return signalId({ type: 'model-hash', algorithm: hash.algorithm }, hash.hex);
}

/**
 * Identifiers a hash implies. Linking goes one way only: a full SHA-256 implies its AutoV2, so whoever holds the
 * full hash can derive the AutoV2 signal id (signalId(model-hash:autov2, sha256[0:10])) and link the partial signal
 * to it; an AutoV2 never implies a full hash (40 bits name ~2^216 SHA-256 values, and real collisions between
 * models are plausible at millions of files, so one AutoV2 may link to several full hashes).
 */
export function relatedIdentifiers(hash: ModelHash): ModelHash[] {
  return hash.algorithm === 'sha256' ? [{ algorithm: 'autov2', hex: hash.hex.slice(0, HASH_HEX_LENGTH.autov2) }] : [];
}
