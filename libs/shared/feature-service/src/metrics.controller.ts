import { Controller, Get, Header } from '@nestjs/common';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheusMetrics } from '@signal-mesh/util-otel';

/**
 * GET /metrics: every instrument of the process (the apps' own through @opentelemetry/api, the shared Kafka ones) in
 * the Prometheus text format, from the telemetry the app's instrumentation.ts started. Empty when none was started.
 */
@Controller()
export class MetricsController {
  @Get('metrics')
  @Header('Content-Type', PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  async metrics(): Promise<string> {
    return (await renderPrometheusMetrics()) ?? '';
  }
}
