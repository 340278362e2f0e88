import { Topics } from '@signal-mesh/contracts';
import { env, type EnvSource, kafkaSection, kafkaTopic, loadConfig, logSection, mongoSection, otelSection, type ResolvedConfig, serviceSection } from '@signal-mesh/util-config';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

/** Everything the trust service reads from the environment; validated once at boot. */
export const trustConfigShape = {
  service: serviceSection({ name: 'trust', grpcPort: 50061, httpPort: 8061 }),
  kafka: kafkaSection,
  mongo: mongoSection,
  otel: otelSection,
  log: logSection,
  trust: {
    /** Where the bootstrap operator key is written (mode 0600); in containers a mounted path. */
    operatorKeyFile: env('TRUST_OPERATOR_KEY_FILE', z.string().min(1).default('.local/operator-key')),
    /** Failed authentications a client may make in a burst, per presented key id; then RESOURCE_EXHAUSTED. */
    authFailureBurst: env('TRUST_AUTH_FAILURE_BURST', positiveInt(10)),
    /** Failed authentications per minute a client earns back, per presented key id. */
    authFailuresPerMinute: env('TRUST_AUTH_FAILURES_PER_MINUTE', positiveInt(30)),
    /** How often aggregated key-use counts are appended to the audit log. */
    keyUseFlushMs: env('TRUST_KEY_USE_FLUSH_MS', positiveInt(60_000)),
    /** Override for tests and side-by-side environments; production uses the catalogue name. */
    changesTopic: env('TRUST_CHANGES_TOPIC', kafkaTopic(Topics.trustChanges.name)),
  },
};

export type TrustConfig = ResolvedConfig<typeof trustConfigShape>;

/** The only place the service reads process.env (besides instrumentation.ts, which needs it before anything loads). */
export function loadTrustConfig(source: EnvSource = process.env): TrustConfig {
  return loadConfig(trustConfigShape, source);
}

/** What telemetry needs, read before the rest of the app is loaded. */
export const telemetryConfigShape = { service: { name: trustConfigShape.service.name }, otel: otelSection };
