import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { deadLetterTopicName, type TopicSpec } from '@signal-mesh/contracts';
import { eventually, integrationEnv, readDeadLetters, testLogger, uniqueName } from '@signal-mesh/testing';
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

    const letters = await readDeadLetters(kafka, dlq, 2);
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
  describe('batch mode', () => {
    it('hands chunks of at most maxBatchRecords, dead-letters poison with the reason and commits everything', async () => {
      const { topic, dlq } = await freshTopic();
      const groupId = uniqueName('batch');
      const total = 1_200;
      await producer.send(
        topic,
        Array.from({ length: total }, (_, i) => ({ key: `k${i % 7}`, value: text(i === 10 ? 'not json' : JSON.stringify({ n: i === 20 ? -1 : i })) })),
      );
      const handled: number[] = [];
      const chunkSizes: number[] = [];
      const runner = new KafkaConsumerRunner(kafka, {
        groupId,
        topics: [topic],
        decode: (v) => JSON.parse(String(v)) as { n: number },
        deadLetters: producer,
        logger,
        maxBatchRecords: 100,
        handleBatch: async (records) => {
          chunkSizes.push(records.length);
          return records.map(({ value }) => {
            if (value.n < 0) return new PermanentError('NEGATIVE', `n must be positive, got ${value.n}`);
            handled.push(value.n);
            return undefined;
          });
        },
      });
      await runner.start();
      try {
        await eventually(async () => (handled.length === total - 2 ? true : undefined), { what: 'all good records handled' });
      } finally {
        await runner.stop();
      }
      expect(Math.max(...chunkSizes)).toBeLessThanOrEqual(100);
      expect(new Set(handled).size).toBe(total - 2);
      const letters = await readDeadLetters(kafka, dlq, 2);
      expect(letters.map((l) => [l.letter.offset, l.letter.errorCode])).toEqual([
        ['10', 'UNDECODABLE'],
        ['20', 'NEGATIVE'],
      ]);
      expect(letters[1]?.letter.reason).toBe('n must be positive, got -1');
      const admin = kafka.admin();
      await admin.connect();
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      await admin.disconnect();
      expect(committed?.partitions[0]?.offset).toBe(String(total));
    });

    it('redelivers a chunk whose transient failure outlasted the retries, from the last commit, skipping nothing', async () => {
      const { topic } = await freshTopic();
      await producer.send(topic, Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: text(JSON.stringify({ n: i })) })));
      let calls = 0;
      const handled = new Map<number, number>();
      const runner = new KafkaConsumerRunner(kafka, {
        groupId: uniqueName('batch-transient'),
        topics: [topic],
        decode: (v) => JSON.parse(String(v)) as { n: number },
        deadLetters: producer,
        logger,
        retry: { attempts: 2, initialDelayMs: 10 },
        maxBatchRecords: 5,
        handleBatch: async (records) => {
          calls += 1;
          // The second chunk fails twice (both in-place attempts): kafkajs restarts the consumer from offset 5.
          if (records[0]?.value.n === 5 && calls <= 3) throw new Error('database briefly unavailable');
          for (const r of records) handled.set(r.value.n, (handled.get(r.value.n) ?? 0) + 1);
          return records.map(() => undefined);
        },
      });
      await runner.start();
      try {
        await eventually(async () => (handled.size === 10 ? true : undefined), { what: 'every record handled', timeoutMs: 30_000 });
      } finally {
        await runner.stop();
      }
      expect([...handled.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      // Records of the committed first chunk were not handled again.
      expect(handled.get(0)).toBe(1);
    }, 40_000);

    it('links the chunk span to each record producer trace', async () => {
      const { topic } = await freshTopic();
      const traceIds: string[] = [];
      for (let i = 0; i < 3; i++) {
        await trace.getTracer('spec').startActiveSpan(`submit ${i}`, async (span) => {
          traceIds.push(span.spanContext().traceId);
          await producer.send(topic, [{ key: 'k', value: text('{}') }]);
          span.end();
        });
      }
      let seen = 0;
      const runner = new KafkaConsumerRunner(kafka, {
        groupId: uniqueName('batch-trace'),
        topics: [topic],
        decode: (v) => JSON.parse(String(v)),
        deadLetters: producer,
        logger,
        handleBatch: async (records) => {
          seen += records.length;
          return records.map(() => undefined);
        },
      });
      await runner.start();
      try {
        await eventually(async () => (seen === 3 ? true : undefined), { what: 'records consumed' });
      } finally {
        await runner.stop();
      }
      const spans = exporter.getFinishedSpans().filter((s) => s.name === `${topic} process`);
      const linked = spans.flatMap((s) => s.links.map((l) => l.context.traceId));
      expect(linked).toEqual(traceIds);
      expect(spans.every((s) => !traceIds.includes(s.spanContext().traceId))).toBe(true);
    });
  });
});
