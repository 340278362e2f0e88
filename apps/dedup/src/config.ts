import { Topics } from '@signal-mesh/contracts';
import { env, type EnvSource, kafkaSection, loadConfig, logSection, mongoSection, otelSection, type ResolvedConfig, serviceSection } from '@signal-mesh/util-config';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
const topicName = (fallback: string) => z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name').default(fallback);

/** Everything the dedup service reads from the environment; validated once at boot. */
export const dedupConfigShape = {
  service: serviceSection({ name: 'dedup', grpcPort: 50063, httpPort: 8063 }),
  kafka: kafkaSection,
  mongo: mongoSection,
  otel: otelSection,
  log: logSection,
  dedup: {
    groupId: env('DEDUP_GROUP_ID', z.string().min(1).default('dedup')),
    /** Topic overrides exist for tests and side-by-side environments; production uses the catalogue names. */
    submissionsTopic: env('DEDUP_SUBMISSIONS_TOPIC', topicName(Topics.submissions.name)),
    stateTopic: env('DEDUP_STATE_TOPIC', topicName(Topics.signalState.name)),
    /** Submissions merged per MongoDB round trip (one findMany + one bulk write + one produce). */
    maxBatchRecords: env('DEDUP_MAX_BATCH_RECORDS', positiveInt(500)),
    /** Partitions processed in parallel by one instance; their signals are disjoint (keyed by signal id). */
    partitionsConcurrently: env('DEDUP_PARTITIONS_CONCURRENTLY', positiveInt(3)),
    /** How long the group waits for a silent instance (e.g. SIGKILLed) before giving its partitions to another. */
    sessionTimeoutMs: env('DEDUP_SESSION_TIMEOUT_MS', z.coerce.number().int().min(6_000).max(300_000).default(30_000)),
    /** Reload-and-reapply rounds when a versioned write lost a race (a rebalance, the sweeper), before retrying. */
    maxConflictRounds: env('DEDUP_MAX_CONFLICT_ROUNDS', positiveInt(5)),
    /** How often signals whose earliest valid-until has passed are re-evaluated (EXPIRED), and how many per query. */
    expirySweepMs: env('DEDUP_EXPIRY_SWEEP_MS', positiveInt(60_000)),
    expirySweepLimit: env('DEDUP_EXPIRY_SWEEP_LIMIT', positiveInt(500)),
  },
};

export type DedupConfig = ResolvedConfig<typeof dedupConfigShape>;

/** The only place the service reads process.env (besides instrumentation.ts, which needs it before anything loads). */
export function loadDedupConfig(source: EnvSource = process.env): DedupConfig {
  return loadConfig(dedupConfigShape, source);
}

/** What telemetry needs, read before the rest of the app is loaded. */
export const telemetryConfigShape = { service: { name: dedupConfigShape.service.name }, otel: otelSection };
