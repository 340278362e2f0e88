import { NestFactory } from '@nestjs/core';

import { HealthController, type StatusResponse } from './health.controller';
import { ServiceModule } from './service-app';
import type { ServiceReadiness, ServiceRuntime } from './service-runtime';

class FakeRuntime implements ServiceRuntime {
  readonly calls: string[] = [];
  ready: ServiceReadiness = { ready: false, mongo: true, consumer: false };
  async start(): Promise<void> {
    this.calls.push('start');
  }
  async stop(): Promise<void> {
    this.calls.push('stop');
  }
  async readiness(): Promise<ServiceReadiness> {
    return this.ready;
  }
}

function response() {
  const sent: { status?: number; body?: unknown } = {};
  const res: StatusResponse = {
    status: (code) => {
      sent.status = code;
      return { json: (body) => (sent.body = body) };
    },
  };
  return { res, sent };
}

describe(ServiceModule.name, () => {
  // The module is built without an HTTP listener: the DI wiring and the shutdown hooks are what is under test.
  async function boot(onStopped?: () => Promise<void>) {
    const runtime = new FakeRuntime();
    const sut = await NestFactory.createApplicationContext(ServiceModule.register(runtime, { onStopped }), { logger: false });
    return { runtime, sut };
  }

  it('binds the health controller to the runtime: /readyz is 503 with every check until ready, then 200', async () => {
    const { runtime, sut } = await boot();
    const health = sut.get(HealthController);
    expect(health.healthz()).toEqual({ status: 'ok' });

    const before = response();
    await health.readyz(before.res);
    expect(before.sent).toEqual({ status: 503, body: { ready: false, mongo: true, consumer: false } });

    runtime.ready = { ready: true, mongo: true, consumer: true };
    const after = response();
    await health.readyz(after.res);
    expect(after.sent).toEqual({ status: 200, body: { ready: true, mongo: true, consumer: true } });
    await sut.close();
  });

  it('stops the runtime on close, then runs onStopped once, after the runtime stopped', async () => {
    const order: string[] = [];
    const { runtime, sut } = await boot(async () => {
      order.push(`onStopped after ${runtime.calls.join(',')}`);
    });
    await sut.close();
    expect(runtime.calls[0]).toBe('stop');
    expect(order).toEqual([expect.stringMatching(/^onStopped after stop/)]);
    expect(runtime.calls).not.toContain('start');
  });
});
