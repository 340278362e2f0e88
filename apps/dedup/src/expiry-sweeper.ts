import { reevaluate } from '@signal-mesh/signals-domain';
import type { Logger } from '@signal-mesh/util-logging';

import type { ExpiringSignalStore, SignalWrite, StateSink } from './ports';

export interface ExpirySweeperDeps {
  store: ExpiringSignalStore;
  sink: StateSink;
  clock: () => Date;
  logger: Logger;
  /** Records per query. */
  limit: number;
  /** Queries per sweep at most, so one sweep cannot run for ever behind a flood of expiries. Default 20. */
  maxRounds?: number;
}

/**
 * Signals change status without any event when contributions pass their valid-until (ACTIVE → EXPIRED, or a
 * dispute running out). The sweeper finds records whose earliest valid-until has passed, re-derives them, writes
 * the changed ones guarded by their version and publishes their new state, like a merge would.
 *
 * A conflict means a submission changed the record meanwhile: the consumer's write already re-derived it at its
 * own `now`, and if it is still due the next sweep picks it up, so conflicts are skipped, never retried here.
 */
export class ExpirySweeper {
  constructor(private readonly deps: ExpirySweeperDeps) {}

  /** One sweep: returns how many signals changed status (or aggregates) and were published. */
  async sweep(): Promise<number> {
    const { store, sink, clock, logger, limit } = this.deps;
    let total = 0;
    for (let round = 0; round < (this.deps.maxRounds ?? 20); round++) {
      const now = clock();
      const due = await store.findDueForExpiry(now, limit);
      const writes: SignalWrite[] = [];
      for (const record of due) {
        const next = reevaluate(record, now);
        if (next.changed) writes.push({ record: next.record, expectedVersion: record.version });
      }
      if (writes.length === 0) break;
      const { conflicts } = await store.writeBatch(writes);
      const skipped = new Set(conflicts);
      const written = writes.filter((w) => !skipped.has(w.record.signalId));
      if (written.length > 0) await sink.publish(written.map((w) => ({ record: w.record })));
      total += written.length;
      if (conflicts.length > 0) logger.info({ conflicts: conflicts.length }, 'signals changed during the expiry sweep; left for the next one');
      // A short page means nothing else is due now.
      if (due.length < limit) break;
    }
    if (total > 0) logger.info({ changed: total }, 'expiry sweep re-evaluated signals');
    return total;
  }
}
