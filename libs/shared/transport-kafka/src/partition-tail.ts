import type { Logger } from '@signal-mesh/util-logging';
import type { Admin, Kafka } from 'kafkajs';

import { type PartitionWatermarks, type RawRecord, TopicReader } from './topic-reader';

/** A promise that resolves at the next notify(), shared by every waiter. */
class Notifier {
  private promise!: Promise<void>;
  private resolve!: () => void;
  constructor() {
    this.renew();
  }
  get next(): Promise<void> {
    return this.promise;
  }
  notify(): void {
    const resolve = this.resolve;
    this.renew();
    resolve();
  }
  private renew(): void {
    this.promise = new Promise<void>((resolve) => {
      this.resolve = resolve;
    });
  }
}

/** What a ring must know of a record: its offset. */
export interface OffsetRecord {
  readonly offset: string;
}

/**
 * The last `capacity` records of one partition, in offset order. `floor` is the first position the ring has complete
 * knowledge from: every record at an offset ≥ floor that was written so far is in the ring (or not yet fetched, and
 * will be pushed). A follower whose position is below the floor must read the partition itself.
 */
export class RecordRing<R extends OffsetRecord = RawRecord> {
  private readonly items: (R | undefined)[];
  private head = 0;
  private size = 0;
  private floorOffset: bigint;
  private readonly changes = new Notifier();

  constructor(
    readonly capacity: number,
    /** The position the tail started at (nothing before it is known). */
    floor: bigint,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.items = new Array<R | undefined>(capacity);
    this.floorOffset = floor;
  }

  get floor(): bigint {
    return this.floorOffset;
  }

  get length(): number {
    return this.size;
  }

  /** Appends records (offset order, as the tail reader hands them) and wakes every waiter once. */
  push(records: readonly R[]): void {
    for (const record of records) {
      if (this.size === this.capacity) {
        const evicted = this.items[this.head];
        this.items[this.head] = undefined;
        this.head = (this.head + 1) % this.capacity;
        this.size--;
        if (evicted) this.floorOffset = BigInt(evicted.offset) + 1n;
      }
      this.items[(this.head + this.size) % this.capacity] = record;
      this.size++;
    }
    if (records.length > 0) this.changes.notify();
  }

  /**
   * The first record at or after `position`, or undefined when there is none yet (or `position` is below the floor:
   * the ring cannot tell what lies between).
   */
  firstAtOrAfter(position: bigint): R | undefined {
    if (position < this.floorOffset || this.size === 0) return undefined;
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (BigInt(this.at(mid).offset) < position) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.size ? this.at(lo) : undefined;
  }

  /** Resolves on the next push (all waiters share one promise: O(1) per push). */
  whenChanged(): Promise<void> {
    return this.changes.next;
  }

  private at(index: number): R {
    return this.items[(this.head + index) % this.capacity] as R;
  }
}

/** Rejects with `signal.reason` once aborted; the listener is removed when `promise` settles first. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err as Error);
      },
    );
  });
}

export interface PartitionTailOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly logger: Logger;
  /** Records kept per partition. */
  readonly capacity: number;
  readonly groupIdPrefix?: string;
  /** How often a detached follower re-checks whether its reader passed an offset gap (no record to deliver). */
  readonly gapCheckMs?: number;
}

/** Where a follower reads from now (for tests and logs). */
export type FollowerMode = 'ring' | 'own-reader';

/**
 * One shared tail reader per process for a whole topic (from its high watermarks at start), keeping the last
 * `capacity` records of each partition in a ring, and followers that read one partition from any position: from the
 * ring when their position is within it, else with a reader of their own until they reach the ring. A slow follower
 * costs nothing but its position: the tail never waits for it, and once the ring has moved past it, it reads the
 * partition itself (one fetch batch buffered at most) until it has caught up.
 */
export class PartitionTail {
  private readonly rings = new Map<number, RecordRing>();
  private reader: TopicReader | undefined;
  private readonly followers = new Set<TailFollower>();
  private stopped = false;

  private constructor(
    private readonly options: PartitionTailOptions,
    private readonly admin: Admin,
    readonly partitionCount: number,
  ) {}

  static async start(options: PartitionTailOptions): Promise<PartitionTail> {
    const admin = options.kafka.admin();
    await admin.connect();
    try {
      const watermarks = await fetchOffsets(admin, options.topic);
      if (watermarks.length === 0) throw new Error(`topic ${options.topic} has no partitions`);
      const tail = new PartitionTail(options, admin, watermarks.length);
      const from = new Map<number, string>();
      for (const w of watermarks) {
        tail.rings.set(w.partition, new RecordRing<RawRecord>(options.capacity, BigInt(w.high)));
        from.set(w.partition, w.high);
      }
      tail.reader = await TopicReader.start({
        kafka: options.kafka,
        topic: options.topic,
        logger: options.logger,
        from,
        groupIdPrefix: options.groupIdPrefix ?? 'partition-tail',
        // Never waits for followers: a slow one falls out of the ring and reads on its own.
        onRecords: async (records) => {
          const first = records[0];
          if (first) tail.rings.get(first.partition)?.push(records);
        },
      });
      return tail;
    } catch (err) {
      await admin.disconnect().catch(() => undefined);
      throw err;
    }
  }

  /** Low (log start) and high (next offset) watermark of one partition, asked of the broker now. */
  async watermarks(partition: number): Promise<PartitionWatermarks> {
    const found = (await fetchOffsets(this.admin, this.options.topic)).find((w) => w.partition === partition);
    if (!found) throw new RangeError(`topic ${this.options.topic} has no partition ${partition}`);
    return found;
  }

  /** The ring of a partition (tests, metrics). */
  ring(partition: number): RecordRing | undefined {
    return this.rings.get(partition);
  }

  /** Resolves once the tail has handed out everything that was in the topic when this was called (readiness, tests). */
  async catchUp(): Promise<void> {
    await this.reader?.catchUp();
  }

  get followerCount(): number {
    return this.followers.size;
  }

  /** A follower of `partition` whose next record is the first at or after `position`. Close it when done. */
  follow(partition: number, position: bigint): TailFollower {
    const ring = this.rings.get(partition);
    if (!ring || this.stopped) throw new RangeError(`partition ${partition} is not tailed`);
    const follower = new TailFollower(ring, partition, position, {
      startReader: (from, onRecords) =>
        TopicReader.start({ kafka: this.options.kafka, topic: this.options.topic, logger: this.options.logger, from: new Map([[partition, from.toString()]]), partitions: [partition], groupIdPrefix: `${this.options.groupIdPrefix ?? 'partition-tail'}-catchup`, onRecords }),
      gapCheckMs: this.options.gapCheckMs ?? 500,
      logger: this.options.logger,
      onClose: (f) => this.followers.delete(f),
    });
    this.followers.add(follower);
    return follower;
  }

  /** Stops the tail reader and every follower's own reader (their pending next() calls reject). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.followers].map((f) => f.close()));
    await this.reader?.stop().catch((err: unknown) => this.options.logger.warn({ err }, 'tail reader did not stop cleanly'));
    await this.admin.disconnect().catch(() => undefined);
  }
}

async function fetchOffsets(admin: Admin, topic: string): Promise<PartitionWatermarks[]> {
  return (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, low: p.low, high: p.high })).sort((a, b) => a.partition - b.partition);
}

/** How a follower starts a reader of its own (injected so the switching logic is testable without Kafka). */
export interface FollowerDeps {
  startReader(from: bigint, onRecords: (records: RawRecord[]) => Promise<void>): Promise<Pick<TopicReader, 'position' | 'stop' | 'reachOffsets'>>;
  readonly gapCheckMs: number;
  readonly logger: Logger;
  onClose?(follower: TailFollower): void;
}

/** The follower's own reader: it hands over one fetch batch and fetches nothing more until the batch is consumed. */
interface OwnReader {
  readonly reader: Pick<TopicReader, 'position' | 'stop'>;
  readonly state: OwnState;
}

interface OwnState {
  queue: RawRecord[];
  consumed: (() => void) | undefined;
  readonly arrived: Notifier;
  failed: Error | undefined;
}

/**
 * Reads one partition from a position, in offset order, each record once: `next()` waits for the next record.
 * Pull-based, so the caller's own pace is the backpressure (it calls next() only once it could write the last one).
 * Not re-entrant: one next() at a time.
 */
export class TailFollower {
  private own: OwnReader | undefined;
  private starting: Promise<OwnReader> | undefined;
  private closed = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly ring: RecordRing,
    readonly partition: number,
    private nextOffset: bigint,
    private readonly deps: FollowerDeps,
  ) {}

  /** The next offset this follower hands out. */
  get position(): bigint {
    return this.nextOffset;
  }

  get mode(): FollowerMode {
    return this.own || this.starting ? 'own-reader' : 'ring';
  }

  /** The next record at or after the position; rejects once `signal` aborts or the follower is closed. */
  async next(signal?: AbortSignal): Promise<RawRecord> {
    const signals = signal ? AbortSignal.any([signal, this.abort.signal]) : this.abort.signal;
    for (;;) {
      if (signals.aborted) throw signals.reason as Error;
      if (this.nextOffset >= this.ring.floor) {
        if (this.own || this.starting) await this.releaseOwn('caught up with the ring');
        const changed = this.ring.whenChanged();
        const record = this.ring.firstAtOrAfter(this.nextOffset);
        if (record) return this.take(record);
        await abortable(changed, signals);
        continue;
      }
      const own = await abortable(this.ownReader(), signals);
      const record = await this.fromOwn(own, signals);
      if (record) return this.take(record);
    }
  }

  /** Releases the own reader, if any; pending next() calls reject. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort(new Error('follower closed'));
    this.deps.onClose?.(this);
    await this.releaseOwn('closed');
  }

  private take(record: RawRecord): RawRecord {
    this.nextOffset = BigInt(record.offset) + 1n;
    return record;
  }

  /** A record from the own reader, or undefined once the ring is reached (possibly across an offset gap). */
  private async fromOwn({ reader, state }: OwnReader, signal: AbortSignal): Promise<RawRecord | undefined> {
    for (;;) {
      if (signal.aborted) throw signal.reason as Error;
      if (state.failed) throw state.failed;
      while (state.queue.length > 0) {
        const record = state.queue.shift() as RawRecord;
        if (state.queue.length === 0) this.release(state);
        if (BigInt(record.offset) >= this.nextOffset) return record;
      }
      // Nothing buffered, so everything below the reader's position went through the queue: gaps are skipped.
      const position = BigInt(reader.position(this.partition) ?? '0');
      if (position > this.nextOffset) this.nextOffset = position;
      if (this.nextOffset >= this.ring.floor) return undefined;
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.deps.gapCheckMs);
      });
      try {
        await abortable(Promise.race([state.arrived.next, tick]), signal);
      } finally {
        clearTimeout(timer);
      }
    }
  }

  private release(state: OwnState): void {
    const consumed = state.consumed;
    state.consumed = undefined;
    consumed?.();
  }

  private ownReader(): Promise<OwnReader> {
    if (this.own) return Promise.resolve(this.own);
    this.starting ??= this.startOwn().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async startOwn(): Promise<OwnReader> {
    const from = this.nextOffset;
    // Info: a detached follower (a resumed old cursor, a slow client) costs a reader of its own.
    this.deps.logger.info({ partition: this.partition, from: from.toString(), floor: this.ring.floor.toString() }, 'follower reads the partition itself');
    const state: OwnState = { queue: [], consumed: undefined, arrived: new Notifier(), failed: undefined };
    const onRecords = (records: RawRecord[]): Promise<void> => {
      if (this.closed || records.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        // A copy: the reader still reads the batch (its last offset) once this resolves.
        state.queue = [...records];
        state.consumed = resolve;
        state.arrived.notify();
      });
    };
    const reader = await this.deps.startReader(from, onRecords);
    // A crashed reader rejects its waiters: never-reached target, so this settles only on failure or stop.
    reader.reachOffsets(new Map([[this.partition, '9223372036854775807']])).catch((err: unknown) => {
      state.failed = err instanceof Error ? err : new Error(String(err));
      state.arrived.notify();
    });
    if (this.closed) {
      await reader.stop().catch(() => undefined);
      throw new Error('follower closed');
    }
    this.own = { reader, state };
    return this.own;
  }

  private async releaseOwn(why: string): Promise<void> {
    const own = this.own ?? (await this.starting?.catch(() => undefined));
    this.own = undefined;
    if (!own) return;
    own.state.queue = [];
    this.release(own.state);
    this.deps.logger.info({ partition: this.partition, position: this.nextOffset.toString(), why }, 'follower released its own reader');
    await own.reader.stop().catch((err: unknown) => this.deps.logger.warn({ err }, 'own reader did not stop cleanly'));
  }
}
