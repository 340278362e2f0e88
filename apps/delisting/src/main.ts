// Tracing first: the SDK must be started before the modules it instruments are loaded.
import './instrumentation';

import { runService } from '@signal-mesh/feature-service';
import { describeConfig } from '@signal-mesh/util-config';

import { delistingConfigShape, loadDelistingConfig } from './config';
import { createDelistingApp } from './delisting-app';
import { telemetry } from './instrumentation';

// SIGTERM/SIGINT → Nest shutdown hooks → DelistingRuntime.stop(): retention job and consumer stopped (last offsets
// committed), gRPC drained, trust follower, Kafka and MongoDB closed, then telemetry flushed.
void runService({
  name: 'delisting',
  telemetry,
  loadConfig: () => loadDelistingConfig(),
  describeConfig: (config) => describeConfig(delistingConfigShape, config),
  createApp: (config, logger, hooks) => createDelistingApp(config, logger, hooks),
  readyFields: (app) => ({ grpcPort: app.runtime.grpcPort }),
});
