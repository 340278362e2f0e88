import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { DeadLetter,deadLetterTopicName } from '@signal-mesh/contracts';
import type { Logger } from '@signal-mesh/util-logging';
import { extractTraceContext } from '@signal-mesh/util-otel';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';

import { isPermanent, PermanentError } from './errors';
import { decodeHeaders, type RecordHeaders } from './headers';
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

export interface ConsumerOptions<T> {
  groupId: string;
  topics: readonly string[];
  /** Turns record bytes into a value; throwing marks the record as poison (dead-lettered as UNDECODABLE). */
  decode: (value: Buffer | null, key: string | undefined) => T;
  /** Applies the record's effects. Must resolve only once they are durable; must be idempotent (redelivery happens). */
  handle: (record: ConsumedRecord<T>) => Promise<void>;
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
}

const tracer = trace.getTracer('@signal-mesh/transport-kafka');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs a consumer group whose offsets are committed only after the handler's effects are durable. Transient errors
 * are retried in place with backoff and then, if they persist, surface to kafkajs, which restarts the consumer
 * from the last committed offset: a record is never skipped. Permanent errors send the record to `<topic>.dlq`
 * with the reason. W3C trace context from the record headers parents the processing span.
 */
export class KafkaConsumerRunner<T> {
  private readonly consumer: Consumer;
  private readonly logger: Logger;
  private readonly retry: RetryPolicy;
  private joined = false;
  private crashed: Error | undefined;

  constructor(
    kafka: Kafka,
    private readonly options: ConsumerOptions<T>,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3_000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3)),
    });
    this.logger = options.logger.child({ component: 'kafka-consumer', groupId: options.groupId });
    this.retry = { attempts: 5, initialDelayMs: 200, maxDelayMs: 5_000, ...options.retry };
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.joined = true;
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      this.crashed = event.payload.error;
      this.logger.error({ err: event.payload.error, restart: event.payload.restart }, 'consumer crashed');
    });
  }

  /** True once the consumer has joined its group: used by readiness probes. */
  isReady(): boolean {
    return this.joined;
  }

  lastCrash(): Error | undefined {
    return this.crashed;
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
  }

  /** Finishes the record in progress, commits what is done and leaves the group. */
  async stop(): Promise<void> {
    await this.consumer.disconnect();
    this.joined = false;
  }

  private async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    // Larger intervals only mean more (idempotent) reprocessing after a crash; each commit is a broker round trip.
    const commitEvery = this.options.commitEvery ?? 1_000;
    const commitIntervalMs = this.options.commitIntervalMs ?? 1_000;
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
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        await this.process(batch.topic, batch.partition, message, heartbeat, isRunning);
        resolveOffset(message.offset);
        done = message.offset;
        if (++sinceCommit >= commitEvery || Date.now() - lastCommit >= commitIntervalMs) await commit();
        await heartbeat();
      }
    } finally {
      // Only records whose effects completed are in `done`, so committing here is safe even after an error.
      if (!isStale()) await commit();
    }
  }

  private async process(topic: string, partition: number, message: KafkaMessage, heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<void> {
    const headers = decodeHeaders(message.headers);
    const key = message.key?.toString();
    let value: T;
    try {
      value = this.options.decode(message.value, key);
    } catch (err) {
      await this.deadLetter(topic, partition, message, new PermanentError('UNDECODABLE', (err as Error).message, { cause: err }));
      return;
    }
    const record: ConsumedRecord<T> = { topic, partition, offset: message.offset, key, value, headers, timestamp: message.timestamp };
    const parent = extractTraceContext(headers);

    for (let attempt = 1; ; attempt++) {
      try {
        await context.with(parent, () =>
          tracer.startActiveSpan(
            `${topic} process`,
            {
              kind: SpanKind.CONSUMER,
              attributes: {
                'messaging.system': 'kafka',
                'messaging.destination.name': topic,
                'messaging.kafka.destination.partition': partition,
                'messaging.kafka.message.offset': message.offset,
                'messaging.consumer.group.name': this.options.groupId,
              },
            },
            async (span) => {
              try {
                await this.options.handle(record);
              } catch (err) {
                span.recordException(err as Error);
                span.setStatus({ code: SpanStatusCode.ERROR });
                throw err;
              } finally {
                span.end();
              }
            },
          ),
        );
        return;
      } catch (err) {
        if (isPermanent(err)) {
          await this.deadLetter(topic, partition, message, err);
          return;
        }
        if (attempt >= this.retry.attempts || !isRunning()) throw err;
        const delay = Math.min(this.retry.maxDelayMs, this.retry.initialDelayMs * 2 ** (attempt - 1));
        this.logger.warn({ err, topic, partition, offset: message.offset, attempt, delayMs: delay }, 'transient failure, retrying');
        await sleep(delay);
        await heartbeat();
      }
    }
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, err: PermanentError): Promise<void> {
    const dlq = deadLetterTopicName(topic);
    const envelope = DeadLetter.encode(
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
        failedAt: new Date(),
      }),
    ).finish();
    await this.options.deadLetters.send(dlq, [
      { key: message.key?.toString() ?? '', value: envelope, headers: { 'x-dlq-code': err.code, 'x-dlq-reason': err.message.slice(0, 500) } },
    ]);
    this.logger.warn({ topic, partition, offset: message.offset, dlq, code: err.code, reason: err.message }, 'record dead-lettered');
  }
}
