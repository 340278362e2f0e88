import { encodeState, recordToStateEvent } from '@signal-mesh/signals-event-mapping';
import type { KafkaProducer } from '@signal-mesh/transport-kafka';

import type { StateSink, StateToPublish } from './ports';

/**
 * Full states to the compacted state topic, keyed by signal id, in one acks=all send. Each record carries the trace
 * context of its `dedup merge` span (under the submission that last contributed to it), so a signal's trace runs on through fan-out.
 */
export class KafkaStatePublisher implements StateSink {
  constructor(
    private readonly producer: KafkaProducer,
    private readonly topic: string,
    private readonly clock: () => Date,
  ) {}

  async publish(states: readonly StateToPublish[]): Promise<void> {
    if (states.length === 0) return;
    const emittedAt = this.clock();
    await this.producer.send(
      this.topic,
      states.map(({ record, traceContext }) => ({
        key: record.signalId,
        value: encodeState(recordToStateEvent(record, emittedAt)),
        ...(traceContext ? { traceContext } : {}),
      })),
    );
  }
}
