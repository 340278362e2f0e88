import 'reflect-metadata';

import { type DynamicModule, type INestApplication, Module, type ModuleMetadata, type Provider, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig, opsSection } from '@signal-mesh/util-config';
import type { Logger } from '@signal-mesh/util-logging';

import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { NestPinoLogger } from './nest-logger';
import { OPS_ENDPOINTS, OpsController } from './ops.controller';
import { ON_STOPPED, ServiceLifecycle } from './service-lifecycle';
import { SERVICE_RUNTIME, type ServiceRuntime } from './service-runtime';

export interface ServiceAppOptions {
  /** 0 picks a free port (tests); the bound one is `ServiceApp.httpPort`. */
  httpPort: number;
  host: string;
  logger: Logger;
  /** Extra HTTP controllers besides /healthz, /readyz and /metrics; they can inject the runtime with SERVICE_RUNTIME. */
  controllers?: Type<unknown>[];
  imports?: ModuleMetadata['imports'];
  providers?: Provider[];
  /** Runs once after the runtime has stopped, e.g. to flush and shut down telemetry. */
  onStopped?: () => Promise<void>;
  /** POST /ops/consumers/pause|resume on (else 404). Default: OPS_ENDPOINTS from the environment (util-config opsSection). */
  opsEndpoints?: boolean;
}

export interface ServiceApp<R extends ServiceRuntime = ServiceRuntime> {
  readonly nest: INestApplication;
  readonly runtime: R;
  readonly httpPort: number;
  /** Starts the runtime (connections, consumers, servers); /readyz turns 200 once it reports ready. */
  start(): Promise<void>;
  /** Graceful shutdown, what SIGTERM does in production: runtime.stop(), HTTP closed, then onStopped. */
  close(): Promise<void>;
}

@Module({})
export class ServiceModule {
  static register(runtime: ServiceRuntime, options: Pick<ServiceAppOptions, 'controllers' | 'imports' | 'providers' | 'onStopped' | 'opsEndpoints'> = {}): DynamicModule {
    return {
      module: ServiceModule,
      imports: options.imports ?? [],
      controllers: [HealthController, MetricsController, OpsController, ...(options.controllers ?? [])],
      providers: [
        { provide: SERVICE_RUNTIME, useValue: runtime },
        { provide: ON_STOPPED, useValue: options.onStopped ?? (async () => undefined) },
        // Read here rather than in each app's config, so every service gets the switch without wiring.
        { provide: OPS_ENDPOINTS, useValue: options.opsEndpoints ?? loadConfig(opsSection).endpoints },
        ServiceLifecycle,
        ...(options.providers ?? []),
      ],
    };
  }
}

/**
 * Creates the Nest app around a runtime and listens on HTTP right away, so probes get answers (/healthz 200,
 * /readyz 503, /metrics) while `start()` connects. Nest's own log lines go through the service's pino logger.
 */
export async function createServiceApp<R extends ServiceRuntime>(runtime: R, options: ServiceAppOptions): Promise<ServiceApp<R>> {
  const nest = await NestFactory.create(ServiceModule.register(runtime, options), { bufferLogs: true });
  nest.useLogger(new NestPinoLogger(options.logger.child({ component: 'nest' })));
  await nest.listen(options.httpPort, options.host);
  const address = nest.getHttpServer().address() as { port: number };
  options.logger.info({ port: address.port }, 'HTTP server listening');
  return {
    nest,
    runtime,
    httpPort: address.port,
    start: () => runtime.start(),
    close: () => nest.close(),
  };
}
