import { Controller, Get, HttpCode, HttpStatus, Inject, Res } from '@nestjs/common';

import { SERVICE_RUNTIME, type ServiceRuntime } from './service-runtime';

/** The slice of Express' response the readiness route uses (status code chosen at run time). */
export interface StatusResponse {
  status(code: number): { json(body: unknown): void };
}

/** Liveness and readiness for npm start, Docker and Kubernetes, the same in every service. */
@Controller()
export class HealthController {
  constructor(@Inject(SERVICE_RUNTIME) private readonly runtime: ServiceRuntime) {}

  /** Liveness: the process answers. Never depends on MongoDB or Kafka, so an outage does not restart every pod. */
  @Get('healthz')
  @HttpCode(HttpStatus.OK)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: 200 when the runtime says ready (its dependencies answer), else 503, with each check in the body. */
  @Get('readyz')
  async readyz(@Res() res: StatusResponse): Promise<void> {
    const readiness = await this.runtime.readiness();
    res.status(readiness.ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(readiness);
  }
}
