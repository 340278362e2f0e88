import { Topics } from '@signal-mesh/contracts';
import { env, type EnvSource, kafkaSection, kafkaTopic, loadConfig, logSection, mongoSection, otelSection, type ResolvedConfig, serviceSection } from '@signal-mesh/util-config';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

/** Everything the feed service reads from the environment; validated once at boot. */
export const feedConfigShape = {
  service: serviceSection({ name: 'feed', grpcPort: 50065, httpPort: 8065 }),
  kafka: {
    ...kafkaSection,
    /** The fan-out's output, keyed by organisation id. Topic overrides exist for tests and side-by-side stacks. */
    feedTopic: env('FEED_TOPIC', kafkaTopic(Topics.feeds.name)),
    /** Materialised in process for views (Snapshot, Lookup). */
    trustTopic: env('FEED_TRUST_TOPIC', kafkaTopic(Topics.trustChanges.name)),
  },
  mongo: mongoSection,
  otel: otelSection,
  log: logSection,
  trust: {
    /** host:port of the trust service's gRPC endpoint (authenticates and authorises every call with the caller's key). */
    address: env('FEED_TRUST_ADDRESS', z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port').default('127.0.0.1:50061')),
    /** How long trust answers are reused (≤ 1,000 ms, so revocations and suspensions apply within a second). */
    cacheTtlMs: env('FEED_TRUST_CACHE_TTL_MS', z.coerce.number().int().min(0).max(1_000).default(500)),
  },
  feed: {
    /** Records kept per partition by the shared tail; a stream further behind reads the partition itself. */
    tailEvents: env('FEED_TAIL_EVENTS', positiveInt(10_000)),
    /** How often an open Subscribe stream re-checks its key (revoked key, suspended organisation end it). */
    keyRecheckMs: env('FEED_KEY_RECHECK_MS', positiveInt(1_000)),
    /** Open Subscribe + Snapshot streams per instance; more are refused RESOURCE_EXHAUSTED. */
    maxStreams: env('FEED_MAX_STREAMS', positiveInt(1_000)),
    /** Signals read from MongoDB per page while streaming a Snapshot. */
    snapshotBatch: env('FEED_SNAPSHOT_BATCH', positiveInt(500)),
  },
};

export type FeedConfig = ResolvedConfig<typeof feedConfigShape>;

/** The only place the service reads process.env (besides instrumentation.ts, which needs it before anything loads). */
export function loadFeedConfig(source: EnvSource = process.env): FeedConfig {
  return loadConfig(feedConfigShape, source);
}

/** What telemetry needs, read before the rest of the app is loaded. */
export const telemetryConfigShape = { service: { name: feedConfigShape.service.name }, otel: otelSection };
