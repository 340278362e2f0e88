import { createServiceApp, type ServiceApp } from '@signal-mesh/feature-service';
import type { Logger } from '@signal-mesh/util-logging';

import type { DedupConfig } from './config';
import { DedupRuntime } from './dedup-runtime';

/** The Nest shell (HTTP probes, shutdown hooks) around the dedup runtime. */
export type DedupApp = ServiceApp<DedupRuntime>;

/** Listens on HTTP at once (/readyz 503) while start() connects MongoDB and Kafka and joins the consumer group. */
export function createDedupApp(config: DedupConfig, logger: Logger, options: { onStopped?: () => Promise<void> } = {}): Promise<DedupApp> {
  return createServiceApp(new DedupRuntime(config, logger), { httpPort: config.service.httpPort, host: config.service.host, logger, onStopped: options.onStopped });
}
