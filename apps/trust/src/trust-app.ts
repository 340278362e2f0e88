import 'reflect-metadata';

import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Logger } from '@signal-mesh/util-logging';

import { TrustAppModule } from './app.module';
import type { TrustConfig } from './config';
import { NestPinoLogger } from './nest-logger';
import { TrustRuntime } from './trust-runtime';

export interface TrustApp {
  readonly nest: INestApplication;
  readonly runtime: TrustRuntime;
  readonly httpPort: number;
  /** Connects MongoDB and Kafka, bootstraps the operator, serves gRPC; /readyz turns 200. */
  start(): Promise<void>;
  /** Graceful shutdown (what SIGTERM does in production). */
  close(): Promise<void>;
}

/**
 * Creates the Nest app and listens on HTTP right away, so probes get answers (/readyz 503) while start() connects.
 */
export async function createTrustApp(config: TrustConfig, logger: Logger, options: { onStopped?: () => Promise<void> } = {}): Promise<TrustApp> {
  const runtime = new TrustRuntime(config, logger, options.onStopped);
  const nest = await NestFactory.create(TrustAppModule.register(runtime), { bufferLogs: true });
  nest.useLogger(new NestPinoLogger(logger.child({ component: 'nest' })));
  await nest.listen(config.service.httpPort, config.service.host);
  const address = nest.getHttpServer().address() as { port: number };
  logger.info({ port: address.port }, 'HTTP server listening');
  return {
    nest,
    runtime,
    httpPort: address.port,
    start: () => runtime.start(),
    close: () => nest.close(),
  };
}
