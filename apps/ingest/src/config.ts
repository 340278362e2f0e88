import { Topics } from '@signal-mesh/contracts';
import { env, type EnvSource, kafkaSection, kafkaTopic, loadConfig, logSection, mongoSection, otelSection, type ResolvedConfig, secret, serviceSection } from '@signal-mesh/util-config';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
const KiB = 1024;
const MiB = 1024 * KiB;

/** Everything the ingest service reads from the environment; validated once at boot. */
export const ingestConfigShape = {
  service: serviceSection({ name: 'ingest', grpcPort: 50062, httpPort: 8062 }),
  kafka: {
    ...kafkaSection,
    /** Where accepted submissions go (dedup reads it). */
    submissionsTopic: env('INGEST_SUBMISSIONS_TOPIC', kafkaTopic(Topics.submissions.name)),
  },
  mongo: mongoSection,
  otel: otelSection,
  log: logSection,
  trust: {
    /** host:port of the trust service's gRPC endpoint. */
    address: env('INGEST_TRUST_ADDRESS', z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port').default('127.0.0.1:50061')),
    /**
     * Operator key used only to compute a disputer's view of a signal (TrustService.GetView). Callers' own keys are
     * passed through for everything else. Takes precedence over the key file.
     */
    serviceKey: secret('INGEST_TRUST_SERVICE_KEY', z.string().min(1).optional()),
    /** Where to read that key when INGEST_TRUST_SERVICE_KEY is unset (dev: the trust service's bootstrap file). */
    serviceKeyFile: env('INGEST_TRUST_SERVICE_KEY_FILE', z.string().min(1).default('.local/operator-key')),
    /** How long trust answers are reused (≤ 1,000 ms, so revocations and suspensions apply within a second). */
    cacheTtlMs: env('INGEST_TRUST_CACHE_TTL_MS', z.coerce.number().int().min(0).max(1_000).default(500)),
  },
  limits: {
    /** Largest single request: REST POST /v1/contributions, revoke, dispute, and every gRPC message. */
    maxRequestBytes: env('INGEST_MAX_REQUEST_BYTES', positiveInt(128 * KiB)),
    /** Largest REST batch body (JSON array or CSV). */
    maxBatchBytes: env('INGEST_MAX_BATCH_BYTES', positiveInt(16 * MiB)),
    /** Items per REST batch and per SubmitStream call. */
    maxBatchItems: env('INGEST_MAX_BATCH_ITEMS', positiveInt(10_000)),
    /** Items validated, authorised and produced together; a stream stops reading while a chunk is produced. */
    chunkItems: env('INGEST_CHUNK_ITEMS', positiveInt(500)),
    /** Per-organisation token bucket: items per second earned back… */
    rateItemsPerSecond: env('INGEST_RATE_ITEMS_PER_SECOND', z.coerce.number().positive().default(100)),
    /** …and the bucket size (a full batch fits a full bucket by default). */
    rateBurst: env('INGEST_RATE_BURST', positiveInt(10_000)),
  },
  idempotency: {
    /** How long a key is remembered; a retry after that is no longer recognised by ingest. */
    retentionMs: env('INGEST_IDEMPOTENCY_RETENTION_MS', positiveInt(24 * 60 * 60 * 1000)),
    /** How often expired keys are deleted (FerretDB has no TTL indexes). */
    cleanupIntervalMs: env('INGEST_IDEMPOTENCY_CLEANUP_INTERVAL_MS', positiveInt(10 * 60 * 1000)),
  },
};

export type IngestConfig = ResolvedConfig<typeof ingestConfigShape>;
export type IngestLimits = IngestConfig['limits'];

/** The only place the service reads process.env (besides instrumentation.ts, which needs it before anything loads). */
export function loadIngestConfig(source: EnvSource = process.env): IngestConfig {
  return loadConfig(ingestConfigShape, source);
}

/** What telemetry needs, read before the rest of the app is loaded. */
export const telemetryConfigShape = { service: { name: ingestConfigShape.service.name }, otel: otelSection };
