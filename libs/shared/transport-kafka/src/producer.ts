import { type Context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from '@signal-mesh/util-logging';
import { injectTraceContext } from '@signal-mesh/util-otel';
import { type Kafka, Partitioners, type Producer, type RecordMetadata } from 'kafkajs';

import type { RecordHeaders } from './headers';
import { type KafkaInstruments,kafkaInstruments } from './metrics';

export interface OutgoingRecord {
  /** Partitioning key: all records with one key stay in order on one partition. */
  key: string;
  value: Uint8Array;
  headers?: RecordHeaders;
  /**
   * The trace this record continues, written into its headers. Default: the active one (the publish span). A
   * batch consumer that emits one record per input sets the input's context here, so the trace stays per item.
   */
  traceContext?: Context;
}

const tracer = trace.getTracer('@signal-mesh/transport-kafka');

/**
 * The mesh's producer: idempotent, `acks=all`, one request in flight per broker connection so retries cannot
 * reorder a key's records. `send` resolves only when every replica in sync has the records: a success
 * answered to a caller after it means the data is durable.
 */
export class KafkaProducer {
  private readonly metrics: KafkaInstruments = kafkaInstruments();

  private constructor(
    private readonly producer: Producer,
    private readonly logger: Logger,
  ) {}

  static async connect(kafka: Kafka, logger: Logger): Promise<KafkaProducer> {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // The Java client's murmur2 partitioner: a key lands on the same partition whichever client produced it.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    return new KafkaProducer(producer, logger.child({ component: 'kafka-producer' }));
  }

  async send(topic: string, records: readonly OutgoingRecord[]): Promise<RecordMetadata[]> {
    if (records.length === 0) return [];
    return tracer.startActiveSpan(`${topic} publish`, { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.batch.message_count': records.length } }, async (span) => {
      try {
        const acknowledged = await this.producer.send({
          topic,
          acks: -1,
          messages: records.map((r) => ({
            key: r.key,
            value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
            headers: injectTraceContext({ ...r.headers }, r.traceContext) as RecordHeaders,
          })),
        });
        this.metrics.produced.add(records.length, { topic });
        // One partition (one key, the usual case): where the records landed. Keys and values never go on spans.
        const only = acknowledged.length === 1 ? acknowledged[0] : undefined;
        if (only) span.setAttributes({ 'messaging.kafka.destination.partition': only.partition, 'messaging.kafka.message.offset': only.baseOffset ?? '' });
        return acknowledged;
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        this.logger.error({ err, topic, count: records.length }, 'publish failed');
        throw err;
      } finally {
        span.end();
      }
    });
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
  }
}
