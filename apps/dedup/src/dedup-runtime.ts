import { trace } from '@opentelemetry/api';
import type { SubmissionEvent } from '@signal-mesh/contracts';
import { MongoConnection } from '@signal-mesh/data-access-mongo';
import type { ServiceReadiness, ServiceRuntime } from '@signal-mesh/feature-service';
import { SignalRepository } from '@signal-mesh/signals-data-access';
import { decodeSubmission, submissionFromEvent } from '@signal-mesh/signals-event-mapping';
import { GrpcServer } from '@signal-mesh/transport-grpc';
import { createKafka, KafkaConsumerRunner, KafkaProducer } from '@signal-mesh/transport-kafka';
import type { Logger } from '@signal-mesh/util-logging';

import type { DedupConfig } from './config';
import { DedupProcessor } from './dedup-processor';
import { ExpirySweeper } from './expiry-sweeper';
import { KafkaStatePublisher } from './state-publisher';

export type DedupReadiness = ServiceReadiness & {
  mongo: boolean;
  consumer: boolean;
};

const tracer = trace.getTracer('@signal-mesh/dedup');

/**
 * The dedup service outside any framework: start() connects MongoDB and Kafka, serves gRPC health, joins the
 * `dedup` consumer group in batch mode and starts the expiry sweeper; stop() undoes it in reverse, the consumer
 * first so its last offsets are committed while the producer and MongoDB are still there.
 */
export class DedupRuntime implements ServiceRuntime {
  private mongo: MongoConnection | undefined;
  private producer: KafkaProducer | undefined;
  private consumer: KafkaConsumerRunner<SubmissionEvent> | undefined;
  private grpc: GrpcServer | undefined;
  private sweeper: ExpirySweeper | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;
  private stopping: Promise<void> | undefined;
  private readonly now = () => new Date();

  constructor(
    private readonly config: DedupConfig,
    private readonly logger: Logger,
  ) {}

  get grpcPort(): number | undefined {
    return this.grpc?.port;
  }

  async start(): Promise<void> {
    const { config, logger } = this;
    // Health only: dedup serves no RPCs, but every service answers grpc.health.v1 and reflection the same way.
    this.grpc = await GrpcServer.start({ host: config.service.host, port: config.service.grpcPort, logger, services: [] });
    this.mongo = await MongoConnection.connect({ uri: config.mongo.uri, database: config.mongo.database, appName: config.service.name, logger });
    const repository = await SignalRepository.create(this.mongo, logger);
    const kafka = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId ?? config.service.name, logger });
    this.producer = await KafkaProducer.connect(kafka, logger);
    const sink = new KafkaStatePublisher(this.producer, config.dedup.stateTopic, this.now);

    const processor = new DedupProcessor<SubmissionEvent>({
      store: repository,
      sink,
      toSubmission: submissionFromEvent,
      clock: this.now,
      logger: logger.child({ component: 'dedup' }),
      maxConflictRounds: config.dedup.maxConflictRounds,
    });
    this.consumer = new KafkaConsumerRunner<SubmissionEvent>(kafka, {
      groupId: config.dedup.groupId,
      topics: [config.dedup.submissionsTopic],
      decode: (value) => decodeSubmission(value ?? Buffer.alloc(0)),
      handleBatch: (records) => processor.handleBatch(records),
      maxBatchRecords: config.dedup.maxBatchRecords,
      partitionsConsumedConcurrently: config.dedup.partitionsConcurrently,
      sessionTimeoutMs: config.dedup.sessionTimeoutMs,
      deadLetters: this.producer,
      logger,
    });
    await this.consumer.start();

    this.sweeper = new ExpirySweeper({ store: repository, sink, clock: this.now, logger: logger.child({ component: 'expiry-sweeper' }), limit: config.dedup.expirySweepLimit });
    this.sweepTimer = setInterval(() => void this.sweepOnce(), config.dedup.expirySweepMs);
    this.sweepTimer.unref();
    this.grpc.setServing(true);
  }

  /** Runs one expiry sweep unless one is running; failures are logged and left for the next interval. */
  sweepOnce(): Promise<unknown> {
    const sweeper = this.sweeper;
    if (!sweeper || this.stopping) return Promise.resolve(0);
    this.sweeping ??= tracer
      .startActiveSpan('dedup expiry sweep', (span) => sweeper.sweep().finally(() => span.end()))
      .catch((err: unknown) => this.logger.error({ err }, 'expiry sweep failed'))
      .finally(() => {
        this.sweeping = undefined;
      });
    return this.sweeping;
  }

  /** Ready when MongoDB answers a ping and the consumer has joined its group; gRPC health follows. */
  async readiness(): Promise<DedupReadiness> {
    const consumer = !this.stopping && (this.consumer?.isReady() ?? false);
    const mongo = this.mongo && !this.stopping ? await this.mongo.ping() : false;
    const ready = consumer && mongo;
    if (!this.stopping) this.grpc?.setServing(ready);
    return { ready, mongo, consumer };
  }

  /** Operator hook (POST /ops/consumers/pause): stop taking submissions but stay in the group; lag builds up. */
  async pauseConsumers(): Promise<void> {
    this.consumer?.pause();
  }

  async resumeConsumers(): Promise<void> {
    this.consumer?.resume();
  }

  /** Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.grpc?.setServing(false);
    clearInterval(this.sweepTimer);
    await this.sweeping;
    // Finishes the chunk in progress (its write and state events) and commits it before anything below closes.
    await this.consumer?.stop().catch((err: unknown) => this.logger.warn({ err }, 'Kafka consumer did not stop cleanly'));
    await this.grpc?.shutdown(this.config.service.shutdownGraceMs);
    await this.producer?.disconnect().catch((err: unknown) => this.logger.warn({ err }, 'Kafka producer did not disconnect cleanly'));
    await this.mongo?.close();
    this.logger.info('dedup service stopped');
  }
}
