import { type Context, context, metrics, propagation, type TextMapGetter, type TextMapSetter, trace } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { MongoDBInstrumentation } from '@opentelemetry/instrumentation-mongodb';
import { type IMetricReader, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';

export interface TelemetryOptions {
  serviceName: string;
  /** OTLP/HTTP endpoint (e.g. http://otel-collector:4318). Unset: nothing is exported; spans and metrics stay in process. */
  endpoint?: string;
  /** Extra processors, e.g. an in-memory exporter in tests. */
  spanProcessors?: SpanProcessor[];
  /** Auto-instrumentation of http, @grpc/grpc-js and mongodb (default true). */
  instrumentations?: boolean;
  /** How often metrics are pushed over OTLP when `endpoint` is set (default 15 s). */
  metricExportIntervalMs?: number;
}

export interface Telemetry {
  /** Flushes and stops the SDK, removes the instrumentations and unregisters the global providers. */
  shutdown(): Promise<void>;
  /** Every instrument's current value in the Prometheus text format: what GET /metrics serves. */
  renderMetrics(): Promise<string>;
  /** The same data points as objects, for tests that assert on metrics in process. */
  collectMetrics(): Promise<ResourceMetrics>;
}

/** Content type of the Prometheus text exposition format that `renderMetrics` produces. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Probe and scrape paths: never traced, or every probe would be a trace of its own. */
export const UNTRACED_HTTP_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

// One slot per process (not per module copy), like the OpenTelemetry API's own globals, so the HTTP layer finds the
// telemetry the app's instrumentation.ts started.
const ACTIVE = Symbol.for('@signal-mesh/util-otel/active-telemetry');
const slots = globalThis as unknown as Record<symbol, Telemetry | undefined>;

/** The telemetry started in this process, if any. */
export function activeTelemetry(): Telemetry | undefined {
  return slots[ACTIVE];
}

/** The active telemetry's metrics in Prometheus text format; undefined when none was started. */
export async function renderPrometheusMetrics(): Promise<string | undefined> {
  return activeTelemetry()?.renderMetrics();
}

function pathOf(url: string | undefined): string {
  return (url ?? '').split('?')[0] ?? '';
}

/**
 * A MongoDB command as a span attribute: its shape only. Every value becomes '?', an array shows its first element,
 * binary payloads (mongodb 7 sends bulk writes as document sequences) collapse, and the text is capped.
 */
export function mongoCommandShape(command: Record<string, unknown>): string {
  const shape = (value: unknown, depth: number): unknown => {
    if (Array.isArray(value)) return value.length === 0 ? [] : [shape(value[0], depth + 1)];
    // BSON values (ObjectId, Long, …) are values too, however they are built inside.
    if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && !('_bsontype' in value) && depth < 6) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shape(v, depth + 1)]));
    }
    return '?';
  };
  return JSON.stringify(shape(command, 0)).slice(0, 1_000);
}

function autoInstrumentations(): Instrumentation[] {
  return [
    new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => UNTRACED_HTTP_PATHS.has(pathOf(request.url)) }),
    // Metadata (x-api-key) is never copied into span attributes: no metadataToSpanAttributes.
    new GrpcInstrumentation(),
    // Spans only inside a trace (requireParentSpan), the command's shape only: never a stored value such as a note.
    new MongoDBInstrumentation({ enhancedDatabaseReporting: false, requireParentSpan: true, dbStatementSerializer: mongoCommandShape }),
  ] as Instrumentation[];
}

/**
 * Starts the OpenTelemetry SDK: traces, and metrics read by a Prometheus reader that starts no server of its own
 * (the service's HTTP port serves GET /metrics) plus, with an endpoint, an OTLP/HTTP push of both. Call it before
 * anything else is imported (each app's instrumentation.ts), so instrumentations patch modules as they load.
 * Settings come only from the options: without an endpoint nothing is exported and nothing is attempted.
 */
export function startTelemetry({ serviceName, endpoint, spanProcessors = [], instrumentations = true, metricExportIntervalMs = 15_000 }: TelemetryOptions): Telemetry {
  const base = endpoint?.replace(/\/$/, '');
  const processors: SpanProcessor[] = [...spanProcessors];
  if (base) processors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${base}/v1/traces` }) }));
  // A processor is needed for the SDK to install a tracer provider at all: trace ids in logs and in
  // propagated headers must exist even when nothing is exported.
  if (processors.length === 0) processors.push(new NoopSpanProcessor());

  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const serializer = new PrometheusSerializer();
  const readers: IMetricReader[] = [prometheus];
  if (base) readers.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }), exportIntervalMillis: metricExportIntervalMs }));

  const installed = instrumentations ? autoInstrumentations() : [];
  const sdk = new NodeSDK({ serviceName, spanProcessors: processors, instrumentations: installed, metricReaders: readers, logRecordProcessors: [] });
  sdk.start();

  const collectMetrics = async (): Promise<ResourceMetrics> => {
    const { resourceMetrics, errors } = await prometheus.collect();
    if (errors.length > 0) throw new AggregateError(errors, 'metric collection failed');
    return resourceMetrics;
  };
  let stopped: Promise<void> | undefined;
  const telemetry: Telemetry = {
    collectMetrics,
    renderMetrics: async () => serializer.serialize(await collectMetrics()),
    shutdown: () => {
      stopped ??= sdk.shutdown().finally(() => {
        for (const instrumentation of installed) instrumentation.disable();
        // So a later startTelemetry in the same process (tests) can register its providers again.
        trace.disable();
        metrics.disable();
        propagation.disable();
        context.disable();
        if (slots[ACTIVE] === telemetry) slots[ACTIVE] = undefined;
      });
      return stopped;
    },
  };
  slots[ACTIVE] = telemetry;
  return telemetry;
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
