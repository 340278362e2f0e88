import { TrustServiceService } from '@signal-mesh/contracts';
import { MongoConnection } from '@signal-mesh/data-access-mongo';
import type { ServiceReadiness, ServiceRuntime } from '@signal-mesh/feature-service';
import { GrpcServer } from '@signal-mesh/transport-grpc';
import { createKafka, KafkaProducer } from '@signal-mesh/transport-kafka';
import { createTrustRepositories, type TrustRepositories } from '@signal-mesh/trust-data-access';
import type { Logger } from '@signal-mesh/util-logging';

import { Authenticator } from './authenticator';
import type { TrustConfig } from './config';
import { FailureThrottle } from './failure-throttle';
import { KeyUseAggregator } from './key-use-aggregator';
import { ensureOperator } from './operator-bootstrap';
import { trustGrpcService } from './trust.grpc-service';
import { TrustChangePublisher } from './trust-changes';

export type Readiness = ServiceReadiness & {
  mongo: boolean;
  grpc: boolean;
};

/**
 * The service's connections and gRPC server, outside any framework: start() connects MongoDB and Kafka, bootstraps
 * the operator, serves gRPC and reports SERVING; stop() undoes it in reverse. Nest only drives the lifecycle.
 */
export class TrustRuntime implements ServiceRuntime {
  private mongo: MongoConnection | undefined;
  private producer: KafkaProducer | undefined;
  private grpc: GrpcServer | undefined;
  private repos: TrustRepositories | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private serving = false;
  private stopping: Promise<void> | undefined;
  private readonly keyUses: KeyUseAggregator;
  private readonly now = () => new Date();

  constructor(
    private readonly config: TrustConfig,
    private readonly logger: Logger,
  ) {
    this.keyUses = new KeyUseAggregator(this.now);
  }

  get grpcPort(): number | undefined {
    return this.grpc?.port;
  }

  async start(): Promise<void> {
    const { config, logger } = this;
    this.mongo = await MongoConnection.connect({ uri: config.mongo.uri, database: config.mongo.database, appName: config.service.name, logger });
    const repos = await createTrustRepositories(this.mongo, logger);
    this.repos = repos;
    const kafka = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId ?? config.service.name, logger });
    this.producer = await KafkaProducer.connect(kafka, logger);
    const publisher = new TrustChangePublisher(this.producer, this.config.trust.changesTopic);
    await ensureOperator(config.trust.operatorKeyFile, { repos, publisher, logger, now: this.now });

    const throttle = new FailureThrottle({ burst: config.trust.authFailureBurst, perMinute: config.trust.authFailuresPerMinute });
    const authenticator = new Authenticator({ apiKeys: repos.apiKeys, organisations: repos.organisations, throttle, now: this.now });
    const implementation = trustGrpcService({ repos, authenticator, publisher, keyUses: this.keyUses, logger, now: this.now });
    this.grpc = await GrpcServer.start({
      host: config.service.host,
      port: config.service.grpcPort,
      logger,
      services: [{ name: 'signalmesh.v1.TrustService', definition: TrustServiceService, implementation }],
    });
    this.flushTimer = setInterval(() => void this.flushKeyUses(), config.trust.keyUseFlushMs);
    this.flushTimer.unref();
    this.grpc.setServing(true);
    this.serving = true;
  }

  async readiness(): Promise<Readiness> {
    const grpc = this.serving;
    const mongo = this.mongo && !this.stopping ? await this.mongo.ping() : false;
    return { ready: grpc && mongo, mongo, grpc };
  }

  /** Appends the aggregated key uses; a failure keeps the service running (the counts of that window are lost). */
  async flushKeyUses(): Promise<void> {
    const repos = this.repos;
    if (!repos) return;
    for (const entry of this.keyUses.drain()) {
      try {
        await repos.auditLog.append(entry);
      } catch (err) {
        this.logger.error({ err }, 'could not append key uses to the audit log');
      }
    }
  }

  /** Idempotent: stop taking calls, let in-flight ones finish, flush, then close Kafka and MongoDB. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.serving = false;
    clearInterval(this.flushTimer);
    await this.grpc?.shutdown(this.config.service.shutdownGraceMs);
    await this.flushKeyUses();
    await this.producer?.disconnect().catch((err: unknown) => this.logger.warn({ err }, 'Kafka producer did not disconnect cleanly'));
    await this.mongo?.close();
    this.logger.info('trust service stopped');
  }
}
