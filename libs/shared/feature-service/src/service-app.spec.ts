import { Writable } from 'node:stream';

import { NestFactory } from '@nestjs/core';
import { metrics } from '@opentelemetry/api';
import { createLogger } from '@signal-mesh/util-logging';
import { startTelemetry } from '@signal-mesh/util-otel';

import { HealthController, type StatusResponse } from './health.controller';
import { createServiceApp, type ServiceApp, ServiceModule } from './service-app';
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

describe(createServiceApp.name, () => {
  const logger = createLogger({ service: 'svc', level: 'silent', destination: new Writable({ write: (_c, _e, done) => done() }) });

  class PausableRuntime extends FakeRuntime {
    async pauseConsumers(): Promise<void> {
      this.calls.push('pause');
    }
    async resumeConsumers(): Promise<void> {
      this.calls.push('resume');
    }
  }

  async function serve<R extends FakeRuntime>(runtime: R, opsEndpoints?: boolean): Promise<{ app: ServiceApp<R>; url: (path: string) => string }> {
    const app = await createServiceApp(runtime, { httpPort: 0, host: '127.0.0.1', logger, opsEndpoints });
    return { app, url: (path) => `http://127.0.0.1:${app.httpPort}${path}` };
  }

  it('serves GET /metrics in the Prometheus text format, with what an app recorded through @opentelemetry/api', async () => {
    const telemetry = startTelemetry({ serviceName: 'svc', instrumentations: false });
    const { app, url } = await serve(new FakeRuntime());
    try {
      metrics.getMeter('@signal-mesh/svc').createCounter('signal_mesh.svc.things').add(3, { kind: 'a' });
      const res = await fetch(url('/metrics'));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
      expect(await res.text()).toMatch(/^signal_mesh_svc_things_total\{kind="a"[^}]*\} 3$/m);
    } finally {
      await app.close();
      await telemetry.shutdown();
    }
  });

  it('answers 404 on the operator endpoints unless they are enabled', async () => {
    const runtime = new PausableRuntime();
    const { app, url } = await serve(runtime, false);
    try {
      expect((await fetch(url('/ops/consumers/pause'), { method: 'POST' })).status).toBe(404);
      expect(runtime.calls).not.toContain('pause');
    } finally {
      await app.close();
    }
  });

  it("pauses and resumes the runtime's consumers when enabled, and answers 501 for a runtime without the hooks", async () => {
    const runtime = new PausableRuntime();
    const { app, url } = await serve(runtime, true);
    const plain = await serve(new FakeRuntime(), true);
    try {
      const paused = await fetch(url('/ops/consumers/pause'), { method: 'POST' });
      expect(paused.status).toBe(200);
      expect(await paused.json()).toEqual({ paused: true });
      expect((await fetch(url('/ops/consumers/resume'), { method: 'POST' })).status).toBe(200);
      expect(runtime.calls).toEqual(['pause', 'resume']);
      expect((await fetch(plain.url('/ops/consumers/pause'), { method: 'POST' })).status).toBe(501);
    } finally {
      await app.close();
      await plain.app.close();
    }
  });
});
