import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { DeadLetter } from '@signal-mesh/contracts';
import { testLogger } from '@signal-mesh/testing';
import { injectTraceContext, startTelemetry, type Telemetry } from '@signal-mesh/util-otel';
import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';

import { type BatchResults, type ConsumedRecord, type ConsumerOptions, KafkaConsumerRunner } from './consumer';
import { PermanentError } from './errors';
import { KafkaMetricNames } from './metrics';
import type { KafkaProducer, OutgoingRecord } from './producer';

const TOPIC = 'test.batch';

/** Just enough of a kafkajs consumer to drive eachBatch by hand and see commits. */
class FakeConsumer {
  readonly events = { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' };
  readonly commits: string[] = [];
  readonly pauses: string[] = [];
  eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  private readonly listeners = new Map<string, (event: unknown) => void>();
  on(event: string, listener: (event: unknown) => void): void {
    this.listeners.set(event, listener);
  }
  emit(event: string, payload: unknown): void {
    this.listeners.get(event)?.({ payload });
  }
  async connect(): Promise<void> {
    return undefined;
  }
  async subscribe(): Promise<void> {
    return undefined;
  }
  async run({ eachBatch }: { eachBatch: (payload: EachBatchPayload) => Promise<void> }): Promise<void> {
    this.eachBatch = eachBatch;
  }
  async commitOffsets(offsets: { offset: string }[]): Promise<void> {
    this.commits.push(...offsets.map((o) => o.offset));
  }
  async disconnect(): Promise<void> {
    return undefined;
  }
  pause(topics: { topic: string }[]): void {
    if (!this.eachBatch) throw new Error('Consumer group was not initialized, consumer#run must be called first');
    this.pauses.push(...topics.map((t) => `pause ${t.topic}`));
  }
  resume(topics: { topic: string }[]): void {
    this.pauses.push(...topics.map((t) => `resume ${t.topic}`));
  }
}

/** The current value of a counter's series with exactly these attributes (0 when it has none yet). */
async function counterValue(telemetry: Telemetry, name: string, attributes: Record<string, string>): Promise<number> {
  const collected = await telemetry.collectMetrics();
  const points: { attributes: object; value: unknown }[] = collected.scopeMetrics.flatMap((s) => s.metrics.filter((m) => m.descriptor.name === name).flatMap((m) => [...m.dataPoints]));
  const point = points.find((p) => JSON.stringify(Object.entries(p.attributes).sort()) === JSON.stringify(Object.entries(attributes).sort()));
  return typeof point?.value === 'number' ? point.value : 0;
}

function message(offset: number, value: string, headers: Record<string, string> = {}): KafkaMessage {
  return { key: Buffer.from(`k${offset}`), value: Buffer.from(value), timestamp: '0', attributes: 0, offset: String(offset), headers };
}

function setup<T = { n: number }>(options: Partial<ConsumerOptions<T>> & ({ handle: ConsumerOptions<T>['handle'] } | { handleBatch: ConsumerOptions<T>['handleBatch'] })) {
  const fake = new FakeConsumer();
  const sent: { topic: string; records: readonly OutgoingRecord[] }[] = [];
  const deadLetters = {
    send: async (topic: string, records: readonly OutgoingRecord[]) => {
      sent.push({ topic, records });
      return [];
    },
  } as unknown as KafkaProducer;
  const kafka = { consumer: () => fake } as unknown as Kafka;
  const sut = new KafkaConsumerRunner<T>(kafka, {
    groupId: 'g',
    topics: [TOPIC],
    decode: (v) => JSON.parse(String(v)) as T,
    deadLetters,
    logger: testLogger(),
    retry: { attempts: 3, initialDelayMs: 1 },
    ...options,
  } as ConsumerOptions<T>);
  const resolved: string[] = [];
  const deliver = async (messages: KafkaMessage[]) => {
    await sut.start();
    await fake.eachBatch?.({
      batch: { topic: TOPIC, partition: 0, messages },
      resolveOffset: (o: string) => resolved.push(o),
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload);
  };
  const letters = () => sent.flatMap((s) => s.records.map((r) => ({ topic: s.topic, code: r.headers?.['x-dlq-code'], letter: DeadLetter.decode(r.value) })));
  return { sut, fake, sent, resolved, deliver, letters };
}

describe(KafkaConsumerRunner.name, () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;
  beforeAll(() => {
    telemetry = startTelemetry({ serviceName: 'consumer-spec', spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  });
  afterAll(() => telemetry.shutdown());
  beforeEach(() => exporter.reset());

  it('refuses both or neither of handle and handleBatch, and a non-positive chunk size', () => {
    const kafka = { consumer: () => new FakeConsumer() } as unknown as Kafka;
    const base = { groupId: 'g', topics: [TOPIC], decode: () => 1, deadLetters: {} as KafkaProducer, logger: testLogger() };
    expect(() => new KafkaConsumerRunner(kafka, base as unknown as ConsumerOptions<number>)).toThrow(/exactly one/);
    expect(() => new KafkaConsumerRunner(kafka, { ...base, handle: async () => undefined, handleBatch: async () => [] } as unknown as ConsumerOptions<number>)).toThrow(/exactly one/);
    expect(() => new KafkaConsumerRunner(kafka, { ...base, handleBatch: async () => [], maxBatchRecords: 0 })).toThrow(/positive/);
  });

  describe('batch mode', () => {
    it('hands chunks of maxBatchRecords in offset order and resolves each chunk after its effects', async () => {
      const chunks: number[][] = [];
      const { deliver, resolved, fake } = setup({
        maxBatchRecords: 2,
        handleBatch: async (records: ConsumedRecord<{ n: number }>[]) => {
          chunks.push(records.map((r) => r.value.n));
          return records.map(() => undefined);
        },
      });
      await deliver([1, 2, 3, 4, 5].map((n) => message(n + 9, `{"n":${n}}`)));
      expect(chunks).toEqual([[1, 2], [3, 4], [5]]);
      expect(resolved).toEqual(['11', '13', '14']);
      expect(fake.commits.at(-1)).toBe('15');
    });

    it('dead-letters undecodable records and the records answered with a PermanentError, in one write per chunk', async () => {
      const seen: number[] = [];
      const { deliver, sent, letters, fake } = setup({
        handleBatch: async (records: ConsumedRecord<{ n: number }>[]): Promise<BatchResults> => {
          seen.push(...records.map((r) => r.value.n));
          return records.map((r) => (r.value.n < 0 ? new PermanentError('NEGATIVE', `n must be positive, got ${r.value.n}`) : undefined));
        },
      });
      await deliver([message(0, '{"n":1}'), message(1, 'not json'), message(2, '{"n":-1}'), message(3, '{"n":4}')]);
      expect(seen).toEqual([1, -1, 4]);
      expect(sent).toHaveLength(1);
      expect(letters().map((l) => [l.topic, l.code, l.letter.offset, l.letter.reason])).toEqual([
        [`${TOPIC}.dlq`, 'UNDECODABLE', '1', expect.stringMatching(/Unexpected token/)],
        [`${TOPIC}.dlq`, 'NEGATIVE', '2', 'n must be positive, got -1'],
      ]);
      expect(Buffer.from(letters()[0]?.letter.originalValue ?? []).toString()).toBe('not json');
      expect(fake.commits).toEqual(['4']);
    });

    it('skips the handler for a chunk with nothing decodable, still dead-lettering and committing it', async () => {
      const handleBatch = jest.fn(async () => []);
      const { deliver, letters, fake } = setup({ handleBatch });
      await deliver([message(0, '{'), message(1, '[')]);
      expect(handleBatch).not.toHaveBeenCalled();
      expect(letters().map((l) => l.code)).toEqual(['UNDECODABLE', 'UNDECODABLE']);
      expect(fake.commits).toEqual(['2']);
    });

    it('retries a transient failure of the whole chunk in place, then succeeds', async () => {
      let attempts = 0;
      const { deliver, fake } = setup({
        handleBatch: async (records: ConsumedRecord<{ n: number }>[]) => {
          if (++attempts < 3) throw new Error('database briefly unavailable');
          return records.map(() => undefined);
        },
      });
      await deliver([message(0, '{"n":1}'), message(1, '{"n":2}')]);
      expect(attempts).toBe(3);
      expect(fake.commits).toEqual(['2']);
    });

    it('rethrows a persistent transient failure after committing only the chunks that completed', async () => {
      let calls = 0;
      const { deliver, resolved, fake, sent } = setup({
        maxBatchRecords: 2,
        handleBatch: async (records: ConsumedRecord<{ n: number }>[]) => {
          if (++calls > 1) throw new Error('database down');
          return records.map(() => undefined);
        },
      });
      await expect(deliver([1, 2, 3, 4].map((n) => message(n, `{"n":${n}}`)))).rejects.toThrow('database down');
      expect(resolved).toEqual(['2']);
      expect(fake.commits).toEqual(['3']);
      expect(sent).toEqual([]);
    });

    it('treats a wrong number of results as a failure, never committing the chunk', async () => {
      const { deliver, fake } = setup({ handleBatch: async () => [undefined] });
      await expect(deliver([message(0, '{"n":1}'), message(1, '{"n":2}')])).rejects.toThrow('handleBatch returned 1 results for 2 records');
      expect(fake.commits).toEqual([]);
    });

    it('dead-letters the whole chunk when the handler throws a PermanentError', async () => {
      const { deliver, letters, fake } = setup({
        handleBatch: async () => {
          throw new PermanentError('POISON_CHUNK', 'cannot apply');
        },
      });
      await deliver([message(0, '{"n":1}'), message(1, 'x'), message(2, '{"n":2}')]);
      expect(letters().map((l) => [l.letter.offset, l.code])).toEqual([
        ['0', 'POISON_CHUNK'],
        ['1', 'UNDECODABLE'],
        ['2', 'POISON_CHUNK'],
      ]);
      expect(fake.commits).toEqual(['3']);
    });

    it('processes each chunk in one CONSUMER span of its own trace, linked to every record producer trace', async () => {
      const tracer = trace.getTracer('spec');
      const produced = [0, 1, 2].map((offset) =>
        tracer.startActiveSpan(`produce ${offset}`, (span) => {
          const headers = injectTraceContext({}) as Record<string, string>;
          span.end();
          return { headers, traceId: span.spanContext().traceId, spanId: span.spanContext().spanId, offset };
        }),
      );
      const { deliver } = setup({ handleBatch: async (records: ConsumedRecord<{ n: number }>[]) => records.map(() => undefined) });
      await deliver(produced.map((p) => message(p.offset, '{"n":1}', p.headers)));
      const [span] = exporter.getFinishedSpans().filter((s) => s.name === `${TOPIC} process`);
      expect(span?.kind).toBe(4); // SpanKind.CONSUMER
      expect(span?.parentSpanContext).toBeUndefined();
      expect(span?.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual(produced.map((p) => [p.traceId, p.spanId]));
      expect(span?.attributes).toMatchObject({ 'messaging.batch.message_count': 3, 'messaging.consumer.group.name': 'g' });
    });
  });

  describe('record mode (unchanged)', () => {
    it('handles each record in a span parented by its producer trace and dead-letters poison', async () => {
      const handled: number[] = [];
      const parent = trace.getTracer('spec').startActiveSpan('produce', (span) => {
        const headers = injectTraceContext({}) as Record<string, string>;
        span.end();
        return { headers, traceId: span.spanContext().traceId };
      });
      const { deliver, letters, fake } = setup({
        handle: async (r: ConsumedRecord<{ n: number }>) => {
          if (r.value.n < 0) throw new PermanentError('NEGATIVE', 'negative');
          handled.push(r.value.n);
        },
      });
      await deliver([message(0, '{"n":1}', parent.headers), message(1, 'x'), message(2, '{"n":-1}'), message(3, '{"n":4}')]);
      expect(handled).toEqual([1, 4]);
      expect(letters().map((l) => [l.letter.offset, l.code])).toEqual([
        ['1', 'UNDECODABLE'],
        ['2', 'NEGATIVE'],
      ]);
      expect(fake.commits).toEqual(['4']);
      const spans = exporter.getFinishedSpans().filter((s) => s.name === `${TOPIC} process`);
      expect(spans).toHaveLength(3);
      expect(spans[0]?.spanContext().traceId).toBe(parent.traceId);
    });
  });

  it('is ready after joining the group and not after a crash until it joins again', () => {
    const { sut, fake } = setup({ handle: async () => undefined });
    expect(sut.isReady()).toBe(false);
    fake.emit('consumer.group_join', {});
    expect(sut.isReady()).toBe(true);
    fake.emit('consumer.crash', { error: new Error('boom'), restart: true });
    expect(sut.isReady()).toBe(false);
    expect(sut.lastCrash()?.message).toBe('boom');
    fake.emit('consumer.group_join', {});
    expect(sut.isReady()).toBe(true);
  });

  describe('metrics', () => {
    it('counts processed and dead-lettered records by topic, group and outcome, and dead letters by code', async () => {
      const processed = { topic: TOPIC, group: 'g', outcome: 'processed' };
      const deadLettered = { topic: TOPIC, group: 'g', outcome: 'dead_lettered' };
      const before = {
        processed: await counterValue(telemetry, KafkaMetricNames.records, processed),
        deadLettered: await counterValue(telemetry, KafkaMetricNames.records, deadLettered),
        negative: await counterValue(telemetry, KafkaMetricNames.deadLetters, { topic: TOPIC, code: 'NEGATIVE' }),
      };
      const batch = setup({
        handleBatch: async (records: ConsumedRecord<{ n: number }>[]): Promise<BatchResults> => records.map((r) => (r.value.n < 0 ? new PermanentError('NEGATIVE', 'negative') : undefined)),
      });
      await batch.deliver([message(0, '{"n":1}'), message(1, 'not json'), message(2, '{"n":-1}'), message(3, '{"n":4}')]);
      const single = setup({ handle: async () => undefined });
      await single.deliver([message(0, '{"n":1}')]);

      expect(await counterValue(telemetry, KafkaMetricNames.records, processed)).toBe(before.processed + 3);
      expect(await counterValue(telemetry, KafkaMetricNames.records, deadLettered)).toBe(before.deadLettered + 2);
      expect(await counterValue(telemetry, KafkaMetricNames.deadLetters, { topic: TOPIC, code: 'NEGATIVE' })).toBe(before.negative + 1);
      expect(await counterValue(telemetry, KafkaMetricNames.deadLetters, { topic: TOPIC, code: 'UNDECODABLE' })).toBeGreaterThanOrEqual(1);
    });

    it('names topic, partition, offset and group on consumer spans, never a key or a value', async () => {
      const { deliver } = setup({ handle: async () => undefined });
      await deliver([message(7, '{"n":1,"evidenceNote":"private note"}')]);
      const span = exporter.getFinishedSpans().find((s) => s.name === `${TOPIC} process`);
      expect(span?.attributes).toEqual({
        'messaging.system': 'kafka',
        'messaging.destination.name': TOPIC,
        'messaging.kafka.destination.partition': 0,
        'messaging.consumer.group.name': 'g',
        'messaging.kafka.message.offset': '7',
      });
      expect(JSON.stringify(exporter.getFinishedSpans().map((s) => s.attributes))).not.toMatch(/private note|k7/);
    });
  });

  describe('pause and resume', () => {
    it('pauses every subscribed topic once running (also when asked before start), and resumes them', async () => {
      const { sut, fake } = setup({ handle: async () => undefined, topics: [TOPIC, 'other'] });
      sut.pause();
      expect(fake.pauses).toEqual([]);
      await sut.start();
      expect(fake.pauses).toEqual([`pause ${TOPIC}`, 'pause other']);
      expect(sut.isPaused()).toBe(true);
      sut.resume();
      expect(fake.pauses.slice(2)).toEqual([`resume ${TOPIC}`, 'resume other']);
      expect(sut.isPaused()).toBe(false);
    });

    it('pauses again when kafkajs rejoins the group after a crash restart', async () => {
      const { sut, fake } = setup({ handle: async () => undefined });
      await sut.start();
      sut.pause();
      fake.emit(fake.events.GROUP_JOIN, {});
      expect(fake.pauses).toEqual([`pause ${TOPIC}`, `pause ${TOPIC}`]);
      expect(sut.isReady()).toBe(true);
    });
  });
});
