import { type Context, context, propagation, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';

export interface TelemetryOptions {
  serviceName: string;
  /** OTLP/HTTP endpoint (e.g. http://otel-collector:4318). Unset: spans exist for ids and propagation only. */
  endpoint?: string;
  /** Extra processors, e.g. an in-memory exporter in tests. */
  spanProcessors?: SpanProcessor[];
}

export interface Telemetry {
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK. Call it before anything else is imported (each app's instrumentation.ts), so
 * instrumentations can patch modules as they load. Settings come only from the options: the SDK's own OTEL_*
 * environment fallbacks are not used, so nothing is exported unless an endpoint is configured.
 */
export function startTelemetry({ serviceName, endpoint, spanProcessors = [] }: TelemetryOptions): Telemetry {
  const processors: SpanProcessor[] = [...spanProcessors];
  if (endpoint) processors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }) }));
  // A processor is needed for the SDK to install a tracer provider at all: trace ids in logs and in
  // propagated headers must exist even when nothing is exported.
  if (processors.length === 0) processors.push(new NoopSpanProcessor());
  const sdk = new NodeSDK({ serviceName, spanProcessors: processors, instrumentations: [], metricReaders: [], logRecordProcessors: [] });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

export type Carrier = Record<string, string | Buffer | (string | Buffer)[] | undefined>;

const setter: TextMapSetter<Carrier> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

const getter: TextMapGetter<Carrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : first.toString();
  },
};

/** Writes the W3C trace context (traceparent, tracestate, baggage) of `ctx` into message headers or metadata. */
export function injectTraceContext(carrier: Carrier, ctx: Context = context.active()): Carrier {
  propagation.inject(ctx, carrier, setter);
  return carrier;
}

/** Reads the W3C trace context from message headers or metadata. */
export function extractTraceContext(carrier: Carrier, ctx: Context = context.active()): Context {
  return propagation.extract(ctx, carrier, getter);
}
