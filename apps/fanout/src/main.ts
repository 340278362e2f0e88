// Tracing first: the SDK must be started before the modules it instruments are loaded.
import './instrumentation';

import { runService } from '@signal-mesh/feature-service';
import { describeConfig } from '@signal-mesh/util-config';

import { fanoutConfigShape, loadFanoutConfig } from './config';
import { createFanoutApp } from './fanout-app';
import { telemetry } from './instrumentation';

// SIGTERM/SIGINT → Nest shutdown hooks → FanoutRuntime.stop(): consumer stopped (the chunk in progress finishes and
// is committed), gRPC health closed, Kafka producer and MongoDB disconnected, then telemetry flushed.
void runService({
  name: 'fanout',
  telemetry,
  loadConfig: () => loadFanoutConfig(),
  describeConfig: (config) => describeConfig(fanoutConfigShape, config),
  createApp: createFanoutApp,
  readyFields: (app) => ({ grpcPort: app.runtime.grpcPort }),
});
