// Create the mesh's topics explicitly, with their partitions and cleanup policies. The catalogue
// (libs/shared/contracts/src/topics.ts) and the creation code (transport-kafka's admin.ts) are loaded through Node's
// type stripping, so this works before anything is built.
import { Kafka, logLevel } from 'kafkajs';

import { allTopicSpecs } from '../../libs/shared/contracts/src/topics.ts';
import { ensureTopics as ensure } from '../../libs/shared/transport-kafka/src/admin.ts';

export function ensureTopics(brokers, specs = allTopicSpecs()) {
  const kafka = new Kafka({ clientId: 'signal-mesh-topics', brokers: brokers.split(','), logLevel: logLevel.ERROR });
  return ensure(kafka, specs);
}
