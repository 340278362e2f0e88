import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger as PinoLogger, stdTimeFunctions } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Field names whose values never reach a log line: credentials and evidence notes (which may describe abuse) are the
 * two things a log must not carry. Matched case-insensitively, ignoring `-` and `_` (apiKey, api_key, X-Api-Key).
 */
export const SENSITIVE_FIELDS = ['apiKey', 'api_key', 'x-api-key', 'authorization', 'password', 'secret', 'token', 'evidenceNote', 'evidence_note'] as const;

/** How deep (in nested objects or arrays) the pino redact paths reach; deeper fields are caught by `redactDeep`. */
export const REDACT_DEPTH = 4;

const pathTo = (field: string, depth: number): string => {
  const key = /^[A-Za-z_$][\w$]*$/.test(field) ? `.${field}` : `["${field}"]`;
  const path = `${Array<string>(depth).fill('*').join('.')}${key}`;
  return path.startsWith('.') ? path.slice(1) : path;
};

/** pino redact paths: every sensitive field at the top level and under up to REDACT_DEPTH wildcards. */
export const REDACTED_PATHS: readonly string[] = SENSITIVE_FIELDS.flatMap((field) => Array.from({ length: REDACT_DEPTH + 1 }, (_, depth) => pathTo(field, depth)));

export const REDACTED = '[redacted]';

const normalize = (key: string): string => key.toLowerCase().replace(/[-_]/g, '');
const SENSITIVE = new Set(SENSITIVE_FIELDS.map(normalize));

/**
 * The safety net behind the redact paths: any sensitive field at any depth and in any spelling. Returns `value`
 * itself when there is nothing to hide (the usual case), else a copy; the caller's objects are never changed.
 */
export function redactDeep<T>(value: T, ancestors: Set<object> = new Set()): T {
  // Ancestors, not every object seen: a cycle stops here, a shared object is redacted wherever it appears.
  if (typeof value !== 'object' || value === null || ancestors.has(value)) return value;
  // Errors go through pino's err serializer; Buffers and dates are never containers of fields.
  if (value instanceof Error || value instanceof Date || Buffer.isBuffer(value)) return value;
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      let copy: unknown[] | undefined;
      value.forEach((item, i) => {
        const redacted = redactDeep(item, ancestors);
        if (redacted !== item) (copy ??= [...value])[i] = redacted;
      });
      return (copy ?? value) as T;
    }
    let copy: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(value)) {
      const redacted = SENSITIVE.has(normalize(key)) ? REDACTED : redactDeep(item, ancestors);
      if (redacted !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = redacted;
    }
    return (copy ?? value) as T;
  } finally {
    ancestors.delete(value);
  }
}

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
      formatters: { level: (label) => ({ level: label }), log: (object) => redactDeep(object) },
      mixin: activeTraceFields,
      redact: { paths: [...REDACTED_PATHS], censor: REDACTED },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}
