// Tracing first: the SDK must be started before the modules it instruments are loaded.
import './instrumentation';

import { runService } from '@signal-mesh/feature-service';
import { describeConfig } from '@signal-mesh/util-config';

import { ingestConfigShape, loadIngestConfig } from './config';
import { createIngestApp } from './ingest-app';
import { telemetry } from './instrumentation';

void runService({
  name: 'ingest',
  telemetry,
  loadConfig: () => loadIngestConfig(),
  describeConfig: (config) => describeConfig(ingestConfigShape, config),
  createApp: (config, logger, hooks) => createIngestApp(config, logger, hooks),
  readyFields: (app) => ({ grpcPort: app.runtime.grpcPort }),
});
