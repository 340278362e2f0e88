import { encodeFeedEvent } from '@signal-mesh/feeds-event-mapping';
import type { KafkaProducer } from '@signal-mesh/transport-kafka';

import type { FeedRecord, FeedSink } from './ports';

// One produce request per this many events: a large re-evaluation is sent in bounded requests, in order (the
// producer has one request in flight per connection, so an organisation's events cannot overtake each other).
const RECORDS_PER_SEND = 1_000;

/** Feed events to the feed topic keyed by organisation id, each carrying the trace of the record that caused it. */
export class KafkaFeedPublisher implements FeedSink {
  constructor(
    private readonly producer: KafkaProducer,
    private readonly topic: string,
  ) {}

  async publish(records: readonly FeedRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += RECORDS_PER_SEND) {
      await this.producer.send(
        this.topic,
        records.slice(i, i + RECORDS_PER_SEND).map(({ event, traceContext }) => ({
          key: event.orgId,
          value: encodeFeedEvent(event),
          ...(traceContext ? { traceContext } : {}),
        })),
      );
    }
  }
}
