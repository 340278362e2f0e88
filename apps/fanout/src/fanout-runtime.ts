import { MongoConnection } from '@signal-mesh/data-access-mongo';
import type { ServiceReadiness, ServiceRuntime } from '@signal-mesh/feature-service';
import { FanoutStateRepository } from '@signal-mesh/feeds-data-access';
import { GrpcServer } from '@signal-mesh/transport-grpc';
import { committedOffsets, createKafka, KafkaConsumerRunner, KafkaProducer } from '@signal-mesh/transport-kafka';
import { loadTrustSnapshot } from '@signal-mesh/trust-follower';
import type { Logger } from '@signal-mesh/util-logging';

import type { FanoutConfig } from './config';
import { FanoutProcessor, type RawValue } from './fanout-processor';
import { KafkaFeedPublisher } from './feed-publisher';

export type FanoutReadiness = ServiceReadiness & {
  mongo: boolean;
  consumer: boolean;
};

/**
 * The fan-out service outside any framework. start(): MongoDB, Kafka producer, the trust snapshot rebuilt up to the
 * group's committed trust offsets (so each trust record after them is re-applied against the right "before"), the
 * chunk a crash interrupted finished, then the consumer group joined on the state and trust topics, one chunk at a
 * time. stop() undoes it in reverse, the consumer first so its last chunk is committed while the producer and
 * MongoDB are still there.
 */
export class FanoutRuntime implements ServiceRuntime {
  private mongo: MongoConnection | undefined;
  private producer: KafkaProducer | undefined;
  private consumer: KafkaConsumerRunner<RawValue> | undefined;
  private grpc: GrpcServer | undefined;
  private stopping: Promise<void> | undefined;
  private readonly now = () => new Date();

  constructor(
    private readonly config: FanoutConfig,
    private readonly logger: Logger,
  ) {}

  get grpcPort(): number | undefined {
    return this.grpc?.port;
  }

  async start(): Promise<void> {
    const { config, logger } = this;
    const { fanout } = config;
    // Health only: the fan-out serves no RPCs, but every service answers grpc.health.v1 and reflection the same way.
    this.grpc = await GrpcServer.start({ host: config.service.host, port: config.service.grpcPort, logger, services: [] });
    this.mongo = await MongoConnection.connect({ uri: config.mongo.uri, database: config.mongo.database, appName: config.service.name, logger });
    const store = await FanoutStateRepository.create(this.mongo, logger);
    const kafka = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId ?? config.service.name, logger });
    this.producer = await KafkaProducer.connect(kafka, logger);

    const until = await committedOffsets(kafka, fanout.groupId, fanout.trustTopic);
    const snapshot = await loadTrustSnapshot({ kafka, topic: fanout.trustTopic, logger, until });
    logger.info({ trustOffsets: Object.fromEntries(until), organisations: snapshot.organisations().length }, 'trust snapshot loaded up to the committed offsets');

    const processor = new FanoutProcessor({
      snapshot,
      store,
      sink: new KafkaFeedPublisher(this.producer, fanout.feedTopic),
      topics: { state: fanout.stateTopic, trust: fanout.trustTopic },
      clock: this.now,
      logger: logger.child({ component: 'fanout' }),
      reevaluateBatch: fanout.reevaluateBatch,
    });
    await processor.recover();
    this.consumer = new KafkaConsumerRunner<RawValue>(kafka, {
      groupId: fanout.groupId,
      topics: [fanout.stateTopic, fanout.trustTopic],
      // Decoding depends on the topic (and trust tombstones are skipped, not dead-lettered): the processor does it.
      decode: (value) => value,
      handleBatch: (records) => processor.handleBatch(records),
      maxBatchRecords: fanout.maxBatchRecords,
      // One serialized loop: the trust snapshot and fanout_signals are shared by every partition.
      partitionsConsumedConcurrently: 1,
      sessionTimeoutMs: fanout.sessionTimeoutMs,
      deadLetters: this.producer,
      logger,
    });
    await this.consumer.start();
    this.grpc.setServing(true);
  }

  /** Operator hook (OPS_ENDPOINTS): stop taking records; the member stays in its group. */
  async pauseConsumers(): Promise<void> {
    this.consumer?.pause();
  }

  async resumeConsumers(): Promise<void> {
    this.consumer?.resume();
  }

  /** Ready when MongoDB answers a ping and the consumer has joined its group; gRPC health follows. */
  async readiness(): Promise<FanoutReadiness> {
    const consumer = !this.stopping && (this.consumer?.isReady() ?? false);
    const mongo = this.mongo && !this.stopping ? await this.mongo.ping() : false;
    const ready = consumer && mongo;
    if (!this.stopping) this.grpc?.setServing(ready);
    return { ready, mongo, consumer };
  }

  /** Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.grpc?.setServing(false);
    // Finishes the chunk in progress (its events and saved states) and commits it before anything below closes.
    await this.consumer?.stop().catch((err: unknown) => this.logger.warn({ err }, 'Kafka consumer did not stop cleanly'));
    await this.grpc?.shutdown(this.config.service.shutdownGraceMs);
    await this.producer?.disconnect().catch((err: unknown) => this.logger.warn({ err }, 'Kafka producer did not disconnect cleanly'));
    await this.mongo?.close();
    this.logger.info('fanout service stopped');
  }
}
