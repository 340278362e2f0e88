// Tracing first: the SDK must be started before the modules it instruments are loaded.
import './instrumentation';

import { runService } from '@signal-mesh/feature-service';
import { describeConfig } from '@signal-mesh/util-config';

import { dedupConfigShape, loadDedupConfig } from './config';
import { createDedupApp } from './dedup-app';
import { telemetry } from './instrumentation';

// SIGTERM/SIGINT → Nest shutdown hooks → DedupRuntime.stop(): sweeper and consumer stopped (last offsets committed),
// gRPC health closed, Kafka producer and MongoDB disconnected, then telemetry flushed.
void runService({
  name: 'dedup',
  telemetry,
  loadConfig: () => loadDedupConfig(),
  describeConfig: (config) => describeConfig(dedupConfigShape, config),
  createApp: createDedupApp,
  readyFields: (app) => ({ grpcPort: app.runtime.grpcPort }),
});
