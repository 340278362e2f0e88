import { createServiceApp, type ServiceApp } from '@signal-mesh/feature-service';
import type { Logger } from '@signal-mesh/util-logging';

import type { FanoutConfig } from './config';
import { FanoutRuntime } from './fanout-runtime';

/** The Nest shell (HTTP probes, shutdown hooks) around the fan-out runtime. */
export type FanoutApp = ServiceApp<FanoutRuntime>;

/** Listens on HTTP at once (/readyz 503) while start() loads the trust snapshot and joins the consumer group. */
export function createFanoutApp(config: FanoutConfig, logger: Logger, options: { onStopped?: () => Promise<void> } = {}): Promise<FanoutApp> {
  return createServiceApp(new FanoutRuntime(config, logger), { httpPort: config.service.httpPort, host: config.service.host, logger, onStopped: options.onStopped });
}
