import { Topics } from '@signal-mesh/contracts';
import { env, type EnvSource, kafkaSection, kafkaTopic, loadConfig, logSection, mongoSection, otelSection, type ResolvedConfig, serviceSection } from '@signal-mesh/util-config';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
const fileList = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .default([]);

/** Everything the delisting service reads from the environment; validated once at boot. */
export const delistingConfigShape = {
  service: serviceSection({ name: 'delisting', grpcPort: 50066, httpPort: 8066 }),
  kafka: {
    ...kafkaSection,
    /** The fan-out's per-organisation feed (topic overrides exist for tests and side-by-side environments). */
    feedTopic: env('DELISTING_FEED_TOPIC', kafkaTopic(Topics.feeds.name)),
    /** The trust topic, followed to know which organisations are search engines. */
    trustTopic: env('DELISTING_TRUST_TOPIC', kafkaTopic(Topics.trustChanges.name)),
    groupId: env('DELISTING_GROUP_ID', z.string().min(1).default('delisting')),
    /** Feed records handled per MongoDB round trip. */
    maxBatchRecords: env('DELISTING_MAX_BATCH_RECORDS', positiveInt(500)),
    /** Partitions processed in parallel by one instance (their organisations are disjoint: keyed by organisation). */
    partitionsConcurrently: env('DELISTING_PARTITIONS_CONCURRENTLY', positiveInt(3)),
    sessionTimeoutMs: env('DELISTING_SESSION_TIMEOUT_MS', z.coerce.number().int().min(6_000).max(300_000).default(30_000)),
    /**
     * How long a feed event of an organisation the trust snapshot does not know yet waits for the trust follower
     * (the fan-out may be ahead of it), once per organisation and process; after that its events are skipped.
     */
    unknownOrgWaitMs: env('DELISTING_UNKNOWN_ORG_WAIT_MS', z.coerce.number().int().min(0).max(300_000).default(10_000)),
  },
  mongo: mongoSection,
  otel: otelSection,
  log: logSection,
  trust: {
    /** host:port of the trust service's gRPC endpoint. */
    address: env('DELISTING_TRUST_ADDRESS', z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port').default('127.0.0.1:50061')),
    /** How long trust answers are reused (≤ 1,000 ms, so revocations and suspensions apply within a second). */
    cacheTtlMs: env('DELISTING_TRUST_CACHE_TTL_MS', z.coerce.number().int().min(0).max(1_000).default(500)),
  },
  signing: {
    /** PEM PKCS#8 Ed25519 private key that signs manifests. */
    keyFile: env('DELISTING_SIGNING_KEY_FILE', z.string().min(1).default('.local/delisting-signing-key.pem')),
    /** Create the key file (mode 0600) when it does not exist: `auto` = unless NODE_ENV is production. */
    generate: env('DELISTING_SIGNING_KEY_GENERATE', z.enum(['auto', 'true', 'false']).default('auto')),
    nodeEnv: env('NODE_ENV', z.string().default('development')),
    /** Extra PEM public keys published next to the signing key (rotation: keep the previous key verifiable). */
    publishedKeyFiles: env('DELISTING_PUBLISHED_KEY_FILES', fileList),
  },
  limits: {
    /** Entries per MongoDB page and per gRPC snapshot chunk. */
    pageSize: env('DELISTING_PAGE_SIZE', positiveInt(500)),
    /** Changes per page when the caller does not say, and the most it may ask for. */
    changesPageSize: env('DELISTING_CHANGES_PAGE_SIZE', positiveInt(1_000)),
    maxChangesPageSize: env('DELISTING_MAX_CHANGES_PAGE_SIZE', positiveInt(10_000)),
  },
  retention: {
    /** Changes kept per list; `since` older than that answers 410 / VERSION_EXPIRED (take a snapshot). */
    changeVersions: env('DELISTING_CHANGE_RETENTION_VERSIONS', positiveInt(100_000)),
    /** How often old changes, manifests and tombstoned entries are deleted (FerretDB has no TTL indexes). */
    pruneIntervalMs: env('DELISTING_PRUNE_INTERVAL_MS', positiveInt(10 * 60 * 1000)),
  },
};

export type DelistingConfig = ResolvedConfig<typeof delistingConfigShape>;
export type DelistingLimits = DelistingConfig['limits'];

/** The only place the service reads process.env (besides instrumentation.ts, which needs it before anything loads). */
export function loadDelistingConfig(source: EnvSource = process.env): DelistingConfig {
  return loadConfig(delistingConfigShape, source);
}

export function shouldGenerateKey(signing: DelistingConfig['signing']): boolean {
  return signing.generate === 'true' || (signing.generate === 'auto' && signing.nodeEnv !== 'production');
}

/** What telemetry needs, read before the rest of the app is loaded. */
export const telemetryConfigShape = { service: { name: delistingConfigShape.service.name }, otel: otelSection };
