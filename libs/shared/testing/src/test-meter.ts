import type { Meter } from '@opentelemetry/api';
import { type DataPoint, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';

/** A pull reader: specs call collect(); there is nothing to flush or shut down. */
class CollectingReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** A meter whose data points a spec can read back: `points(name)` → every point of that instrument. */
export interface TestMeter {
  readonly meter: Meter;
  points(name: string): Promise<DataPoint<unknown>[]>;
  /** The sum (counters) or count (histograms) of the points whose attributes include `attrs`. */
  total(name: string, attrs?: Record<string, string>): Promise<number>;
}

export function testMeter(): TestMeter {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ readers: [reader] });
  const points = async (name: string): Promise<DataPoint<unknown>[]> => {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics.filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as DataPoint<unknown>[]));
  };
  return {
    meter: provider.getMeter('spec'),
    points,
    async total(name, attrs = {}) {
      const matching = (await points(name)).filter((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v));
      return matching.reduce((sum, p) => sum + (typeof p.value === 'number' ? p.value : (p.value as { count: number }).count), 0);
    },
  };
}
