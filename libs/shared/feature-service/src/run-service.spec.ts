import { Writable } from 'node:stream';

import type { INestApplication } from '@nestjs/common';
import { createLogger, type Logger } from '@signal-mesh/util-logging';

import { type BaseServiceConfig, runService, type ServiceProcess } from './run-service';
import type { ServiceApp } from './service-app';
import type { ServiceReadiness, ServiceRuntime } from './service-runtime';

interface Config extends BaseServiceConfig {
  readonly service: { readonly name: string; readonly password: string };
}

const config: Config = { service: { name: 'svc', password: 'hunter2' }, log: { level: 'info' } };

class FakeProcess implements ServiceProcess {
  readonly listeners = new Map<NodeJS.Signals, ((signal: NodeJS.Signals) => void)[]>();
  readonly exits: number[] = [];
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): this {
    this.listeners.set(signal, [...(this.listeners.get(signal) ?? []), listener]);
    return this;
  }
  exit(code: number): void {
    this.exits.push(code);
  }
  emit(signal: NodeJS.Signals): void {
    for (const l of this.listeners.get(signal) ?? []) l(signal);
  }
}

function setup(overrides: { startFails?: Error; configFails?: Error } = {}) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const proc = new FakeProcess();
  const telemetry = { shutdown: jest.fn(async () => undefined) };
  const runtime: ServiceRuntime = {
    start: jest.fn(async () => {
      if (overrides.startFails) throw overrides.startFails;
    }),
    stop: jest.fn(async () => undefined),
    readiness: async (): Promise<ServiceReadiness> => ({ ready: true }),
  };
  let hooks: { onStopped: () => Promise<void> } | undefined;
  const enableShutdownHooks = jest.fn();
  const app: ServiceApp = { nest: { enableShutdownHooks } as unknown as INestApplication, runtime, httpPort: 8123, start: () => runtime.start(), close: async () => undefined };
  const run = () =>
    runService({
      name: 'svc',
      telemetry,
      loadConfig: () => {
        if (overrides.configFails) throw overrides.configFails;
        return config;
      },
      describeConfig: (c) => ({ SERVICE_NAME: c.service.name, DB_PASSWORD: '***' }),
      createApp: async (_c, _logger: Logger, h) => {
        hooks = h;
        return app;
      },
      readyFields: () => ({ grpcPort: 50999 }),
      process: proc,
      createLogger: (o) => createLogger({ ...o, destination }),
      exitDelayMs: 0,
    });
  return { run, lines, proc, telemetry, runtime, enableShutdownHooks, hooks: () => hooks };
}

describe(runService.name, () => {
  it('logs the masked config, enables shutdown hooks, starts the runtime and logs readiness with extra fields', async () => {
    const { run, lines, runtime, enableShutdownHooks, proc } = setup();
    expect(await run()).toBeDefined();
    expect(enableShutdownHooks).toHaveBeenCalled();
    expect(runtime.start).toHaveBeenCalledTimes(1);
    expect(lines[0]).toMatchObject({ msg: 'starting', config: { SERVICE_NAME: 'svc', DB_PASSWORD: '***' } });
    expect(lines.at(-1)).toMatchObject({ msg: 'svc service ready', httpPort: 8123, grpcPort: 50999 });
    expect(JSON.stringify(lines)).not.toContain('hunter2');
    expect(proc.exits).toEqual([]);
  });

  it('swallows a second signal during shutdown instead of dying mid-way, and logs it', async () => {
    const { run, lines, proc } = setup();
    await run();
    proc.emit('SIGINT');
    proc.emit('SIGTERM');
    expect(lines.at(-1)).toMatchObject({ msg: 'shutdown already in progress', signal: 'SIGTERM' });
    expect(proc.exits).toEqual([]);
  });

  it('shuts telemetry down once the runtime stopped, then exits 0 if anything lingers', async () => {
    const { run, telemetry, proc, hooks } = setup();
    await run();
    await hooks()?.onStopped();
    expect(telemetry.shutdown).toHaveBeenCalledTimes(1);
    await new Promise((r) => setTimeout(r, 5));
    expect(proc.exits).toEqual([0]);
  });

  it('logs fatal and exits 1 when the config is invalid or the runtime cannot start', async () => {
    for (const failure of [{ configFails: new Error('invalid configuration: KAFKA_BROKERS: is required') }, { startFails: new Error('mongo unreachable') }]) {
      const { run, lines, proc } = setup(failure);
      expect(await run()).toBeUndefined();
      expect(proc.exits).toEqual([1]);
      const message = (failure.configFails ?? failure.startFails)?.message;
      expect(lines.at(-1)).toMatchObject({ level: 'fatal', msg: 'svc service failed to start', err: expect.objectContaining({ message }) });
    }
  });
});
