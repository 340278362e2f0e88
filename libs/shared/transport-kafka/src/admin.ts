// Type-only imports on purpose: tools/stack loads this file through Node's type stripping, before any build.
import type { TopicSpec } from '@signal-mesh/contracts';
import type { Admin, Kafka } from 'kafkajs';

/** Creates the topics that do not exist yet, with their partitions and cleanup policy. Returns the created names. */
export async function ensureTopics(kafka: Kafka, specs: readonly TopicSpec[]): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: -1,
          configEntries: [{ name: 'cleanup.policy', value: t.cleanupPolicy }, ...(t.retentionMs ? [{ name: 'retention.ms', value: String(t.retentionMs) }] : [])],
        })),
      });
    }
    return missing.map((t) => t.name);
  } finally {
    await admin.disconnect();
  }
}

export interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

/** Records not yet committed by `groupId`, per topic-partition (log end offset minus committed offset). */
export async function consumerLag(kafka: Kafka, groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await lagFromBroker(admin, groupId, topics);
  } finally {
    await admin.disconnect();
  }
}

/**
 * The same, on a connected admin client the caller keeps (the consumer's lag gauge refreshes through one). A partition
 * the group never committed counts from its low watermark, as a consumer reading from the beginning would.
 */
export async function lagFromBroker(admin: Admin, groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  const out: PartitionLag[] = [];
  for (const { topic, partitions } of committed) {
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p]));
    for (const p of partitions) {
      const end = ends.get(p.partition);
      if (!end) continue;
      const from = Number(p.offset) >= 0 ? Number(p.offset) : Number(end.low);
      out.push({ topic, partition: p.partition, lag: Math.max(0, Number(end.high) - from) });
    }
  }
  return out;
}

/** The group's committed offsets on `topic` (partitions without a commit are left out). */
export async function committedOffsets(kafka: Kafka, groupId: string, topic: string): Promise<Map<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const answer = await admin.fetchOffsets({ groupId, topics: [topic] });
    const partitions = answer.find((t) => t.topic === topic)?.partitions ?? [];
    return new Map(partitions.filter((p) => BigInt(p.offset) >= 0n).map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}
