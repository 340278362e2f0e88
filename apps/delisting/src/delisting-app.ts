import 'reflect-metadata';

import { APP_FILTER, NestFactory } from '@nestjs/core';
import { NestPinoLogger, type ServiceApp, ServiceModule } from '@signal-mesh/feature-service';
import type { Logger } from '@signal-mesh/util-logging';

import type { DelistingConfig } from './config';
import { DelistingRuntime } from './delisting-runtime';
import { HttpErrorFilter } from './http-errors';
import { ListsController } from './lists.controller';

export type DelistingApp = ServiceApp<DelistingRuntime>;

/** The Nest app (health, the lists API, the well-known keys) around the runtime; HTTP listens while start() connects. */
export async function createDelistingApp(config: DelistingConfig, logger: Logger, hooks: { onStopped?: () => Promise<void> } = {}): Promise<DelistingApp> {
  const runtime = new DelistingRuntime(config, logger);
  const module = ServiceModule.register(runtime, {
    controllers: [ListsController],
    providers: [{ provide: APP_FILTER, useValue: new HttpErrorFilter(logger.child({ component: 'http' })) }],
    onStopped: hooks.onStopped,
  });
  // No body parsers: every route is a GET.
  const nest = await NestFactory.create(module, { bufferLogs: true, bodyParser: false });
  nest.useLogger(new NestPinoLogger(logger.child({ component: 'nest' })));
  await nest.listen(config.service.httpPort, config.service.host);
  const address = nest.getHttpServer().address() as { port: number };
  logger.info({ port: address.port }, 'HTTP server listening');
  return { nest, runtime, httpPort: address.port, start: () => runtime.start(), close: () => nest.close() };
}
