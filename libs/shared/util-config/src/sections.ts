import { z } from 'zod';

import { env } from './config';

/** Reusable config sections every service composes into its own shape. */

const csv = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port[,host:port…]')).min(1));

const port = (fallback: number) => z.coerce.number().int().min(0).max(65_535).default(fallback);

export const serviceSection = (defaults: { name: string; grpcPort?: number; httpPort?: number }) => ({
  name: env('SERVICE_NAME', z.string().min(1).default(defaults.name)),
  grpcPort: env('GRPC_PORT', port(defaults.grpcPort ?? 0)),
  httpPort: env('HTTP_PORT', port(defaults.httpPort ?? 0)),
  host: env('BIND_HOST', z.string().min(1).default('127.0.0.1')),
  shutdownGraceMs: env('SHUTDOWN_GRACE_MS', z.coerce.number().int().min(0).default(10_000)),
});

export const kafkaSection = {
  brokers: env('KAFKA_BROKERS', csv),
  clientId: env('KAFKA_CLIENT_ID', z.string().min(1).optional()),
};

/** A Kafka topic name with its default (tests and multi-tenant clusters point services at their own topics). */
export const kafkaTopic = (fallback: string) => z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name').default(fallback);

export const mongoSection = {
  uri: env('MONGODB_URI', z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URI'), 'uri'),
  database: env('MONGODB_DATABASE', z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be a plain database name').default('signalmesh')),
};

export const otelSection = {
  /** OTLP/HTTP endpoint, e.g. http://127.0.0.1:4318. Unset: spans are created (trace ids in logs) but not exported. */
  endpoint: env('OTEL_EXPORTER_OTLP_ENDPOINT', z.url().optional()),
};

export const logSection = {
  level: env('LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
};

/**
 * Operator endpoints on the HTTP port (POST /ops/consumers/pause|resume). Off unless OPS_ENDPOINTS=true: they have no
 * authentication of their own, so they are for tests and for operators who reach the pod directly.
 */
export const opsSection = {
  endpoints: env('OPS_ENDPOINTS', z.enum(['true', 'false']).default('false').transform((v) => v === 'true')),
};
