import { context, type Link, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { DeadLetter, deadLetterTopicName } from '@signal-mesh/contracts';
import type { Logger } from '@signal-mesh/util-logging';
import { extractTraceContext } from '@signal-mesh/util-otel';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';

import { isPermanent, PermanentError } from './errors';
import { decodeHeaders, type RecordHeaders } from './headers';
import { ConsumerLagGauge, type KafkaInstruments,kafkaInstruments } from './metrics';
import type { KafkaProducer } from './producer';

export interface ConsumedRecord<T> {
  topic: string;
  partition: number;
  offset: string;
  key: string | undefined;
  value: T;
  headers: RecordHeaders;
  timestamp: string;
}

export interface RetryPolicy {
  /** Attempts in place before giving up on the batch (the record is then redelivered, never skipped). */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

interface CommonConsumerOptions<T> {
  groupId: string;
  topics: readonly string[];
  /** Turns record bytes into a value; throwing marks the record as poison (dead-lettered as UNDECODABLE). */
  decode: (value: Buffer | null, key: string | undefined) => T;
  /** Where poison records go; their offsets are committed only after the dead-letter write succeeded. */
  deadLetters: KafkaProducer;
  logger: Logger;
  retry?: Partial<RetryPolicy>;
  /** Commit after this many processed records of a partition, or `commitIntervalMs`, and at the end of every batch. */
  commitEvery?: number;
  commitIntervalMs?: number;
  fromBeginning?: boolean;
  partitionsConsumedConcurrently?: number;
  /** How long the group waits for a silent member before reassigning its partitions (broker minimum 6 s). */
  sessionTimeoutMs?: number;
  /** The consumer-lag gauge asks the broker at most this often (default 5 s). */
  lagRefreshMs?: number;
}

/** Record mode: one call per record. */
export interface RecordConsumerOptions<T> extends CommonConsumerOptions<T> {
  /** Applies the record's effects. Must resolve only once they are durable; must be idempotent (redelivery happens). */
  handle: (record: ConsumedRecord<T>) => Promise<void>;
  handleBatch?: never;
  maxBatchRecords?: never;
}

/** Answer of a batch handler: one entry per record, in order; a PermanentError dead-letters that record. */
export type BatchResults = ReadonlyArray<PermanentError | undefined>;

/**
 * Batch mode: one call per chunk of up to `maxBatchRecords` decoded records of one partition, in offset order.
 * Must resolve only once every effect is durable. A throw retries the whole chunk (so it must be idempotent); a
 * thrown PermanentError dead-letters every record of the chunk.
 */
export interface BatchConsumerOptions<T> extends CommonConsumerOptions<T> {
  handleBatch: (records: ConsumedRecord<T>[]) => Promise<BatchResults>;
  handle?: never;
  /** Largest chunk handed to handleBatch (default 500); each fetched kafkajs batch is split into such chunks. */
  maxBatchRecords?: number;
}

/** Exactly one of `handle` (record mode) and `handleBatch` (batch mode). */
export type ConsumerOptions<T> = RecordConsumerOptions<T> | BatchConsumerOptions<T>;

type BatchHandler<T> = BatchConsumerOptions<T>['handleBatch'];

interface Failure {
  message: KafkaMessage;
  err: PermanentError;
}

const tracer = trace.getTracer('@signal-mesh/transport-kafka');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a consumer group whose offsets are committed only after the handler's effects are durable. Transient errors
 * are retried in place with backoff and then, if they persist, surface to kafkajs, which restarts the consumer
 * from the last committed offset: a record is never skipped. Permanent errors send the record to `<topic>.dlq`
 * with the reason. W3C trace context from the record headers parents the processing span (record mode) or is
 * linked from the chunk's span (batch mode).
 */
export class KafkaConsumerRunner<T> {
  private readonly consumer: Consumer;
  private readonly logger: Logger;
  private readonly retry: RetryPolicy;
  private readonly metrics: KafkaInstruments;
  private readonly lag: ConsumerLagGauge;
  private joined = false;
  private running = false;
  private paused = false;
  private crashed: Error | undefined;

  constructor(
    kafka: Kafka,
    private readonly options: ConsumerOptions<T>,
  ) {
    // The types already demand exactly one; this guards casts and plain-JS callers (the benchmarks).
    if ((options.handle === undefined) === (options.handleBatch === undefined)) throw new Error('KafkaConsumerRunner needs exactly one of handle and handleBatch');
    if (options.maxBatchRecords !== undefined && !(Number.isInteger(options.maxBatchRecords) && options.maxBatchRecords >= 1)) {
      throw new Error('maxBatchRecords must be a positive integer');
    }
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3_000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3)),
    });
    this.logger = options.logger.child({ component: 'kafka-consumer', groupId: options.groupId });
    this.retry = { attempts: 5, initialDelayMs: 200, maxDelayMs: 5_000, ...options.retry };
    this.metrics = kafkaInstruments();
    this.lag = new ConsumerLagGauge({ kafka, groupId: options.groupId, topics: options.topics, gauge: this.metrics.consumerLag, logger: this.logger, refreshMs: options.lagRefreshMs });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.joined = true;
      // kafkajs forgets paused topics when it restarts the consumer after a crash.
      if (this.paused) this.applyPause();
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      // Not ready until kafkajs has restarted the consumer and it joined again (or for good, without a restart).
      this.joined = false;
      this.crashed = event.payload.error;
      this.logger.error({ err: event.payload.error, restart: event.payload.restart }, 'consumer crashed');
    });
  }

  /** True once the consumer has joined its group (and not crashed since): used by readiness probes. */
  isReady(): boolean {
    return this.joined;
  }

  lastCrash(): Error | undefined {
    return this.crashed;
  }

  /** True between pause() and resume(). */
  isPaused(): boolean {
    return this.paused;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: this.options.fromBeginning ?? true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    this.running = true;
    if (this.paused) this.applyPause();
    this.lag.start();
  }

  /**
   * Stops fetching from every subscribed topic while staying in the group (heartbeats go on, no rebalance): the
   * batch in progress finishes and is committed, then nothing more until resume(). Before start() it takes effect
   * once the consumer runs.
   */
  pause(): void {
    this.paused = true;
    if (this.running) this.applyPause();
    this.logger.info({ topics: this.options.topics }, 'consumer paused');
  }

  resume(): void {
    this.paused = false;
    if (this.running) this.consumer.resume(this.options.topics.map((topic) => ({ topic })));
    this.logger.info({ topics: this.options.topics }, 'consumer resumed');
  }

  private applyPause(): void {
    try {
      this.consumer.pause(this.options.topics.map((topic) => ({ topic })));
    } catch (err) {
      // Only before kafkajs built its consumer group; the GROUP_JOIN listener pauses it then.
      this.logger.debug({ err }, 'pause deferred until the consumer runs');
    }
  }

  /** Finishes the record (or chunk) in progress, commits what is done and leaves the group. */
  async stop(): Promise<void> {
    await this.lag.stop();
    await this.consumer.disconnect();
    this.running = false;
    this.joined = false;
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    // Larger intervals only mean more (idempotent) reprocessing after a crash; each commit is a broker round trip.
    const commitEvery = this.options.commitEvery ?? 1_000;
    const commitIntervalMs = this.options.commitIntervalMs ?? 1_000;
    const handleBatch = this.options.handleBatch;
    const chunkSize = handleBatch ? (this.options.maxBatchRecords ?? 500) : 1;
    let done: string | undefined;
    let sinceCommit = 0;
    let lastCommit = Date.now();
    const commit = async () => {
      if (done === undefined) return;
      await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(done) + 1n).toString() }]);
      done = undefined;
      sinceCommit = 0;
      lastCommit = Date.now();
    };
    try {
      for (let i = 0; i < batch.messages.length; i += chunkSize) {
        if (!isRunning() || isStale()) break;
        const chunk = batch.messages.slice(i, i + chunkSize);
        if (handleBatch) await this.processChunk(batch.topic, batch.partition, chunk, handleBatch, heartbeat, isRunning);
        else await this.process(batch.topic, batch.partition, chunk[0] as KafkaMessage, heartbeat, isRunning);
        const last = (chunk.at(-1) as KafkaMessage).offset;
        resolveOffset(last);
        done = last;
        sinceCommit += chunk.length;
        if (sinceCommit >= commitEvery || Date.now() - lastCommit >= commitIntervalMs) await commit();
        await heartbeat();
      }
    } finally {
      // Only records whose effects completed are in `done`, so committing here is safe even after an error.
      if (!isStale()) await commit();
    }
  }

  /** Record mode: one CONSUMER span per attempt, child of the producer's trace context from the headers. */
  private async process(topic: string, partition: number, message: KafkaMessage, heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<void> {
    const handle = this.options.handle as RecordConsumerOptions<T>['handle'];
    const record = this.decode(topic, partition, message);
    if (record instanceof PermanentError) {
      await this.deadLetter(topic, partition, [{ message, err: record }]);
      return;
    }
    const parent = extractTraceContext(record.headers);
    const attributes = { ...this.spanAttributes(topic, partition), 'messaging.kafka.message.offset': message.offset };
    const failed = await this.withRetry(
      () => context.with(parent, () => tracer.startActiveSpan(`${topic} process`, { kind: SpanKind.CONSUMER, attributes }, (span) => traced(span, () => handle(record)))),
      heartbeat,
      isRunning,
      { topic, partition, offset: message.offset },
    );
    if (failed) await this.deadLetter(topic, partition, [{ message, err: failed }]);
    else this.metrics.records.add(1, this.recordAttributes(topic, 'processed'));
  }

  /**
   * Batch mode: decode the chunk, hand the good records to handleBatch inside one CONSUMER span that links every
   * record's producer trace (a chunk has many parents, so it starts a trace of its own), then dead-letter what
   * failed — all before the caller resolves the chunk's offsets.
   */
  private async processChunk(
    topic: string,
    partition: number,
    messages: readonly KafkaMessage[],
    handleBatch: BatchHandler<T>,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<void> {
    const failures: Failure[] = [];
    const records: ConsumedRecord<T>[] = [];
    const sources: KafkaMessage[] = [];
    for (const message of messages) {
      const decoded = this.decode(topic, partition, message);
      if (decoded instanceof PermanentError) {
        failures.push({ message, err: decoded });
      } else {
        records.push(decoded);
        sources.push(message);
      }
    }
    if (records.length > 0) {
      const links: Link[] = [];
      for (const record of records) {
        const linked = trace.getSpanContext(extractTraceContext(record.headers));
        if (linked) links.push({ context: linked });
      }
      const attributes = {
        ...this.spanAttributes(topic, partition),
        'messaging.batch.message_count': records.length,
        'messaging.kafka.message.offset': records[0]?.offset ?? '',
      };
      let results: BatchResults = [];
      const failed = await this.withRetry(
        () =>
          tracer.startActiveSpan(`${topic} process`, { kind: SpanKind.CONSUMER, root: true, links, attributes }, (span) =>
            traced(span, async () => {
              results = await handleBatch(records);
              // A wrong-length answer is a handler bug: never guess which records it meant.
              if (results.length !== records.length) throw new Error(`handleBatch returned ${results.length} results for ${records.length} records`);
            }),
          ),
        heartbeat,
        isRunning,
        { topic, partition, offset: records[0]?.offset, count: records.length },
      );
      let processed = 0;
      sources.forEach((message, i) => {
        const err = failed ?? results[i];
        if (err) failures.push({ message, err });
        else processed++;
      });
      if (processed > 0) this.metrics.records.add(processed, this.recordAttributes(topic, 'processed'));
    }
    // Offset order, so the dead-letter topic reads like the source.
    failures.sort((a, b) => (BigInt(a.message.offset) < BigInt(b.message.offset) ? -1 : 1));
    await this.deadLetter(topic, partition, failures);
  }

  /** Decodes one message; an undecodable one comes back as the PermanentError to dead-letter it with. */
  private decode(topic: string, partition: number, message: KafkaMessage): ConsumedRecord<T> | PermanentError {
    const key = message.key?.toString();
    try {
      const value = this.options.decode(message.value, key);
      return { topic, partition, offset: message.offset, key, value, headers: decodeHeaders(message.headers), timestamp: message.timestamp };
    } catch (err) {
      return new PermanentError('UNDECODABLE', (err as Error).message, { cause: err });
    }
  }

  /**
   * Runs `attempt` until it succeeds (undefined) or fails permanently (the error, for the caller to dead-letter).
   * Transient errors are retried in place with backoff, then rethrown so kafkajs restarts from the last commit.
   */
  private async withRetry(attempt: () => Promise<void>, heartbeat: () => Promise<void>, isRunning: () => boolean, where: Record<string, unknown>): Promise<PermanentError | undefined> {
    for (let n = 1; ; n++) {
      try {
        await attempt();
        return undefined;
      } catch (err) {
        if (isPermanent(err)) return err;
        if (n >= this.retry.attempts || !isRunning()) throw err;
        const delay = Math.min(this.retry.maxDelayMs, this.retry.initialDelayMs * 2 ** (n - 1));
        this.logger.warn({ err, ...where, attempt: n, delayMs: delay }, 'transient failure, retrying');
        await sleep(delay);
        await heartbeat();
      }
    }
  }

  /** Where the record came from, never what it says: values and keys stay out of spans. */
  private spanAttributes(topic: string, partition: number): Record<string, string | number> {
    return {
      'messaging.system': 'kafka',
      'messaging.destination.name': topic,
      'messaging.kafka.destination.partition': partition,
      'messaging.consumer.group.name': this.options.groupId,
    };
  }

  /** One durable write for all of a chunk's poison records, before any of their offsets can be committed. */
  private async deadLetter(topic: string, partition: number, failures: readonly Failure[]): Promise<void> {
    if (failures.length === 0) return;
    const dlq = deadLetterTopicName(topic);
    const failedAt = new Date();
    await this.options.deadLetters.send(
      dlq,
      failures.map(({ message, err }) => ({
        key: message.key?.toString() ?? '',
        value: DeadLetter.encode(
          DeadLetter.fromPartial({
            sourceTopic: topic,
            partition,
            offset: message.offset,
            consumerGroup: this.options.groupId,
            errorCode: err.code,
            reason: err.message,
            originalKey: message.key ?? undefined,
            originalValue: message.value ?? undefined,
            headers: Object.entries(decodeHeaders(message.headers)).map(([k, v]) => ({ key: k, value: Buffer.from(v) })),
            failedAt,
          }),
        ).finish(),
        headers: { 'x-dlq-code': err.code, 'x-dlq-reason': err.message.slice(0, 500) },
      })),
    );
    for (const { message, err } of failures) {
      this.metrics.records.add(1, this.recordAttributes(topic, 'dead_lettered'));
      this.metrics.deadLetters.add(1, { topic, code: err.code });
      this.logger.warn({ topic, partition, offset: message.offset, dlq, code: err.code, reason: err.message }, 'record dead-lettered');
    }
  }

  private recordAttributes(topic: string, outcome: 'processed' | 'dead_lettered'): Record<string, string> {
    return { topic, group: this.options.groupId, outcome };
  }
}

/** Runs `fn` inside `span`, recording a failure on it; the span always ends. */
async function traced(span: Span, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw err;
  } finally {
    span.end();
  }
}
