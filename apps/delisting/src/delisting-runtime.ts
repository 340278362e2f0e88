import { trace } from '@opentelemetry/api';
import { DelistingServiceService, type FeedEvent } from '@signal-mesh/contracts';
import { MongoConnection } from '@signal-mesh/data-access-mongo';
import { DelistingRepository } from '@signal-mesh/delisting-data-access';
import { LIST_DEFINITIONS } from '@signal-mesh/delisting-domain';
import type { ServiceReadiness, ServiceRuntime } from '@signal-mesh/feature-service';
import { decodeFeedEvent } from '@signal-mesh/feeds-event-mapping';
import { GrpcServer } from '@signal-mesh/transport-grpc';
import { createKafka, KafkaConsumerRunner, KafkaProducer } from '@signal-mesh/transport-kafka';
import { TrustClient } from '@signal-mesh/trust-client';
import { TrustFollower } from '@signal-mesh/trust-follower';
import type { Logger } from '@signal-mesh/util-logging';

import { type DelistingConfig, shouldGenerateKey } from './config';
import { delistingGrpcService } from './delisting.grpc-service';
import { DelistingApi } from './delisting-api';
import { DelistingProcessor } from './delisting-processor';
import { DelistingError } from './errors';
import type { DelistingApiSource } from './lists.controller';
import { loadSigningKeys } from './signing-keys';

export type DelistingReadiness = ServiceReadiness & { mongo: boolean; consumer: boolean; grpc: boolean };

const tracer = trace.getTracer('@signal-mesh/delisting');

/**
 * The delisting service outside any framework: start() loads the signing key, connects MongoDB, Kafka and the trust
 * service, follows the trust topic, joins the `delisting` group on the feed topic (batch mode, commit after the list
 * writes, poison → `<feed topic>.dlq`), serves gRPC and starts the retention job; stop() undoes it in reverse, the
 * consumer first so its last offsets are committed while MongoDB is still there.
 */
export class DelistingRuntime implements ServiceRuntime, DelistingApiSource {
  private mongo: MongoConnection | undefined;
  private producer: KafkaProducer | undefined;
  private consumer: KafkaConsumerRunner<FeedEvent> | undefined;
  private follower: TrustFollower | undefined;
  private trust: TrustClient | undefined;
  private grpc: GrpcServer | undefined;
  private repository: DelistingRepository | undefined;
  private delistingApi: DelistingApi | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private pruning: Promise<unknown> | undefined;
  private serving = false;
  private stopping: Promise<void> | undefined;
  private readonly now = () => new Date();

  constructor(
    private readonly config: DelistingConfig,
    readonly logger: Logger,
  ) {}

  get grpcPort(): number | undefined {
    return this.grpc?.port;
  }

  /** What the transports call; NOT_READY (503 / UNAVAILABLE) before start and once stopping. */
  api(): DelistingApi {
    if (!this.delistingApi || this.stopping) throw new DelistingError('NOT_READY', 'the delisting service is starting or stopping; retry');
    return this.delistingApi;
  }

  async start(): Promise<void> {
    const { config, logger } = this;
    const keys = await loadSigningKeys({ keyFile: config.signing.keyFile, generate: shouldGenerateKey(config.signing), publishedKeyFiles: config.signing.publishedKeyFiles, logger });
    this.grpc = await GrpcServer.start({
      host: config.service.host,
      port: config.service.grpcPort,
      logger,
      services: [{ name: 'signalmesh.v1.DelistingService', definition: DelistingServiceService, implementation: delistingGrpcService({ api: () => this.api(), logger }) }],
    });
    this.mongo = await MongoConnection.connect({ uri: config.mongo.uri, database: config.mongo.database, appName: config.service.name, logger });
    this.repository = await DelistingRepository.create(this.mongo, logger);
    const kafka = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId ?? config.service.name, logger });
    this.producer = await KafkaProducer.connect(kafka, logger);
    this.trust = TrustClient.create({ address: config.trust.address, logger, cacheTtlMs: config.trust.cacheTtlMs });
    const follower = await TrustFollower.start({ kafka, topic: config.kafka.trustTopic, logger });
    this.follower = follower;
    this.delistingApi = new DelistingApi({ trust: this.trust, lists: this.repository, signing: keys.signing, published: keys.published, limits: config.limits, clock: this.now, logger });

    const processor = new DelistingProcessor({
      store: this.repository,
      orgKinds: () => {
        const ctx = follower.context();
        return (orgId) => ctx.organisation(orgId)?.kind;
      },
      lists: LIST_DEFINITIONS,
      clock: this.now,
      logger: logger.child({ component: 'delisting-processor' }),
      unknownOrgWaitMs: config.kafka.unknownOrgWaitMs,
    });
    this.consumer = new KafkaConsumerRunner<FeedEvent>(kafka, {
      groupId: config.kafka.groupId,
      topics: [config.kafka.feedTopic],
      decode: (value) => decodeFeedEvent(value),
      handleBatch: (records) => processor.handleBatch(records),
      maxBatchRecords: config.kafka.maxBatchRecords,
      partitionsConsumedConcurrently: config.kafka.partitionsConcurrently,
      sessionTimeoutMs: config.kafka.sessionTimeoutMs,
      deadLetters: this.producer,
      logger,
    });
    await this.consumer.start();
    this.pruneTimer = setInterval(() => void this.pruneOnce(), config.retention.pruneIntervalMs);
    this.pruneTimer.unref();
    this.serving = true;
    this.grpc.setServing(true);
  }

  /** One retention pass unless one is running; failures are logged and left for the next interval. */
  pruneOnce(): Promise<unknown> {
    const repository = this.repository;
    if (!repository || this.stopping) return Promise.resolve(0);
    this.pruning ??= tracer
      .startActiveSpan('delisting retention', (span) => repository.prune(this.config.retention.changeVersions).finally(() => span.end()))
      .catch((err: unknown) => this.logger.error({ err }, 'delisting retention failed'))
      .finally(() => {
        this.pruning = undefined;
      });
    return this.pruning;
  }

  /** Operator hook (OPS_ENDPOINTS): stop taking records; the member stays in its group. */
  async pauseConsumers(): Promise<void> {
    this.consumer?.pause();
  }

  async resumeConsumers(): Promise<void> {
    this.consumer?.resume();
  }

  /** Ready when MongoDB answers, the consumer has joined its group and gRPC serves. */
  async readiness(): Promise<DelistingReadiness> {
    const grpc = this.serving && !this.stopping;
    const consumer = !this.stopping && (this.consumer?.isReady() ?? false);
    const mongo = this.mongo && !this.stopping ? await this.mongo.ping() : false;
    const ready = grpc && consumer && mongo;
    if (!this.stopping) this.grpc?.setServing(ready);
    return { ready, mongo, consumer, grpc };
  }

  /** Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.serving = false;
    this.grpc?.setServing(false);
    clearInterval(this.pruneTimer);
    await this.pruning;
    await this.consumer?.stop().catch((err: unknown) => this.logger.warn({ err }, 'Kafka consumer did not stop cleanly'));
    await this.grpc?.shutdown(this.config.service.shutdownGraceMs);
    await this.follower?.stop().catch((err: unknown) => this.logger.warn({ err }, 'trust follower did not stop cleanly'));
    await this.producer?.disconnect().catch((err: unknown) => this.logger.warn({ err }, 'Kafka producer did not disconnect cleanly'));
    this.trust?.close();
    await this.mongo?.close();
    this.logger.info('delisting service stopped');
  }
}
