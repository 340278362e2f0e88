// Imported first by main.ts: the OpenTelemetry SDK must patch modules before they are loaded.
import { loadConfig } from '@signal-mesh/util-config';
import { startTelemetry } from '@signal-mesh/util-otel';

import { telemetryConfigShape } from './config';

const config = loadConfig(telemetryConfigShape);
export const telemetry = startTelemetry({ serviceName: config.service.name, endpoint: config.otel.endpoint });
