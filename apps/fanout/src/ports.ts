import type { Context } from '@opentelemetry/api';
import type { FeedEvent } from '@signal-mesh/contracts';
import type { FanoutState } from '@signal-mesh/feeds-data-access';

export type { FanoutState };

/** The fan-out's memory of signals (FanoutStateRepository satisfies it; unit tests use an in-memory fake). */
export interface FanoutStore {
  findMany(signalIds: readonly string[]): Promise<Map<string, FanoutState>>;
  /** Keeps only states newer than the stored ones; durable when resolved. */
  saveMany(states: readonly FanoutState[]): Promise<unknown>;
  /** Every stored state in signal id order, in pages of `batchSize`. */
  scan(batchSize: number): AsyncIterable<FanoutState[]>;
  /** The states whose events are about to be produced; durable when resolved. */
  recordInFlight(states: readonly FanoutState[]): Promise<void>;
  inFlight(): Promise<FanoutState[]>;
  clearInFlight(signalIds: readonly string[]): Promise<void>;
}

export interface FeedRecord {
  readonly event: FeedEvent;
  /** The trace the event continues: the fan-out's span under the input record (state or trust change) that caused it. */
  readonly traceContext?: Context;
}

/** Where feed events go: the feed topic, keyed by organisation id, in the order given. */
export interface FeedSink {
  /** Resolves only once every event is durable (acks=all). */
  publish(records: readonly FeedRecord[]): Promise<void>;
}
