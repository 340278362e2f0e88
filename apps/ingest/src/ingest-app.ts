import 'reflect-metadata';

import { APP_FILTER, NestFactory } from '@nestjs/core';
import { NestPinoLogger, type ServiceApp, ServiceModule } from '@signal-mesh/feature-service';
import type { Logger } from '@signal-mesh/util-logging';

import type { IngestConfig } from './config';
import { ContributionsController } from './contributions.controller';
import { HttpErrorFilter } from './http-errors';
import { IngestRuntime, type IngestRuntimeOptions } from './ingest-runtime';
import { OpenApiController } from './openapi.controller';

export type IngestApp = ServiceApp<IngestRuntime>;

/**
 * The Nest app (health, REST, OpenAPI) around the runtime, listening on HTTP right away so probes get answers
 * (/readyz 503) while start() connects. Built here rather than with createServiceApp because the body parsers must
 * be off: each route reads its own body with its own size limit (128 KiB single requests, 16 MiB batches by default).
 */
export async function createIngestApp(config: IngestConfig, logger: Logger, hooks: { onStopped?: () => Promise<void> } & IngestRuntimeOptions = {}): Promise<IngestApp> {
  const runtime = new IngestRuntime(config, logger, { clock: hooks.clock });
  const module = ServiceModule.register(runtime, {
    controllers: [ContributionsController, OpenApiController],
    providers: [{ provide: APP_FILTER, useValue: new HttpErrorFilter(logger.child({ component: 'http' })) }],
    onStopped: hooks.onStopped,
  });
  const nest = await NestFactory.create(module, { bufferLogs: true, bodyParser: false });
  nest.useLogger(new NestPinoLogger(logger.child({ component: 'nest' })));
  await nest.listen(config.service.httpPort, config.service.host);
  const address = nest.getHttpServer().address() as { port: number };
  logger.info({ port: address.port }, 'HTTP server listening');
  return { nest, runtime, httpPort: address.port, start: () => runtime.start(), close: () => nest.close() };
}
