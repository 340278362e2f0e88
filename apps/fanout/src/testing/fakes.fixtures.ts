import { TrustChangeEvent, TrustChangeKind } from '@signal-mesh/contracts';
import { decodeFeedEvent, encodeFeedEvent } from '@signal-mesh/feeds-event-mapping';
import type { ConsumedRecord, RecordHeaders } from '@signal-mesh/transport-kafka';
import type { Organisation, SharingGroup } from '@signal-mesh/trust-domain';
import { organisationKinds, organisationStatuses } from '@signal-mesh/trust-event-mapping';

import type { RawValue } from '../fanout-processor';
import type { FanoutState, FanoutStore, FeedRecord, FeedSink } from '../ports';

export const STATE_TOPIC = 'signals.state.v1';
export const TRUST_TOPIC = 'trust.changes.v1';

/** fanout_signals and fanout_inflight in memory, with call counters and a hook to fail on purpose. */
export class InMemoryFanoutStore implements FanoutStore {
  readonly states = new Map<string, FanoutState>();
  readonly inFlightStates = new Map<string, FanoutState>();
  findManyCalls = 0;
  saveCalls = 0;
  failSave: Error | undefined;

  async findMany(ids: readonly string[]): Promise<Map<string, FanoutState>> {
    this.findManyCalls += 1;
    return new Map(ids.flatMap((id) => (this.states.has(id) ? [[id, this.states.get(id) as FanoutState] as const] : [])));
  }

  async saveMany(states: readonly FanoutState[]): Promise<void> {
    this.saveCalls += 1;
    if (this.failSave) throw this.failSave;
    for (const s of states) {
      const stored = this.states.get(s.signalId);
      if (!stored || BigInt(stored.version) < BigInt(s.version)) this.states.set(s.signalId, s);
    }
  }

  async *scan(batchSize: number): AsyncGenerator<FanoutState[]> {
    const all = [...this.states.values()].sort((a, b) => (a.signalId < b.signalId ? -1 : 1));
    for (let i = 0; i < all.length; i += batchSize) yield all.slice(i, i + batchSize);
  }

  async recordInFlight(states: readonly FanoutState[]): Promise<void> {
    for (const s of states) this.inFlightStates.set(s.signalId, s);
  }

  async inFlight(): Promise<FanoutState[]> {
    return [...this.inFlightStates.values()];
  }

  async clearInFlight(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.inFlightStates.delete(id);
  }
}

export class RecordingFeedSink implements FeedSink {
  readonly published: FeedRecord[][] = [];
  fail: Error | undefined;

  async publish(records: readonly FeedRecord[]): Promise<void> {
    if (this.fail) throw this.fail;
    this.published.push([...records]);
  }

  /** Every event so far, round-tripped through the wire format (as a feed reader would see it). */
  events(): ReturnType<typeof decodeFeedEvent>[] {
    return this.published.flat().map((r) => decodeFeedEvent(encodeFeedEvent(r.event)));
  }

  clear(): void {
    this.published.length = 0;
  }
}

let offset = 0;

export function consumed(topic: string, value: RawValue, headers: RecordHeaders = {}): ConsumedRecord<RawValue> {
  offset += 1;
  return { topic, partition: 0, offset: String(offset), key: undefined, value, headers, timestamp: '0' };
}

let trustVersion = 0;

/** A trust-topic record for an organisation (as the trust service writes it). */
export function orgRecord(org: Organisation, deleted = false): ConsumedRecord<RawValue> {
  trustVersion += 1;
  const event = TrustChangeEvent.fromPartial({
    entityId: `organisation/${org.orgId}`,
    version: String(trustVersion),
    change: deleted ? TrustChangeKind.TRUST_CHANGE_KIND_DELETED : TrustChangeKind.TRUST_CHANGE_KIND_UPDATED,
    entity: { $case: 'organisation', value: { orgId: org.orgId, kind: organisationKinds.toProto(org.kind), tier: org.tier, status: organisationStatuses.toProto(org.status) } },
  });
  return consumed(TRUST_TOPIC, Buffer.from(TrustChangeEvent.encode(event).finish()));
}

/** A trust-topic record for a sharing group. */
export function groupRecord(group: SharingGroup): ConsumedRecord<RawValue> {
  trustVersion += 1;
  const event = TrustChangeEvent.fromPartial({
    entityId: `sharing-group/${group.groupId}`,
    version: String(trustVersion),
    change: TrustChangeKind.TRUST_CHANGE_KIND_UPDATED,
    entity: { $case: 'sharingGroup', value: { groupId: group.groupId, memberOrgIds: [...group.memberOrgIds] } },
  });
  return consumed(TRUST_TOPIC, Buffer.from(TrustChangeEvent.encode(event).finish()));
}
