import { feedPartitionOf, murmur2 } from './partition';

describe('feedPartitionOf', () => {
  it('computes Kafka murmur2 as the Java client does (vectors from Kafka\'s own tests)', () => {
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, expected] of vectors) expect([key, murmur2(Buffer.from(key))]).toEqual([key, expected]);
  });

  it('maps a key to its partition like the default partitioner (positive hash modulo the count)', () => {
    expect(feedPartitionOf('foobar', 6)).toBe((-790332482 & 0x7fffffff) % 6);
  });

  it('spreads organisations over the partitions', () => {
    const used = new Set(Array.from({ length: 100 }, (_, i) => feedPartitionOf(`org_${i}`, 6)));
    expect(used.size).toBe(6);
  });

  it('refuses a partition count that is not a positive integer', () => {
    expect(() => feedPartitionOf('org', 0)).toThrow(RangeError);
  });
});
