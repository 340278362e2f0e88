import type { IHeaders } from 'kafkajs';

export type RecordHeaders = Record<string, string>;

/** Kafka header values arrive as Buffers (or arrays of them); the mesh's headers are UTF-8 strings. */
export function decodeHeaders(headers: IHeaders | undefined): RecordHeaders {
  const out: RecordHeaders = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[key] = first.toString();
  }
  return out;
}
