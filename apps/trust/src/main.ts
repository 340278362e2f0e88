// Tracing first: the SDK must be started before the modules it instruments are loaded.
import './instrumentation';

import { describeConfig } from '@signal-mesh/util-config';
import { createLogger } from '@signal-mesh/util-logging';

import { loadTrustConfig, trustConfigShape } from './config';
import { telemetry } from './instrumentation';
import { createTrustApp } from './trust-app';

async function bootstrap(): Promise<void> {
  const config = loadTrustConfig();
  const logger = createLogger({ service: config.service.name, level: config.log.level });
  logger.info({ config: describeConfig(trustConfigShape, config) }, 'starting');
  const onStopped = async () => {
    await telemetry.shutdown();
    // Our signal listener below also swallows the signal Nest re-raises after closing: exit if anything lingers.
    setTimeout(() => process.exit(0), 1_000).unref();
  };
  const app = await createTrustApp(config, logger, { onStopped });
  // SIGTERM/SIGINT → Nest shutdown hooks → TrustRuntime.stop(): gRPC drained, key uses flushed, Kafka and MongoDB
  // closed. Nest stops listening after the first signal, so a second one (npm start sends SIGTERM after Ctrl-C's
  // SIGINT) would kill the process mid-shutdown with the default action; this listener prevents that.
  app.nest.enableShutdownHooks();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) logger.info({ signal }, 'shutdown already in progress');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await app.start();
  logger.info({ grpcPort: app.runtime.grpcPort, httpPort: app.httpPort }, 'trust service ready');
}

bootstrap().catch((err: unknown) => {
  // Config errors name the bad variables and never carry secret values.
  createLogger({ service: 'trust' }).fatal({ err }, 'trust service failed to start');
  process.exit(1);
});
