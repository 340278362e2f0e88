import { Topics } from '@signal-mesh/contracts';
import { env, type EnvSource, kafkaSection, loadConfig, logSection, mongoSection, otelSection, type ResolvedConfig, serviceSection } from '@signal-mesh/util-config';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
const topicName = (fallback: string) => z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name').default(fallback);

/** Everything the fan-out service reads from the environment; validated once at boot. */
export const fanoutConfigShape = {
  service: serviceSection({ name: 'fanout', grpcPort: 50064, httpPort: 8064 }),
  kafka: kafkaSection,
  mongo: mongoSection,
  otel: otelSection,
  log: logSection,
  fanout: {
    groupId: env('FANOUT_GROUP_ID', z.string().min(1).default('fanout')),
    /** Topic overrides exist for tests and side-by-side environments; production uses the catalogue names. */
    stateTopic: env('FANOUT_STATE_TOPIC', topicName(Topics.signalState.name)),
    trustTopic: env('FANOUT_TRUST_TOPIC', topicName(Topics.trustChanges.name)),
    feedTopic: env('FANOUT_FEED_TOPIC', topicName(Topics.feeds.name)),
    /** Records handed to the processor at once (one findMany, one produce, one save per chunk of states). */
    maxBatchRecords: env('FANOUT_MAX_BATCH_RECORDS', positiveInt(500)),
    /** How long the group waits for a silent instance (e.g. SIGKILLed) before a standby takes over. */
    sessionTimeoutMs: env('FANOUT_SESSION_TIMEOUT_MS', z.coerce.number().int().min(6_000).max(300_000).default(30_000)),
    /** Stored states re-evaluated per page when a trust change affects organisations (one produce per page). */
    reevaluateBatch: env('FANOUT_REEVALUATE_BATCH', positiveInt(500)),
  },
};

export type FanoutConfig = ResolvedConfig<typeof fanoutConfigShape>;

/** The only place the service reads process.env (besides instrumentation.ts, which needs it before anything loads). */
export function loadFanoutConfig(source: EnvSource = process.env): FanoutConfig {
  return loadConfig(fanoutConfigShape, source);
}

/** What telemetry needs, read before the rest of the app is loaded. */
export const telemetryConfigShape = { service: { name: fanoutConfigShape.service.name }, otel: otelSection };
