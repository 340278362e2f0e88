import { DeadLetter } from '@signal-mesh/contracts';
import type { Kafka } from 'kafkajs';

import { uniqueName } from './env';
import { eventually } from './wait';

/** Reads a dead-letter topic from the beginning until `expected` letters have arrived (with their headers). */
export async function readDeadLetters(kafka: Kafka, dlq: string, expected: number): Promise<{ letter: DeadLetter; headers: Record<string, string> }[]> {
  const out: { letter: DeadLetter; headers: Record<string, string> }[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('dlq-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic: dlq, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      out.push({ letter: DeadLetter.decode(message.value ?? Buffer.alloc(0)), headers });
    },
  });
  try {
    await eventually(async () => (out.length >= expected ? true : undefined), { what: `${expected} dead letters` });
  } finally {
    await consumer.disconnect();
  }
  return out;
}
