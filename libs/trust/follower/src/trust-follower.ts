import { TrustChangeEvent } from '@signal-mesh/contracts';
import { type Kafka, type RawRecord, TopicReader } from '@signal-mesh/transport-kafka';
import { type TrustChange, type TrustChangeResult, type TrustContext, TrustSnapshot } from '@signal-mesh/trust-domain';
import { trustChangeFromEvent } from '@signal-mesh/trust-event-mapping';
import type { Logger } from '@signal-mesh/util-logging';

/** A decoded trust record, or undefined for a tombstone or a record this reader cannot use (logged). */
export function trustChangeFromRecord(record: Pick<RawRecord, 'value' | 'partition' | 'offset'>, logger: Logger): TrustChange | undefined {
  if (record.value === null) return undefined; // compaction tombstone: the entity's last state was already applied
  try {
    return trustChangeFromEvent(TrustChangeEvent.decode(record.value));
  } catch (err) {
    logger.warn({ err, partition: record.partition, offset: record.offset }, 'skipping an unusable trust record');
    return undefined;
  }
}

export interface LoadTrustSnapshotOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly logger: Logger;
  /** Read every partition up to (excluding) this offset; partitions not listed are not read. */
  readonly until: ReadonlyMap<number, string>;
  readonly snapshot?: TrustSnapshot;
}

/**
 * The trust state as of the given offsets: the fan-out rebuilds the snapshot up to its committed offsets, so the
 * changes after them are re-evaluated against the right "before" when it consumes them again.
 */
export async function loadTrustSnapshot(options: LoadTrustSnapshotOptions): Promise<TrustSnapshot> {
  const snapshot = options.snapshot ?? new TrustSnapshot();
  const logger = options.logger.child({ component: 'trust-snapshot-loader' });
  const partitions = [...options.until.keys()];
  if (partitions.length === 0) return snapshot;
  const reader = await TopicReader.start({
    kafka: options.kafka,
    topic: options.topic,
    logger,
    from: 'earliest',
    partitions,
    groupIdPrefix: 'trust-snapshot',
    onRecords: async (records) => {
      for (const record of records) {
        if (BigInt(record.offset) >= BigInt(options.until.get(record.partition) ?? '0')) break;
        const change = trustChangeFromRecord(record, logger);
        if (change) snapshot.apply(change);
      }
    },
  });
  try {
    await reader.reachOffsets(options.until);
  } finally {
    await reader.stop();
  }
  return snapshot;
}

export interface TrustFollowerOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly logger: Logger;
  /** Called after each applied change with the context before it (e.g. to close streams of a suspended org). */
  readonly onChange?: (change: TrustChange, result: TrustChangeResult, before: TrustContext) => void;
}

/**
 * A live TrustSnapshot of the trust topic for read-side services (feed, delisting): start() resolves once the
 * snapshot holds everything that was on the topic when it was called; later changes are applied as they arrive.
 */
export class TrustFollower {
  readonly snapshot = new TrustSnapshot();
  private constructor(private reader: TopicReader | undefined) {}

  static async start(options: TrustFollowerOptions): Promise<TrustFollower> {
    const logger = options.logger.child({ component: 'trust-follower' });
    const follower = new TrustFollower(undefined);
    follower.reader = await TopicReader.start({
      kafka: options.kafka,
      topic: options.topic,
      logger,
      from: 'earliest',
      groupIdPrefix: 'trust-follower',
      onRecords: async (records) => {
        for (const record of records) {
          const change = trustChangeFromRecord(record, logger);
          if (!change) continue;
          const before = options.onChange ? follower.snapshot.context(new Date()) : undefined;
          const result = follower.snapshot.apply(change);
          if (result.changed && before) options.onChange?.(change, result, before);
        }
      },
    });
    await follower.reader.catchUp();
    return follower;
  }

  context(now: Date = new Date()): TrustContext {
    return this.snapshot.context(now);
  }

  async stop(): Promise<void> {
    await this.reader?.stop();
  }
}
