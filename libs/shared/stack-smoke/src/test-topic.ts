import { deadLetterTopicName, type TopicSpec } from '@signal-mesh/contracts';
import { integrationEnv, uniqueName } from '@signal-mesh/testing';
import { createKafka, ensureTopics, type Kafka } from '@signal-mesh/transport-kafka';
import type { Logger } from '@signal-mesh/util-logging';



export interface TestTopics {
  kafka: Kafka;
  topic: string;
  dlq: string;
}

/** A Kafka client and a fresh topic (with its dead-letter topic) on the real broker, for one suite. */
export async function createTestTopic(suite: string, logger: Logger, partitions = 3): Promise<TestTopics> {
  const kafka = createKafka({ brokers: integrationEnv().kafkaBrokers, clientId: uniqueName(suite), logger });
  const topic = `test.${uniqueName(suite)}`;
  const spec = (name: string, count: number): TopicSpec => ({ name, partitions: count, cleanupPolicy: 'delete', key: 'test', payload: 'test' });
  await ensureTopics(kafka, [spec(topic, partitions), spec(deadLetterTopicName(topic), 1)]);
  return { kafka, topic, dlq: deadLetterTopicName(topic) };
}
