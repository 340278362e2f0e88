import type { Context } from '@opentelemetry/api';
import type { SignalRecord } from '@signal-mesh/signals-domain';

/** A versioned write: `expectedVersion` undefined inserts, else replaces only the record still at that version. */
export interface SignalWrite {
  readonly record: SignalRecord;
  readonly expectedVersion: number | undefined;
}

/** The canonical signals in MongoDB (SignalRepository satisfies it; unit tests use an in-memory fake). */
export interface SignalStore {
  findMany(ids: readonly string[]): Promise<Map<string, SignalRecord>>;
  /** Durable when resolved. `conflicts`: ids whose insert hit an existing record or whose version had moved on. */
  writeBatch(writes: SignalWrite[]): Promise<{ conflicts: string[] }>;
}

/** The expiry sweeper's view of the store. */
export interface ExpiringSignalStore extends Pick<SignalStore, 'writeBatch'> {
  /** Records whose nextExpiryAt is at or before `now`, oldest first, at most `limit`. */
  findDueForExpiry(now: Date, limit: number): Promise<SignalRecord[]>;
}

export interface StateToPublish {
  readonly record: SignalRecord;
  /** The trace the state event continues: the `dedup merge` span under the submission that last contributed. */
  readonly traceContext?: Context;
}

/** Where full states go: the compacted state topic, keyed by signal id. */
export interface StateSink {
  /** Resolves only once every state is durable (acks=all). */
  publish(states: readonly StateToPublish[]): Promise<void>;
}
