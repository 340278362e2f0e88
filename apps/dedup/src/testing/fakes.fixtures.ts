import type { SignalRecord, Submission } from '@signal-mesh/signals-domain';
import type { ConsumedRecord, RecordHeaders } from '@signal-mesh/transport-kafka';

import type { ExpiringSignalStore, SignalStore, SignalWrite, StateSink, StateToPublish } from '../ports';

/** MongoDB's contract in memory: unique ids, versioned replaces, and hooks to lose races on purpose. */
export class InMemorySignalStore implements SignalStore, ExpiringSignalStore {
  readonly records = new Map<string, SignalRecord>();
  readonly writes: SignalWrite[][] = [];
  findManyCalls = 0;
  /** Called before each write is checked: lets a test change a record "under" the processor. */
  beforeWrite: ((write: SignalWrite) => void) | undefined;
  failWrites: Error | undefined;

  async findMany(ids: readonly string[]): Promise<Map<string, SignalRecord>> {
    this.findManyCalls += 1;
    const out = new Map<string, SignalRecord>();
    for (const id of ids) {
      const record = this.records.get(id);
      if (record) out.set(id, record);
    }
    return out;
  }

  async writeBatch(writes: SignalWrite[]): Promise<{ conflicts: string[] }> {
    if (this.failWrites) throw this.failWrites;
    this.writes.push(writes);
    const conflicts: string[] = [];
    for (const write of writes) {
      this.beforeWrite?.(write);
      const stored = this.records.get(write.record.signalId);
      const ok = write.expectedVersion === undefined ? stored === undefined : stored?.version === write.expectedVersion;
      if (ok) this.records.set(write.record.signalId, write.record);
      else conflicts.push(write.record.signalId);
    }
    return { conflicts };
  }

  async findDueForExpiry(now: Date, limit: number): Promise<SignalRecord[]> {
    return [...this.records.values()]
      .filter((r) => r.nextExpiryAt !== undefined && r.nextExpiryAt.getTime() <= now.getTime())
      .sort((a, b) => (a.nextExpiryAt?.getTime() ?? 0) - (b.nextExpiryAt?.getTime() ?? 0))
      .slice(0, limit);
  }
}

export class RecordingStateSink implements StateSink {
  readonly published: StateToPublish[][] = [];
  fail: Error | undefined;

  async publish(states: readonly StateToPublish[]): Promise<void> {
    if (this.fail) throw this.fail;
    this.published.push([...states]);
  }

  /** The last published state of each signal. */
  latest(): Map<string, StateToPublish> {
    return new Map(this.published.flat().map((s) => [s.record.signalId, s]));
  }
}

let offset = 0;

/** A consumed record carrying a submission (the processor under test maps it with the identity function). */
export function consumed(submission: Submission, headers: RecordHeaders = {}): ConsumedRecord<Submission> {
  offset += 1;
  return { topic: 'signals.submissions.v1', partition: 0, offset: String(offset), key: submission.signalId, value: submission, headers, timestamp: '0' };
}
