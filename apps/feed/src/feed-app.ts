import { createServiceApp, type ServiceApp } from '@signal-mesh/feature-service';
import type { Logger } from '@signal-mesh/util-logging';

import type { FeedConfig } from './config';
import { FeedRuntime } from './feed-runtime';

/** The Nest shell (HTTP probes, shutdown hooks) around the feed runtime. */
export type FeedApp = ServiceApp<FeedRuntime>;

/** Listens on HTTP at once (/readyz 503) while start() follows the trust topic, tails the feed and serves gRPC. */
export function createFeedApp(config: FeedConfig, logger: Logger, options: { onStopped?: () => Promise<void> } = {}): Promise<FeedApp> {
  return createServiceApp(new FeedRuntime(config, logger), { httpPort: config.service.httpPort, host: config.service.host, logger, onStopped: options.onStopped });
}
