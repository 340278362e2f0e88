// Create the mesh's topics explicitly, with their partitions and cleanup policies (the catalogue lives in
// libs/shared/contracts/src/topics.ts and is loaded here through Node's type stripping).
import { Kafka, logLevel } from 'kafkajs';

import { allTopicSpecs } from '../../libs/shared/contracts/src/topics.ts';

export async function ensureTopics(brokers, specs = allTopicSpecs()) {
  const kafka = new Kafka({ clientId: 'signal-mesh-topics', brokers: brokers.split(','), logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((t) => !existing.has(t.name));
    if (missing.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: -1,
        configEntries: [
          { name: 'cleanup.policy', value: t.cleanupPolicy },
          ...(t.retentionMs ? [{ name: 'retention.ms', value: String(t.retentionMs) }] : []),
        ],
      })),
    });
    return missing.map((t) => t.name);
  } finally {
    await admin.disconnect();
  }
}
