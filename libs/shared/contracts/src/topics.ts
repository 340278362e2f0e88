// The Kafka topic catalogue: every topic the mesh uses, with its partitions and cleanup policy.
// Versioned names: a breaking payload change gets a new suffix, never an in-place edit.
// This file has no imports so tools can load it directly (Node type stripping) to create topics.

export type CleanupPolicy = 'delete' | 'compact';

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly cleanupPolicy: CleanupPolicy;
  /** Key that orders the topic's records; documents the partitioning contract. */
  readonly key: string;
  /** Protobuf message (signalmesh.v1) carried as the record value. */
  readonly payload: string;
  readonly retentionMs?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const Topics = {
  submissions: {
    name: 'signals.submissions.v1',
    partitions: 6,
    cleanupPolicy: 'delete',
    key: 'signal id',
    payload: 'signalmesh.v1.SubmissionEvent',
    retentionMs: 14 * DAY_MS,
  },
  signalState: {
    name: 'signals.state.v1',
    partitions: 6,
    cleanupPolicy: 'compact',
    key: 'signal id',
    payload: 'signalmesh.v1.SignalStateEvent',
  },
  trustChanges: {
    name: 'trust.changes.v1',
    partitions: 1,
    cleanupPolicy: 'compact',
    key: 'entity id',
    payload: 'signalmesh.v1.TrustChangeEvent',
  },
  feeds: {
    name: 'feeds.v1',
    partitions: 6,
    cleanupPolicy: 'delete',
    key: 'organisation id',
    payload: 'signalmesh.v1.FeedEvent',
    retentionMs: 30 * DAY_MS,
  },
} as const satisfies Record<string, TopicSpec>;

/** Dead-letter topic for records a consumer of `topic` could not process; same retention as long as possible. */
export function deadLetterTopicName(topic: string): string {
  return `${topic}.dlq`;
}

/** Every topic to create, dead-letter topics of the consumed ones included. */
export function allTopicSpecs(): TopicSpec[] {
  const base: TopicSpec[] = Object.values(Topics);
  const consumed = [Topics.submissions, Topics.signalState, Topics.trustChanges, Topics.feeds];
  const dlqs: TopicSpec[] = consumed.map((t) => ({
    name: deadLetterTopicName(t.name),
    partitions: 1,
    cleanupPolicy: 'delete',
    key: 'original key',
    payload: 'signalmesh.v1.DeadLetter',
    retentionMs: 90 * DAY_MS,
  }));
  return [...base, ...dlqs];
}
