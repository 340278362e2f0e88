import { Controller, HttpCode, HttpStatus, Inject, NotFoundException, NotImplementedException, Post } from '@nestjs/common';

import { SERVICE_RUNTIME, type ServiceRuntime } from './service-runtime';

/** Injection token of the flag (OPS_ENDPOINTS) that turns the operator endpoints on. */
export const OPS_ENDPOINTS = Symbol('OPS_ENDPOINTS');

/**
 * Operator hooks: stop and restart consumption without leaving the consumer groups (lag then rises, probes stay
 * ready). 404 unless enabled, as if the routes did not exist; 501 for a runtime without pausable consumers.
 */
@Controller('ops/consumers')
export class OpsController {
  constructor(
    @Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(OPS_ENDPOINTS) private readonly enabled: boolean,
  ) {}

  @Post('pause')
  @HttpCode(HttpStatus.OK)
  async pause(): Promise<{ paused: true }> {
    await this.hook('pauseConsumers')();
    return { paused: true };
  }

  @Post('resume')
  @HttpCode(HttpStatus.OK)
  async resume(): Promise<{ paused: false }> {
    await this.hook('resumeConsumers')();
    return { paused: false };
  }

  private hook(name: 'pauseConsumers' | 'resumeConsumers'): () => Promise<void> {
    if (!this.enabled) throw new NotFoundException();
    const fn = this.runtime[name];
    if (!fn) throw new NotImplementedException('this service has no pausable consumers');
    return () => fn.call(this.runtime);
  }
}
