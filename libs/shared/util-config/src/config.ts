import { z } from 'zod';

/** How a variable is shown in logs: plain, fully masked, or a URI with its password masked. */
export type Sensitivity = 'plain' | 'secret' | 'uri';

export interface EnvVar<T> {
  readonly kind: 'env';
  readonly name: string;
  readonly schema: z.ZodType<T>;
  readonly sensitivity: Sensitivity;
}

export interface ConfigShape {
  readonly [key: string]: EnvVar<unknown> | ConfigShape;
}

export type ResolvedConfig<S extends ConfigShape> = {
  readonly [K in keyof S]: S[K] extends EnvVar<infer T> ? T : S[K] extends ConfigShape ? ResolvedConfig<S[K]> : never;
};

export type EnvSource = Readonly<Record<string, string | undefined>>;

/** One environment variable read into the typed config. */
export function env<T>(name: string, schema: z.ZodType<T>, sensitivity: Sensitivity = 'plain'): EnvVar<T> {
  return { kind: 'env', name, schema, sensitivity };
}

/** A variable whose value never appears in logs or errors. */
export function secret<T>(name: string, schema: z.ZodType<T>): EnvVar<T> {
  return env(name, schema, 'secret');
}

export interface ConfigIssue {
  readonly variable: string;
  readonly message: string;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

function isEnvVar(value: EnvVar<unknown> | ConfigShape): value is EnvVar<unknown> {
  return (value as EnvVar<unknown>).kind === 'env';
}

/**
 * Validates the environment once, at boot, into a nested typed object. Every bad variable is reported at once,
 * by name; the values of secret variables never appear in the error.
 */
export function loadConfig<S extends ConfigShape>(shape: S, source: EnvSource = process.env): ResolvedConfig<S> {
  const issues: ConfigIssue[] = [];
  const walk = (node: ConfigShape): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(node)) {
      if (!isEnvVar(spec)) {
        out[key] = walk(spec);
        continue;
      }
      const raw = source[spec.name];
      const result = spec.schema.safeParse(raw === '' ? undefined : raw);
      if (result.success) {
        out[key] = result.data;
      } else {
        const message = result.error.issues.map((i) => (raw === undefined && i.code === 'invalid_type' ? 'is required' : i.message)).join(', ');
        issues.push({ variable: spec.name, message });
      }
    }
    return out;
  };
  const config = walk(shape);
  if (issues.length > 0) throw new ConfigError(issues);
  return Object.freeze(config) as ResolvedConfig<S>;
}

/** The config flattened by variable name, with secrets masked: safe to log at boot. */
export function describeConfig<S extends ConfigShape>(shape: S, config: ResolvedConfig<S>): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (node: ConfigShape, values: Record<string, unknown>): void => {
    for (const [key, spec] of Object.entries(node)) {
      const value = values[key];
      if (!isEnvVar(spec)) {
        walk(spec, (value ?? {}) as Record<string, unknown>);
      } else if (value !== undefined) {
        out[spec.name] = mask(spec.sensitivity, value);
      }
    }
  };
  walk(shape, config as Record<string, unknown>);
  return out;
}

function mask(sensitivity: Sensitivity, value: unknown): string {
  const text = Array.isArray(value) ? value.join(',') : String(value);
  if (sensitivity === 'secret') return '***';
  if (sensitivity === 'uri') return maskUriPassword(text);
  return text;
}

export function maskUriPassword(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, '$1:***@');
}
