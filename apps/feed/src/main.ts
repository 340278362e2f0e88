// Tracing first: the SDK must be started before the modules it instruments are loaded.
import './instrumentation';

import { runService } from '@signal-mesh/feature-service';
import { describeConfig } from '@signal-mesh/util-config';

import { feedConfigShape, loadFeedConfig } from './config';
import { createFeedApp } from './feed-app';
import { telemetry } from './instrumentation';

// SIGTERM/SIGINT → Nest shutdown hooks → FeedRuntime.stop(): open streams ended UNAVAILABLE (clients resume with their
// cursor), gRPC server closed, readers stopped, trust client and MongoDB closed, then telemetry flushed.
void runService({
  name: 'feed',
  telemetry,
  loadConfig: () => loadFeedConfig(),
  describeConfig: (config) => describeConfig(feedConfigShape, config),
  createApp: createFeedApp,
  readyFields: (app) => ({ grpcPort: app.runtime.grpcPort }),
});
