import { FeedServiceService } from '@signal-mesh/contracts';
import { MongoConnection } from '@signal-mesh/data-access-mongo';
import type { ServiceReadiness, ServiceRuntime } from '@signal-mesh/feature-service';
import { SubscriptionRepository } from '@signal-mesh/feeds-data-access';
import { SignalRepository } from '@signal-mesh/signals-data-access';
import { GrpcServer } from '@signal-mesh/transport-grpc';
import { createKafka, PartitionTail } from '@signal-mesh/transport-kafka';
import { TrustClient } from '@signal-mesh/trust-client';
import { TrustFollower } from '@signal-mesh/trust-follower';
import type { Logger } from '@signal-mesh/util-logging';

import type { FeedConfig } from './config';
import { FeedError, toRejection } from './errors';
import { feedGrpcService } from './feed.grpc-service';
import { FeedApi } from './feed-api';
import { StreamRegistry } from './streams';

export type FeedReadiness = ServiceReadiness & { mongo: boolean; trust: boolean; tail: boolean };

/**
 * The feed service outside any framework: start() connects MongoDB, materialises the trust topic (TrustFollower,
 * caught up before serving), starts the shared feed tail and serves gRPC; stop() ends open streams UNAVAILABLE (their
 * clients resume from their last cursor) and undoes the rest in reverse.
 */
export class FeedRuntime implements ServiceRuntime {
  private mongo: MongoConnection | undefined;
  private follower: TrustFollower | undefined;
  private tail: PartitionTail | undefined;
  private trust: TrustClient | undefined;
  private grpc: GrpcServer | undefined;
  private feedApi: FeedApi | undefined;
  private readonly streams: StreamRegistry;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly config: FeedConfig,
    private readonly logger: Logger,
  ) {
    this.streams = new StreamRegistry(config.feed.maxStreams);
  }

  get grpcPort(): number | undefined {
    return this.grpc?.port;
  }

  /** What the transport calls; NOT_READY before start and once stopping. */
  api(): FeedApi {
    if (!this.feedApi || this.stopping) throw new FeedError('NOT_READY', 'the feed service is starting or stopping; retry');
    return this.feedApi;
  }

  async start(): Promise<void> {
    const { config, logger } = this;
    this.mongo = await MongoConnection.connect({ uri: config.mongo.uri, database: config.mongo.database, appName: config.service.name, logger });
    const signals = await SignalRepository.create(this.mongo, logger);
    const subscriptions = await SubscriptionRepository.create(this.mongo);
    const kafka = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId ?? config.service.name, logger });
    this.follower = await TrustFollower.start({ kafka, topic: config.kafka.trustTopic, logger });
    this.tail = await PartitionTail.start({ kafka, topic: config.kafka.feedTopic, logger: logger.child({ component: 'feed-tail' }), capacity: config.feed.tailEvents, groupIdPrefix: `${config.service.name}-tail` });
    this.trust = TrustClient.create({ address: config.trust.address, logger, cacheTtlMs: config.trust.cacheTtlMs });
    const follower = this.follower;
    this.feedApi = new FeedApi({
      trust: this.trust,
      trustContext: (now) => follower.context(now),
      tail: this.tail,
      signals,
      subscriptions,
      clock: () => new Date(),
      logger,
      snapshotBatch: config.feed.snapshotBatch,
    });
    this.grpc = await GrpcServer.start({
      host: config.service.host,
      port: config.service.grpcPort,
      logger,
      services: [{ name: 'signalmesh.v1.FeedService', definition: FeedServiceService, implementation: feedGrpcService({ api: () => this.api(), streams: this.streams, keyRecheckMs: config.feed.keyRecheckMs, logger }) }],
    });
    this.grpc.setServing(true);
    logger.info({ feedTopic: config.kafka.feedTopic, partitions: this.tail.partitionCount, tailEvents: config.feed.tailEvents }, 'feed service serving');
  }

  /** Ready once the trust snapshot caught up and the tail runs (both before start() resolves) and MongoDB answers. */
  async readiness(): Promise<FeedReadiness> {
    const trust = !this.stopping && this.follower !== undefined;
    const tail = !this.stopping && this.tail !== undefined && this.grpc !== undefined;
    const mongo = this.mongo && !this.stopping ? await this.mongo.ping() : false;
    const ready = trust && tail && mongo;
    if (!this.stopping) this.grpc?.setServing(ready);
    return { ready, mongo, trust, tail };
  }

  /** Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.grpc?.setServing(false);
    // Streams never finish on their own: end them so the server can shut down, clients resume with their cursor.
    this.streams.endAll(toRejection(new FeedError('SHUTTING_DOWN', 'server shutting down; resume with your last cursor')));
    await this.grpc?.shutdown(this.config.service.shutdownGraceMs);
    await this.tail?.stop().catch((err: unknown) => this.logger.warn({ err }, 'feed tail did not stop cleanly'));
    await this.follower?.stop().catch((err: unknown) => this.logger.warn({ err }, 'trust follower did not stop cleanly'));
    this.trust?.close();
    await this.mongo?.close();
    this.logger.info('feed service stopped');
  }
}
