import { createLogger, type Logger, type LogLevel } from '@signal-mesh/util-logging';

import type { ServiceApp } from './service-app';
import type { ServiceRuntime } from './service-runtime';

/** The config sections every service has; runService needs nothing else from it. */
export interface BaseServiceConfig {
  readonly service: { readonly name: string };
  readonly log: { readonly level: LogLevel };
}

/** The parts of `process` runService touches, so tests can drive signals and observe exits. */
export interface ServiceProcess {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

export interface RunServiceOptions<C extends BaseServiceConfig, R extends ServiceRuntime> {
  /** Used for the fatal line when the config itself is invalid (no logger configured yet). */
  name: string;
  /** Started by the app's instrumentation.ts before anything else loaded; shut down after the runtime stopped. */
  telemetry: { shutdown(): Promise<void> };
  /** Reads and validates the environment; a ConfigError names the bad variables. */
  loadConfig: () => C;
  /** The config as it may be logged: secrets masked (util-config describeConfig). */
  describeConfig: (config: C) => Record<string, string>;
  /** Builds the app (HTTP listening, runtime not started); `onStopped` must run once the runtime has stopped. */
  createApp: (config: C, logger: Logger, hooks: { onStopped: () => Promise<void> }) => Promise<ServiceApp<R>>;
  /** Extra fields for the "ready" log line, e.g. the bound gRPC port. */
  readyFields?: (app: ServiceApp<R>) => Record<string, unknown>;
  process?: ServiceProcess;
  /** Defaults to util-logging createLogger writing to stdout. */
  createLogger?: (options: { service: string; level?: LogLevel }) => Logger;
  /** How long to wait after shutdown before forcing the exit (something may linger, e.g. an idle socket). */
  exitDelayMs?: number;
}

/**
 * What every service's main.ts does after `import './instrumentation'`: config → logger → app → shutdown hooks →
 * start, and on any boot failure a fatal log line and exit code 1. Resolves with the started app, or undefined
 * after a failed boot (the process is exiting then).
 */
export async function runService<C extends BaseServiceConfig, R extends ServiceRuntime>(options: RunServiceOptions<C, R>): Promise<ServiceApp<R> | undefined> {
  const proc: ServiceProcess = options.process ?? process;
  const newLogger = options.createLogger ?? createLogger;
  let logger: Logger | undefined;
  try {
    const config = options.loadConfig();
    const log = newLogger({ service: config.service.name, level: config.log.level });
    logger = log;
    log.info({ config: options.describeConfig(config) }, 'starting');
    const onStopped = async () => {
      await options.telemetry.shutdown();
      // Our signal listener below also swallows the signal Nest re-raises after closing: exit if anything lingers.
      setTimeout(() => proc.exit(0), options.exitDelayMs ?? 1_000).unref();
    };
    const app = await options.createApp(config, log, { onStopped });
    // SIGTERM/SIGINT → Nest shutdown hooks → runtime.stop(). Nest stops listening after the first signal, so a second
    // one (npm start sends SIGTERM after Ctrl-C's SIGINT) would kill the process mid-shutdown with the default
    // action; this listener prevents that.
    app.nest.enableShutdownHooks();
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (++signals > 1) log.info({ signal }, 'shutdown already in progress');
    };
    proc.on('SIGINT', onSignal);
    proc.on('SIGTERM', onSignal);
    await app.start();
    log.info({ httpPort: app.httpPort, ...options.readyFields?.(app) }, `${config.service.name} service ready`);
    return app;
  } catch (err) {
    // Config errors name the bad variables and never carry secret values.
    (logger ?? newLogger({ service: options.name })).fatal({ err }, `${options.name} service failed to start`);
    proc.exit(1);
    return undefined;
  }
}
