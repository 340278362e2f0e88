import { type BeforeApplicationShutdown, type DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';

import { HealthController } from './health.controller';
import { TrustRuntime } from './trust-runtime';

/** Ties the runtime to Nest's shutdown hooks (SIGTERM/SIGINT with enableShutdownHooks, or app.close()). */
@Injectable()
export class TrustLifecycle implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(@Inject(TrustRuntime) private readonly runtime: TrustRuntime) {}

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.stop();
  }
}

@Module({})
export class TrustAppModule {
  static register(runtime: TrustRuntime): DynamicModule {
    return {
      module: TrustAppModule,
      controllers: [HealthController],
      providers: [{ provide: TrustRuntime, useValue: runtime }, TrustLifecycle],
    };
  }
}
