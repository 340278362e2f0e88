import { Controller, Get, HttpCode, HttpStatus, Inject, Res } from '@nestjs/common';

import { type Readiness, TrustRuntime } from './trust-runtime';

interface StatusResponse {
  status(code: number): { json(body: unknown): void };
}

/** Liveness and readiness for npm start, Docker and Kubernetes. */
@Controller()
export class HealthController {
  constructor(@Inject(TrustRuntime) private readonly runtime: TrustRuntime) {}

  /** Liveness: the process answers. Never depends on MongoDB or Kafka, so an outage does not restart every pod. */
  @Get('healthz')
  @HttpCode(HttpStatus.OK)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: 200 only when MongoDB answers a ping and the gRPC server is SERVING, else 503. */
  @Get('readyz')
  async readyz(@Res() res: StatusResponse): Promise<void> {
    const readiness: Readiness = await this.runtime.readiness();
    res.status(readiness.ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(readiness);
  }
}
