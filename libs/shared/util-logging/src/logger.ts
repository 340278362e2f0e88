import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger as PinoLogger, stdTimeFunctions } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Field names whose values never reach a log line, at any depth we know of: credentials and evidence notes
 * (which may describe abuse) are the two things a log must not carry.
 */
export const REDACTED_PATHS = [
  'apiKey',
  'api_key',
  'authorization',
  'password',
  'secret',
  'token',
  'evidenceNote',
  'evidence_note',
  '*.apiKey',
  '*.api_key',
  '*.authorization',
  '*.password',
  '*.secret',
  '*.token',
  '*.evidenceNote',
  '*.evidence_note',
  'headers.authorization',
  'metadata["x-api-key"]',
  '*.metadata["x-api-key"]',
];

export interface LoggerOptions {
  service: string;
  level?: LogLevel;
  /** Where lines go; stdout by default. Tests pass a stream to capture output. */
  destination?: DestinationStream;
}

/** Trace and span ids of the active OpenTelemetry span, so every line can be joined to its trace. */
export function activeTraceFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getSpan(context.active());
  const ctx = span?.spanContext();
  if (!ctx || !isSpanContextValid(ctx)) return {};
  return { trace_id: ctx.traceId, span_id: ctx.spanId };
}

/** A structured JSON logger: one object per line with time, level, service, message and trace ids. */
export function createLogger({ service, level = 'info', destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { service },
      messageKey: 'msg',
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: activeTraceFields,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}
