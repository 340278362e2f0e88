import { type Counter, metrics, type ObservableGauge, type ObservableResult } from '@opentelemetry/api';
import type { Logger } from '@signal-mesh/util-logging';
import type { Admin, Kafka } from 'kafkajs';

import { lagFromBroker, type PartitionLag } from './admin';

/** OpenTelemetry instrument names of the shared Kafka code; Prometheus shows dots as `_` and counters with `_total`. */
export const KafkaMetricNames = {
  /** Counter: records a consumer finished, attrs topic, group, outcome=processed|dead_lettered. */
  records: 'signal_mesh.kafka.records',
  /** Counter: records written to `<topic>.dlq`, attrs topic (the source), code. */
  deadLetters: 'signal_mesh.kafka.dead_letters',
  /** Counter: records acknowledged by the brokers, attr topic. */
  produced: 'signal_mesh.kafka.produced',
  /** Observable gauge: log end offset minus committed offset, attrs group, topic, partition. */
  consumerLag: 'signal_mesh.kafka.consumer_lag',
} as const;

const METER = '@signal-mesh/transport-kafka';

export interface KafkaInstruments {
  records: Counter;
  deadLetters: Counter;
  produced: Counter;
  consumerLag: ObservableGauge;
}

/**
 * The instruments, from the global meter provider as it is now. Runners and producers call this when they are
 * built, not at module load: until the SDK is started the API hands out no-op meters for good.
 */
export function kafkaInstruments(): KafkaInstruments {
  const meter = metrics.getMeter(METER);
  return {
    records: meter.createCounter(KafkaMetricNames.records, { description: 'Records a consumer finished, by outcome' }),
    deadLetters: meter.createCounter(KafkaMetricNames.deadLetters, { description: 'Records sent to a dead-letter topic, by source topic and error code' }),
    produced: meter.createCounter(KafkaMetricNames.produced, { description: 'Records acknowledged by the brokers' }),
    consumerLag: meter.createObservableGauge(KafkaMetricNames.consumerLag, { description: 'Records not yet committed by the group (log end offset minus committed offset)' }),
  };
}

export interface ConsumerLagGaugeOptions {
  kafka: Kafka;
  groupId: string;
  topics: readonly string[];
  gauge: ObservableGauge;
  logger: Logger;
  /** Broker round trips at most this often, however often metrics are read (default 5 s). */
  refreshMs?: number;
  /** A read of the metrics waits at most this long for the broker, then reports the last known lag (default 2 s). */
  timeoutMs?: number;
}

/**
 * Reports the group's lag per partition from the broker (committed offsets vs high watermarks), so it keeps rising
 * while the consumer is paused or stuck. Refreshed when metrics are read (a scrape or an OTLP push), at most every
 * `refreshMs`, through one admin client kept open until `stop()`.
 */
export class ConsumerLagGauge {
  private admin: Admin | undefined;
  private samples: PartitionLag[] = [];
  private refreshedAt = 0;
  private refreshing: Promise<void> | undefined;
  private failing = false;
  private readonly callback = (result: ObservableResult) => this.observe(result);

  constructor(private readonly options: ConsumerLagGaugeOptions) {}

  start(): void {
    this.options.gauge.addCallback(this.callback);
  }

  async stop(): Promise<void> {
    this.options.gauge.removeCallback(this.callback);
    await this.refreshing;
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }

  private async observe(result: ObservableResult): Promise<void> {
    if (Date.now() - this.refreshedAt >= (this.options.refreshMs ?? 5_000)) {
      this.refreshing ??= this.refresh().finally(() => {
        this.refreshing = undefined;
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.options.timeoutMs ?? 2_000);
      });
      await Promise.race([this.refreshing, timeout]);
      clearTimeout(timer);
    }
    for (const { topic, partition, lag } of this.samples) result.observe(lag, { group: this.options.groupId, topic, partition });
  }

  private async refresh(): Promise<void> {
    const { kafka, groupId, topics, logger } = this.options;
    try {
      if (!this.admin) {
        const admin = kafka.admin();
        await admin.connect();
        this.admin = admin;
      }
      this.samples = await lagFromBroker(this.admin, groupId, topics);
      this.refreshedAt = Date.now();
      this.failing = false;
    } catch (err) {
      // The last known lag stays reported; one line per outage, not one per scrape.
      if (!this.failing) logger.warn({ err, groupId }, 'consumer lag could not be read from the broker');
      this.failing = true;
      this.refreshedAt = Date.now();
      const admin = this.admin;
      this.admin = undefined;
      await admin?.disconnect().catch(() => undefined);
    }
  }
}
