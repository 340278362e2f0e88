import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { DeadLetter, deadLetterTopicName, type TopicSpec } from '@signal-mesh/contracts';
import { eventually, integrationEnv, testLogger, uniqueName } from '@signal-mesh/testing';
import { startTelemetry, type Telemetry } from '@signal-mesh/util-otel';
import type { Kafka } from 'kafkajs';

import { ensureTopics } from './admin';
import { type ConsumedRecord, KafkaConsumerRunner } from './consumer';
import { PermanentError } from './errors';
import { createKafka } from './kafka';
import { KafkaProducer } from './producer';

const logger = testLogger('consumer-spec');
const spec = (name: string, partitions = 1): TopicSpec => ({ name, partitions, cleanupPolicy: 'delete', key: 'test', payload: 'test' });
const text = (s: string) => new TextEncoder().encode(s);

describe(KafkaConsumerRunner.name, () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;
  let kafka: Kafka;
  let producer: KafkaProducer;

  beforeAll(async () => {
    telemetry = startTelemetry({ serviceName: 'consumer-spec', spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    kafka = createKafka({ brokers: integrationEnv().kafkaBrokers, clientId: 'consumer-spec', logger });
    producer = await KafkaProducer.connect(kafka, logger);
  });
  afterAll(async () => {
    await producer.disconnect();
    await telemetry.shutdown();
  });

  async function freshTopic(): Promise<{ topic: string; dlq: string }> {
    const topic = `test.${uniqueName('consumer')}`;
    await ensureTopics(kafka, [spec(topic), spec(deadLetterTopicName(topic))]);
    return { topic, dlq: deadLetterTopicName(topic) };
  }

  async function readDeadLetters(dlq: string, expected: number): Promise<{ letter: DeadLetter; headers: Record<string, string> }[]> {
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

  it('dead-letters poison records with the reason and keeps consuming the ones after them', async () => {
    const { topic, dlq } = await freshTopic();
    await producer.send(topic, [
      { key: 'a', value: text('{"n":1}') },
      { key: 'b', value: text('not json') },
      { key: 'c', value: text('{"n":-1}') },
      { key: 'd', value: text('{"n":4}') },
    ]);
    const handled: number[] = [];
    const runner = new KafkaConsumerRunner(kafka, {
      groupId: uniqueName('poison'),
      topics: [topic],
      decode: (v) => JSON.parse(String(v)) as { n: number },
      deadLetters: producer,
      logger,
      handle: async ({ value }) => {
        if (value.n < 0) throw new PermanentError('NEGATIVE', `n must be positive, got ${value.n}`);
        handled.push(value.n);
      },
    });
    await runner.start();
    try {
      await eventually(async () => (handled.length === 2 ? true : undefined), { what: 'good records handled' });
    } finally {
      await runner.stop();
    }
    expect(handled).toEqual([1, 4]);

    const letters = await readDeadLetters(dlq, 2);
    expect(letters.map((l) => [l.letter.errorCode, l.headers['x-dlq-code']])).toEqual([
      ['UNDECODABLE', 'UNDECODABLE'],
      ['NEGATIVE', 'NEGATIVE'],
    ]);
    expect(letters[1]?.letter).toMatchObject({ sourceTopic: topic, offset: '2', reason: 'n must be positive, got -1' });
    expect(Buffer.from(letters[0]?.letter.originalValue ?? []).toString()).toBe('not json');
  });

  it('retries a transient failure in place and commits only after the effect succeeded', async () => {
    const { topic } = await freshTopic();
    const groupId = uniqueName('transient');
    await producer.send(topic, [{ key: 'k', value: text('{"n":7}') }]);
    let attempts = 0;
    const runner = new KafkaConsumerRunner(kafka, {
      groupId,
      topics: [topic],
      decode: (v) => JSON.parse(String(v)) as { n: number },
      deadLetters: producer,
      logger,
      retry: { initialDelayMs: 10 },
      handle: async () => {
        attempts += 1;
        if (attempts < 3) throw new Error('database briefly unavailable');
      },
    });
    await runner.start();
    try {
      await eventually(async () => (attempts === 3 ? true : undefined), { what: 'third attempt' });
    } finally {
      await runner.stop();
    }
    const admin = kafka.admin();
    await admin.connect();
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    expect(committed?.partitions[0]?.offset).toBe('1');
  });

  it('continues the producer trace in the consumer through record headers', async () => {
    const { topic } = await freshTopic();
    let traceId = '';
    await trace.getTracer('spec').startActiveSpan('submit', async (span) => {
      traceId = span.spanContext().traceId;
      await producer.send(topic, [{ key: 'k', value: text('{}') }]);
      span.end();
    });
    const seen: ConsumedRecord<unknown>[] = [];
    const runner = new KafkaConsumerRunner(kafka, {
      groupId: uniqueName('trace'),
      topics: [topic],
      decode: (v) => JSON.parse(String(v)),
      deadLetters: producer,
      logger,
      handle: async (r) => {
        seen.push(r);
      },
    });
    await runner.start();
    try {
      await eventually(async () => (seen.length === 1 ? true : undefined), { what: 'record consumed' });
    } finally {
      await runner.stop();
    }
    expect(seen[0]?.headers['traceparent']).toContain(traceId);
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining(['submit', `${topic} publish`, `${topic} process`]));
  });
});
