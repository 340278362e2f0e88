import { deadLetterTopicName, Topics } from '@signal-mesh/contracts';
import type { SignalRecord, Submission } from '@signal-mesh/signals-domain';
import { decodeState, encodeSubmission, recordFromStateEvent, submissionToEvent } from '@signal-mesh/signals-event-mapping';
import { eventually, uniqueName } from '@signal-mesh/testing';
import { consumerLag, ensureTopics, type Kafka, KafkaConsumerRunner, type KafkaProducer, type OutgoingRecord, type RecordHeaders } from '@signal-mesh/transport-kafka';
import type { Logger } from '@signal-mesh/util-logging';



/** Topics of one suite: the catalogue's names under a unique prefix, so suites never see each other's records. */
export interface SuiteTopics {
  submissions: string;
  state: string;
  dlq: string;
}

export async function createSuiteTopics(kafka: Kafka, prefix = uniqueName('dedup')): Promise<SuiteTopics> {
  const topics = { submissions: `test.${prefix}.${Topics.submissions.name}`, state: `test.${prefix}.${Topics.signalState.name}` };
  const dlq = deadLetterTopicName(topics.submissions);
  await ensureTopics(kafka, [
    { ...Topics.submissions, name: topics.submissions },
    { ...Topics.signalState, name: topics.state },
    { name: dlq, partitions: 1, cleanupPolicy: 'delete', key: 'original key', payload: 'signalmesh.v1.DeadLetter' },
  ]);
  return { ...topics, dlq };
}

/** A SubmissionEvent record as ingest produces it: keyed by signal id. */
export function submissionRecord(submission: Submission, acceptedAt = new Date('2026-01-01T00:00:00Z')): OutgoingRecord {
  const idempotencyKey = submission.kind === 'contribution' ? `key-${submission.contribution.contributionId}` : `revoke-${submission.contributionId}`;
  return { key: submission.signalId, value: encodeSubmission(submissionToEvent(submission, { idempotencyKey, acceptedAt })) };
}

export interface StateEvent {
  record: SignalRecord;
  headers: RecordHeaders;
  offset: string;
}

/** Follows a state topic from the beginning: every state event, and the latest per signal id. */
export class StateTopicReader {
  readonly events: StateEvent[] = [];
  private runner: KafkaConsumerRunner<SignalRecord> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly deadLetters: KafkaProducer,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.runner = new KafkaConsumerRunner<SignalRecord>(this.kafka, {
      groupId: uniqueName('state-reader'),
      topics: [this.topic],
      decode: (value) => recordFromStateEvent(decodeState(value ?? Buffer.alloc(0))),
      handleBatch: async (records) => {
        for (const r of records) this.events.push({ record: r.value, headers: r.headers, offset: r.offset });
        return records.map(() => undefined);
      },
      deadLetters: this.deadLetters,
      logger: this.logger,
    });
    await this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner?.stop();
  }

  latest(signalId: string): StateEvent | undefined {
    return this.events.findLast((e) => e.record.signalId === signalId);
  }

  /** Waits for a state of `signalId` matching `predicate`. */
  waitFor(signalId: string, predicate: (record: SignalRecord) => boolean, what = `a state event of ${signalId}`): Promise<StateEvent> {
    return eventually(async () => this.events.findLast((e) => e.record.signalId === signalId && predicate(e.record)), { what });
  }
}


/** Waits until the group has committed everything on the topic. */
export async function waitForLagZero(kafka: Kafka, groupId: string, topic: string, timeoutMs = 60_000): Promise<void> {
  await eventually(
    async () => {
      const lag = await consumerLag(kafka, groupId, [topic]);
      return lag.length > 0 && lag.every((p) => p.lag === 0) ? true : undefined;
    },
    { what: `lag 0 for ${groupId}`, timeoutMs, intervalMs: 250 },
  );
}

export async function totalLag(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  return (await consumerLag(kafka, groupId, [topic])).reduce((sum, p) => sum + p.lag, 0);
}
