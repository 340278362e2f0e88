// Tracing first: the SDK must be started before the modules it instruments are loaded.
import './instrumentation';

import { runService } from '@signal-mesh/feature-service';
import { describeConfig } from '@signal-mesh/util-config';

import { loadTrustConfig, trustConfigShape } from './config';
import { telemetry } from './instrumentation';
import { createTrustApp } from './trust-app';

// SIGTERM/SIGINT → Nest shutdown hooks → TrustRuntime.stop(): gRPC drained, key uses flushed, Kafka and MongoDB
// closed, then telemetry flushed.
void runService({
  name: 'trust',
  telemetry,
  loadConfig: () => loadTrustConfig(),
  describeConfig: (config) => describeConfig(trustConfigShape, config),
  createApp: createTrustApp,
  readyFields: (app) => ({ grpcPort: app.runtime.grpcPort }),
});
