import { readFile } from 'node:fs/promises';

import { IngestServiceService } from '@signal-mesh/contracts';
import { MongoConnection } from '@signal-mesh/data-access-mongo';
import type { ServiceReadiness, ServiceRuntime } from '@signal-mesh/feature-service';
import { IdempotencyRepository } from '@signal-mesh/ingest-data-access';
import { SignalRepository } from '@signal-mesh/signals-data-access';
import { GrpcServer } from '@signal-mesh/transport-grpc';
import { createKafka, KafkaProducer } from '@signal-mesh/transport-kafka';
import { TrustClient } from '@signal-mesh/trust-client';
import type { Logger } from '@signal-mesh/util-logging';

import { KafkaSubmissionPublisher, TrustViewLookup } from './adapters';
import type { IngestConfig } from './config';
import type { IngestApiSource } from './contributions.controller';
import { IngestError } from './errors';
import { ingestGrpcService } from './ingest.grpc-service';
import { createIngestApi, type IngestApi } from './ingest-api';
import type { Clock } from './ports';

export interface IngestRuntimeOptions {
  /** Tests pin time. */
  clock?: Clock;
}

/**
 * The service's connections and gRPC server, outside any framework: start() connects MongoDB, Kafka and the trust
 * service, serves gRPC and reports SERVING; stop() undoes it in reverse. Nest only drives the lifecycle and REST.
 */
export class IngestRuntime implements ServiceRuntime, IngestApiSource {
  private mongo: MongoConnection | undefined;
  private producer: KafkaProducer | undefined;
  private trust: TrustClient | undefined;
  private grpc: GrpcServer | undefined;
  private idempotency: IdempotencyRepository | undefined;
  private ingestApi: IngestApi | undefined;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private serving = false;
  private stopping: Promise<void> | undefined;
  private readonly clock: Clock;

  constructor(
    private readonly config: IngestConfig,
    private readonly logger: Logger,
    options: IngestRuntimeOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  get grpcPort(): number | undefined {
    return this.grpc?.port;
  }

  /** What the transports call; NOT_READY (503 / UNAVAILABLE) before start and once stopping. */
  api(): IngestApi {
    if (!this.ingestApi || this.stopping) throw new IngestError('NOT_READY', 'the ingest service is starting or stopping; retry');
    return this.ingestApi;
  }

  async start(): Promise<void> {
    const { config, logger } = this;
    this.mongo = await MongoConnection.connect({ uri: config.mongo.uri, database: config.mongo.database, appName: config.service.name, logger });
    this.idempotency = await IdempotencyRepository.create(this.mongo, logger);
    const signals = await SignalRepository.create(this.mongo, logger);
    const kafka = createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId ?? config.service.name, logger });
    this.producer = await KafkaProducer.connect(kafka, logger);
    this.trust = TrustClient.create({ address: config.trust.address, logger, serviceKey: await this.serviceKey(), cacheTtlMs: config.trust.cacheTtlMs });
    this.ingestApi = createIngestApi({
      trust: this.trust,
      idempotency: this.idempotency,
      publisher: new KafkaSubmissionPublisher(this.producer, config.kafka.submissionsTopic),
      signals,
      views: new TrustViewLookup(this.trust),
      clock: this.clock,
      logger,
      limits: config.limits,
    });
    this.grpc = await GrpcServer.start({
      host: config.service.host,
      port: config.service.grpcPort,
      logger,
      // One contribution per message (Submit, each SubmitStream item): bigger ones fail before any handler runs.
      maxReceiveMessageBytes: config.limits.maxRequestBytes,
      services: [{ name: 'signalmesh.v1.IngestService', definition: IngestServiceService, implementation: ingestGrpcService({ api: () => this.api(), logger }) }],
    });
    this.cleanupTimer = setInterval(() => void this.removeExpiredKeys(), config.idempotency.cleanupIntervalMs);
    this.cleanupTimer.unref();
    this.grpc.setServing(true);
    this.serving = true;
  }

  async readiness(): Promise<ServiceReadiness> {
    const grpc = this.serving && !this.stopping;
    const mongo = this.mongo && !this.stopping ? await this.mongo.ping() : false;
    return { ready: grpc && mongo, mongo, grpc };
  }

  /** The retention job (FerretDB has no TTL indexes); a failure is logged and retried on the next tick. */
  async removeExpiredKeys(): Promise<number> {
    if (!this.idempotency) return 0;
    try {
      return await this.idempotency.deleteOlderThan(new Date(this.clock().getTime() - this.config.idempotency.retentionMs));
    } catch (err) {
      this.logger.warn({ err }, 'could not remove expired idempotency keys');
      return 0;
    }
  }

  /** Idempotent: stop taking calls, let in-flight ones finish, then close Kafka, trust and MongoDB. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.serving = false;
    clearInterval(this.cleanupTimer);
    await this.grpc?.shutdown(this.config.service.shutdownGraceMs);
    await this.producer?.disconnect().catch((err: unknown) => this.logger.warn({ err }, 'Kafka producer did not disconnect cleanly'));
    this.trust?.close();
    await this.mongo?.close();
    this.logger.info('ingest service stopped');
  }

  /** The operator key for GetView: the variable, else the key file; without one, disputes answer INTERNAL. */
  private async serviceKey(): Promise<string | undefined> {
    if (this.config.trust.serviceKey) return this.config.trust.serviceKey;
    try {
      const key = (await readFile(this.config.trust.serviceKeyFile, 'utf8')).trim();
      if (key) return key;
    } catch {
      // Reported below, without the error (its message would carry nothing useful beyond the path).
    }
    this.logger.warn({ file: this.config.trust.serviceKeyFile }, 'no trust service key (INGEST_TRUST_SERVICE_KEY or its file): disputes will fail until one is configured');
    return undefined;
  }
}
