/**
 * The partition of the feed topic that holds an organisation's events: Kafka's default partitioner (murmur2 of the
 * UTF-8 key, as the Java client and kafkajs' DefaultPartitioner compute it), so the fan-out, the feed service and any
 * native Kafka client agree.
 */
export function feedPartitionOf(orgId: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError('partitions must be a positive integer');
  return (murmur2(Buffer.from(orgId, 'utf8')) & 0x7fffffff) % partitions;
}

/** Kafka's murmur2 (seed 0x9747b28c), 32-bit signed result. */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const r = 24;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = byteAt(data, i4) + (byteAt(data, i4 + 1) << 8) + (byteAt(data, i4 + 2) << 16) + (byteAt(data, i4 + 3) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length % 4;
  const tail = length & ~3;
  if (rest === 3) h ^= byteAt(data, tail + 2) << 16;
  if (rest >= 2) h ^= byteAt(data, tail + 1) << 8;
  if (rest >= 1) {
    h ^= byteAt(data, tail);
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

const byteAt = (data: Uint8Array, i: number): number => (data[i] ?? 0) & 0xff;
