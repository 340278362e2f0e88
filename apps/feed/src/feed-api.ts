import { setTimeout as sleep } from 'node:timers/promises';

import { type FeedEvent, hashAlgorithmToJSON, patternKindToJSON, type Signal, type SignalInput as ProtoSignalInput, signalTypeToJSON, type SubscriptionFilter, urlMatchScopeToJSON } from '@signal-mesh/contracts';
import type { StoredSubscription, SubscriptionRepository } from '@signal-mesh/feeds-data-access';
import { encodeCursor, type FeedFilter, feedPartitionOf, isEmptyFilter } from '@signal-mesh/feeds-domain';
import { applyFilter, decodeFeedEvent, filterFromProto, viewMatches } from '@signal-mesh/feeds-event-mapping';
import type { SignalRepository } from '@signal-mesh/signals-data-access';
import { canonicalizeSignal, type SignalInput } from '@signal-mesh/signals-domain';
import { recordToSignal } from '@signal-mesh/signals-event-mapping';
import type { PartitionTail, RawRecord, TailFollower } from '@signal-mesh/transport-kafka';
import type { Principal, TrustAction, TrustClient } from '@signal-mesh/trust-client';
import { type Organisation, type TrustContext, viewOf } from '@signal-mesh/trust-domain';
import { signalStateFromRecord, viewToProto } from '@signal-mesh/trust-event-mapping';
import type { Logger } from '@signal-mesh/util-logging';

import { FeedError } from './errors';
import { startPosition } from './start-position';

export interface FeedApiDeps {
  readonly trust: Pick<TrustClient, 'authenticate' | 'authorize'>;
  /** The feed's own materialised trust snapshot (views are computed in process, docs/feeds.md). */
  readonly trustContext: (now: Date) => TrustContext;
  readonly tail: Pick<PartitionTail, 'partitionCount' | 'watermarks' | 'follow'>;
  readonly signals: Pick<SignalRepository, 'findById' | 'scan'>;
  readonly subscriptions: Pick<SubscriptionRepository, 'find' | 'set'>;
  readonly clock: () => Date;
  readonly logger: Logger;
  readonly snapshotBatch: number;
}

/** An authenticated caller: its own key (for re-checks) and the organisation behind it. Never logged. */
export interface Caller {
  readonly apiKey: string;
  readonly principal: Principal;
}

/** A new organisation reaches the feed's trust snapshot through the trust topic a moment after it was created. */
const ORG_WAIT_MS = 3_000;

/**
 * The feed service's use cases, transport-neutral: authentication through the trust service with the caller's own
 * key, cursors, filters, snapshot, lookup and stored subscriptions. The organisation is always the caller's.
 */
export class FeedApi {
  /** Decoded once per record however many streams deliver it (records from the ring are shared objects). */
  private readonly decoded = new WeakMap<RawRecord, FeedEvent | null>();

  constructor(private readonly deps: FeedApiDeps) {}

  /** Authenticates the key and authorises `action` on the caller's own feed. */
  async caller(apiKey: string | undefined, action: Extract<TrustAction, 'SUBSCRIBE' | 'LOOKUP'>): Promise<Caller> {
    if (!apiKey) throw new FeedError('API_KEY_MISSING', 'an API key is required (x-api-key metadata)');
    const principal = await this.deps.trust.authenticate(apiKey);
    await this.deps.trust.authorize(apiKey, action, { targetOrgId: principal.orgId });
    return { apiKey, principal };
  }

  /** The re-check of an open stream's key: throws the coded refusal once it is revoked or its organisation suspended. */
  async recheck(caller: Caller): Promise<void> {
    const principal = await this.deps.trust.authenticate(caller.apiKey);
    await this.deps.trust.authorize(caller.apiKey, 'SUBSCRIBE', { targetOrgId: principal.orgId });
  }

  partitionOf(orgId: string): number {
    return feedPartitionOf(orgId, this.deps.tail.partitionCount);
  }

  /** The request's filter (validated), or when it is empty the organisation's stored one, or none. */
  async filterFor(orgId: string, requested: SubscriptionFilter | undefined): Promise<FeedFilter> {
    const filter = filterFromProto(requested);
    if (!isEmptyFilter(filter)) return filter;
    return (await this.deps.subscriptions.find(orgId))?.filter ?? filter;
  }

  /** A follower of the caller's partition from the cursor (validated against the partition's watermarks). */
  async follow(caller: Caller, cursor: string): Promise<{ follower: TailFollower; partition: number }> {
    const partition = this.partitionOf(caller.principal.orgId);
    const position = startPosition(cursor, partition, await this.watermarks(partition));
    return { follower: this.deps.tail.follow(partition, position), partition };
  }

  /**
   * What a subscriber receives for one record of its partition: undefined for other organisations' records and
   * undecodable ones (logged), else the event filtered, with the cursor after it.
   */
  eventFor(record: RawRecord, orgId: string, filter: FeedFilter): FeedEvent | undefined {
    if (record.key !== orgId) return undefined;
    const event = this.decode(record);
    // The key routes, the value must agree: an event is never delivered to another organisation.
    if (!event || event.orgId !== orgId) return undefined;
    const cursor = encodeCursor({ partition: record.partition, offset: (BigInt(record.offset) + 1n).toString() });
    return applyFilter({ ...event, cursor }, filter);
  }

  /**
   * The caller's views of every stored signal that pass the filter, then the cursor to continue from: the partition's
   * high watermark read before the first signal, so every event after it is delivered by the following Subscribe.
   */
  async *snapshot(caller: Caller, filter: FeedFilter): AsyncGenerator<Signal, { cursor: string; signalCount: number }, undefined> {
    const partition = this.partitionOf(caller.principal.orgId);
    const { high } = await this.watermarks(partition);
    const org = await this.organisation(caller.principal.orgId);
    const ctx = this.deps.trustContext(this.deps.clock());
    let signalCount = 0;
    for await (const record of this.deps.signals.scan(this.deps.snapshotBatch)) {
      const view = viewOf(org, signalStateFromRecord(record), ctx);
      if (!view) continue;
      const signal = viewToProto(view, recordToSignal(record));
      if (!viewMatches(filter, signal)) continue;
      signalCount++;
      yield signal;
    }
    return { cursor: encodeCursor({ partition, offset: high }), signalCount };
  }

  /** The caller's view of one signal; NOT_FOUND alike when it does not exist and when the caller may see none of it. */
  async lookup(caller: Caller, input: ProtoSignalInput | undefined): Promise<Signal> {
    if (!input) throw new FeedError('INVALID_REQUEST', 'signal is required', 'signal');
    const canonical = canonicalizeSignal(signalInputFromProto(input));
    const record = await this.deps.signals.findById(canonical.signalId);
    const notFound = new FeedError('SIGNAL_NOT_FOUND', 'no such signal is visible to your organisation');
    if (!record) throw notFound;
    const org = await this.organisation(caller.principal.orgId);
    const view = viewOf(org, signalStateFromRecord(record), this.deps.trustContext(this.deps.clock()));
    if (!view) throw notFound;
    return viewToProto(view, recordToSignal(record));
  }

  async getSubscription(caller: Caller): Promise<StoredSubscription> {
    const stored = await this.deps.subscriptions.find(caller.principal.orgId);
    if (!stored) throw new FeedError('SUBSCRIPTION_NOT_FOUND', 'your organisation has no stored subscription');
    return stored;
  }

  /** Validates and stores the filter; an empty one clears the record (answered as an empty filter). */
  async setSubscription(caller: Caller, requested: SubscriptionFilter | undefined): Promise<StoredSubscription> {
    const filter = filterFromProto(requested);
    const now = this.deps.clock();
    return (await this.deps.subscriptions.set(caller.principal.orgId, filter, now)) ?? { orgId: caller.principal.orgId, filter, updatedAt: now };
  }

  private async watermarks(partition: number) {
    try {
      return await this.deps.tail.watermarks(partition);
    } catch (err) {
      this.deps.logger.warn({ err, partition }, 'could not read the feed partition watermarks');
      throw new FeedError('FEED_UNAVAILABLE', 'the feed is unavailable; retry');
    }
  }

  private decode(record: RawRecord): FeedEvent | undefined {
    let event = this.decoded.get(record);
    if (event === undefined) {
      try {
        event = decodeFeedEvent(record.value);
      } catch (err) {
        this.deps.logger.warn({ err, partition: record.partition, offset: record.offset }, 'skipping an undecodable feed record');
        event = null;
      }
      this.decoded.set(record, event);
    }
    return event ?? undefined;
  }

  /** The caller's organisation in the feed's trust snapshot (waiting briefly for one created a moment ago). */
  private async organisation(orgId: string): Promise<Organisation> {
    const deadline = Date.now() + ORG_WAIT_MS;
    for (;;) {
      const org = this.deps.trustContext(this.deps.clock()).organisation(orgId);
      if (org) return org;
      if (Date.now() > deadline) throw new FeedError('ORGANISATION_UNKNOWN', 'your organisation is not known to the feed service yet; retry');
      await sleep(100);
    }
  }
}

// Enums travel to the domain by their proto names, which its parsers accept; UNSPECIFIED means "not given".
const named = (value: number, toJSON: (v: number) => string): string | undefined => (value === 0 ? undefined : toJSON(value));

export function signalInputFromProto(input: ProtoSignalInput): SignalInput {
  return {
    type: named(input.type, signalTypeToJSON) ?? '',
    value: input.value,
    scope: named(input.urlMatchScope, urlMatchScopeToJSON),
    kind: named(input.patternKind, patternKindToJSON),
    algorithm: named(input.hashAlgorithm, hashAlgorithmToJSON),
  };
}
