import { randomUUID } from 'node:crypto';

import type { Logger } from '@signal-mesh/util-logging';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';

import { decodeHeaders, type RecordHeaders } from './headers';

/** One raw record as a reader sees it; decoding is the caller's business. */
export interface RawRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | undefined;
  readonly value: Buffer | null;
  readonly headers: RecordHeaders;
  readonly timestamp: string;
}

/** Low watermark (log start) and high watermark (next offset to be written) of one partition. */
export interface PartitionWatermarks {
  readonly partition: number;
  readonly low: string;
  readonly high: string;
}

export interface TopicReaderOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly logger: Logger;
  /**
   * Where each partition starts. 'earliest' (default) or 'latest' (the high watermark when the reader starts), or an
   * explicit next offset per partition (partitions not listed start at their high watermark).
   */
  readonly from?: 'earliest' | 'latest' | ReadonlyMap<number, string>;
  /** Only these partitions are read (the others are paused); default all. */
  readonly partitions?: readonly number[];
  /**
   * Called with the records of one partition in offset order, one call at a time per partition. While it runs
   * the reader fetches nothing more for that partition: awaiting here is the backpressure.
   */
  readonly onRecords: (records: RawRecord[]) => Promise<void>;
  /** Prefix of the throwaway consumer group id (the reader never commits offsets). */
  readonly groupIdPrefix?: string;
}

export async function fetchWatermarks(kafka: Kafka, topic: string): Promise<PartitionWatermarks[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, low: p.low, high: p.high })).sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads a topic without a consumer group of record: a throwaway group that never commits, positions chosen by the
 * caller. For materialising compacted topics (trust snapshot), tailing a feed partition, or catching up from a
 * cursor. Records arrive in offset order per partition and never twice or out of order within one reader, whatever
 * kafkajs does while seeking (records before the expected position are dropped).
 */
export class TopicReader {
  private readonly next = new Map<number, bigint>();
  private readonly waiters: { targets: ReadonlyMap<number, bigint>; resolve: () => void; reject: (err: Error) => void }[] = [];
  private failed: Error | undefined;

  private constructor(
    private readonly consumer: Consumer,
    private readonly options: TopicReaderOptions,
  ) {}

  static async start(options: TopicReaderOptions): Promise<TopicReader> {
    const { kafka, topic } = options;
    const watermarks = await fetchWatermarks(kafka, topic);
    const wanted = new Set(options.partitions ?? watermarks.map((w) => w.partition));
    const from = options.from ?? 'earliest';
    const consumer = kafka.consumer({ groupId: `${options.groupIdPrefix ?? 'reader'}-${randomUUID()}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
    const reader = new TopicReader(consumer, options);
    for (const w of watermarks) {
      if (!wanted.has(w.partition)) continue;
      const start = from === 'earliest' ? BigInt(w.low) : from === 'latest' ? BigInt(w.high) : BigInt(from.get(w.partition) ?? w.high);
      reader.next.set(w.partition, start < BigInt(w.low) ? BigInt(w.low) : start);
    }
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart) return;
      reader.fail(event.payload.error);
    });
    await consumer.connect();
    // From the beginning, then seek: whatever kafkajs fetches before a seek applies is earlier than the target and dropped.
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: true, partitionsConsumedConcurrently: Math.max(1, wanted.size), eachBatch: (payload) => reader.eachBatch(payload) });
    const others = watermarks.map((w) => w.partition).filter((p) => !wanted.has(p));
    if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
    for (const [partition, offset] of reader.next) consumer.seek({ topic, partition, offset: offset.toString() });
    return reader;
  }

  /** The next offset this reader will hand out for `partition`, or undefined when it does not read it. */
  position(partition: number): string | undefined {
    return this.next.get(partition)?.toString();
  }

  /** Resolves once every given partition's position is at or beyond its target offset. */
  reachOffsets(targets: ReadonlyMap<number, string>): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    const wanted = new Map([...targets].filter(([partition]) => this.next.has(partition)).map(([partition, offset]) => [partition, BigInt(offset)] as const));
    if (this.reached(wanted)) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ targets: wanted, resolve, reject }));
  }

  /** Resolves once the reader has handed out everything that was in the topic when this was called. */
  async catchUp(): Promise<void> {
    const watermarks = await fetchWatermarks(this.options.kafka, this.options.topic);
    await this.reachOffsets(new Map(watermarks.map((w) => [w.partition, w.high])));
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    this.fail(new Error('topic reader stopped'));
  }

  private reached(targets: ReadonlyMap<number, bigint>): boolean {
    for (const [partition, target] of targets) if ((this.next.get(partition) ?? 0n) < target) return false;
    return true;
  }

  private fail(err: Error): void {
    this.failed ??= err;
    for (const waiter of this.waiters.splice(0)) waiter.reject(err);
  }

  private async eachBatch({ batch }: EachBatchPayload): Promise<void> {
    const expected = this.next.get(batch.partition);
    if (expected === undefined) return;
    const records: RawRecord[] = [];
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      if (offset < expected) continue;
      records.push({
        topic: batch.topic,
        partition: batch.partition,
        offset: message.offset,
        key: message.key?.toString(),
        value: message.value,
        headers: decodeHeaders(message.headers),
        timestamp: message.timestamp,
      });
    }
    if (records.length > 0) await this.options.onRecords(records);
    // The batch's end (not its last record): compacted topics and transaction markers leave offset gaps.
    const end = BigInt(batch.lastOffset()) + 1n;
    const lastRecord = records.at(-1);
    const last = lastRecord ? BigInt(lastRecord.offset) + 1n : expected;
    const position = end > last ? end : last;
    if (position > expected) this.next.set(batch.partition, position);
    for (const waiter of [...this.waiters]) {
      if (!this.reached(waiter.targets)) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}
