import { SignalValidationError } from '../errors';

/** Header lengths above this are refused before anything is buffered (the reference loader uses the same cap). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** A tensor as the header describes it; offsets are relative to the start of the data section (8 + N). */
export interface SafetensorsTensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  offsets: [begin: number, end: number];
}

export interface SafetensorsHeader {
  metadata: Record<string, string>;
  /** Sorted by begin offset (then end), the order in which their bytes arrive. */
  tensors: SafetensorsTensorInfo[];
  /** End of the last tensor: the data section the fingerprint covers is [0, dataEnd). */
  dataEnd: number;
}

/** Bytes per element of the dtypes whose size is known; other dtype strings are accepted unchecked. */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
};

function invalid(message: string): SignalValidationError {
  return new SignalValidationError('SAFETENSORS_HEADER_INVALID', `Invalid safetensors header: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIndex(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** Reads the 8-byte little-endian header length; refuses lengths above the cap. */
export function readHeaderLength(prefix: Uint8Array): number {
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  if (high !== 0 || low > SAFETENSORS_MAX_HEADER_BYTES) {
    const n = (BigInt(high) << 32n) | BigInt(low);
    throw new SignalValidationError('SAFETENSORS_HEADER_TOO_LARGE', `The safetensors header claims ${n} bytes; at most ${SAFETENSORS_MAX_HEADER_BYTES} are accepted.`);
  }
  return low;
}

/**
 * Parses and validates the JSON header. `dataBytes`, when the file size is known, bounds the data section so
 * out-of-range offsets are reported now rather than as FILE_TRUNCATED at the end of the stream.
 */
export function parseSafetensorsHeader(json: Uint8Array, dataBytes?: number): SafetensorsHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(json));
  } catch {
    throw invalid('not UTF-8 JSON.');
  }
  if (!isRecord(parsed)) throw invalid('the top level is not a JSON object.');

  let metadata: Record<string, string> = {};
  const tensors: SafetensorsTensorInfo[] = [];
  for (const [name, entry] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      if (!isRecord(entry) || !Object.values(entry).every((v) => typeof v === 'string')) throw invalid('__metadata__ must map strings to strings.');
      metadata = Object.fromEntries(Object.entries(entry as Record<string, string>));
      continue;
    }
    // NUL would make the Merkle leaf encoding ambiguous.
    if (name === '' || name.includes('\u0000')) throw invalid('a tensor name is empty or contains NUL.');
    if (!isRecord(entry)) throw invalid(`tensor "${name}" is not an object.`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (typeof dtype !== 'string' || dtype === '' || dtype.includes('\u0000')) throw invalid(`tensor "${name}" has no valid dtype string.`);
    if (!Array.isArray(shape) || !shape.every(isIndex)) throw invalid(`tensor "${name}" shape is not an array of non-negative integers.`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex) || offsets[0] > offsets[1]) {
      throw invalid(`tensor "${name}" data_offsets is not [begin, end] with 0 <= begin <= end.`);
    }
    const itemBytes = DTYPE_BYTES[dtype];
    if (itemBytes !== undefined) {
      const expected = (shape as number[]).reduce((n, d) => n * d, itemBytes);
      if (expected !== offsets[1] - offsets[0]) throw invalid(`tensor "${name}" spans ${offsets[1] - offsets[0]} bytes, but ${dtype}${JSON.stringify(shape)} needs ${expected}.`);
    }
    tensors.push({ name, dtype, shape: [...(shape as number[])], offsets: [offsets[0], offsets[1]] });
  }

  tensors.sort((a, b) => a.offsets[0] - b.offsets[0] || a.offsets[1] - b.offsets[1]);
  let dataEnd = 0;
  for (const t of tensors) {
    if (t.offsets[0] < dataEnd) throw new SignalValidationError('SAFETENSORS_TENSOR_OUT_OF_BOUNDS', `Tensor "${t.name}" overlaps the tensor before it.`);
    dataEnd = t.offsets[1];
  }
  if (dataBytes !== undefined && dataEnd > dataBytes) {
    const last = tensors[tensors.length - 1];
    throw new SignalValidationError('SAFETENSORS_TENSOR_OUT_OF_BOUNDS', `Tensor "${last.name}" ends at byte ${dataEnd} of a ${dataBytes}-byte data section.`);
  }
  return { metadata, tensors, dataEnd };
}
