import { type Signal, Topics } from '@signal-mesh/contracts';
import type { SignalRecord } from '@signal-mesh/signals-domain';
import { encodeSubmission, recordToSignal, submissionToEvent } from '@signal-mesh/signals-event-mapping';
import type { KafkaProducer, OutgoingRecord } from '@signal-mesh/transport-kafka';

import type { PublishItem, SubmissionPublisher, ViewLookup } from './ports';

/**
 * Records per produce request are capped by size, not count: the broker refuses a record batch over
 * `message.max.bytes` (1 MiB by default), and one request carries a batch per partition.
 */
const MAX_SEND_BYTES = 512 * 1024;

/** SubmissionEvents to the submissions topic, keyed by signal id; resolves only once every record is durable. */
export class KafkaSubmissionPublisher implements SubmissionPublisher {
  constructor(
    private readonly producer: Pick<KafkaProducer, 'send'>,
    private readonly topic: string = Topics.submissions.name,
    private readonly maxSendBytes = MAX_SEND_BYTES,
  ) {}

  async publish(items: readonly PublishItem[]): Promise<void> {
    const records: OutgoingRecord[] = items.map(({ submission, idempotencyKey, acceptedAt }) => ({
      key: submission.signalId,
      value: encodeSubmission(submissionToEvent(submission, { idempotencyKey, acceptedAt })),
    }));
    let group: OutgoingRecord[] = [];
    let bytes = 0;
    for (const record of records) {
      if (group.length > 0 && bytes + record.value.byteLength > this.maxSendBytes) {
        await this.producer.send(this.topic, group);
        group = [];
        bytes = 0;
      }
      group.push(record);
      bytes += record.value.byteLength;
    }
    await this.producer.send(this.topic, group);
  }
}

/** What an organisation sees of a signal, computed by the trust service from the full state. */
export class TrustViewLookup implements ViewLookup {
  constructor(private readonly trust: { getView(orgId: string, signal: Signal): Promise<Signal | undefined> }) {}

  async visibleCategories(orgId: string, record: SignalRecord): Promise<readonly string[] | undefined> {
    const view = await this.trust.getView(orgId, recordToSignal(record));
    return view?.categories;
  }
}
