import { createServiceApp, type ServiceApp } from '@signal-mesh/feature-service';
import type { Logger } from '@signal-mesh/util-logging';

import type { TrustConfig } from './config';
import { TrustRuntime } from './trust-runtime';

/** The Nest shell (HTTP probes, shutdown hooks) around the trust runtime; `start()` connects and serves gRPC. */
export type TrustApp = ServiceApp<TrustRuntime>;

/**
 * Creates the app and listens on HTTP right away, so probes get answers (/readyz 503) while start() connects.
 */
export function createTrustApp(config: TrustConfig, logger: Logger, options: { onStopped?: () => Promise<void> } = {}): Promise<TrustApp> {
  return createServiceApp(new TrustRuntime(config, logger), { httpPort: config.service.httpPort, host: config.service.host, logger, onStopped: options.onStopped });
}
