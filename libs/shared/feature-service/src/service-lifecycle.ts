import { type BeforeApplicationShutdown, Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';

import { SERVICE_RUNTIME, type ServiceRuntime } from './service-runtime';

/** Injection token of the callback run once the runtime has stopped (e.g. flush and shut down telemetry). */
export const ON_STOPPED = Symbol('ON_STOPPED');

/**
 * Ties the runtime to Nest's shutdown hooks (SIGTERM/SIGINT with enableShutdownHooks, or app.close()). The runtime
 * stops before the HTTP server closes, so probes answer 503 while it drains; `onStopped` runs once, last.
 */
@Injectable()
export class ServiceLifecycle implements BeforeApplicationShutdown, OnApplicationShutdown {
  private stopped: Promise<void> | undefined;

  constructor(
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(ON_STOPPED) private readonly onStopped: () => Promise<void>,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped ??= this.runtime.stop().finally(() => this.onStopped());
    await this.stopped;
  }
}
