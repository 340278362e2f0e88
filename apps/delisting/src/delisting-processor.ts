import type { FeedEvent } from '@signal-mesh/contracts';
import { type ListDefinition, planChanges, type ViewUpdate } from '@signal-mesh/delisting-domain';
import { type BatchResults, type ConsumedRecord, PermanentError } from '@signal-mesh/transport-kafka';
import type { Logger } from '@signal-mesh/util-logging';

import type { Clock, ListStore, OrgKindLookup } from './ports';
import { DelistingMetrics } from './telemetry';
import { InvalidFeedEventError, viewUpdateOf } from './view-mapping';

export interface DelistingProcessorDeps {
  readonly store: ListStore;
  /** A lookup over the current trust snapshot (called again while waiting for an unknown organisation). */
  readonly orgKinds: OrgKindLookup;
  readonly lists: readonly ListDefinition[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** See DELISTING_UNKNOWN_ORG_WAIT_MS. */
  readonly unknownOrgWaitMs: number;
  readonly pollMs?: number;
  /** Default: instruments of the global MeterProvider. */
  readonly metrics?: DelistingMetrics;
}

const SEARCH_ENGINE = 'SEARCH_ENGINE';

/**
 * Turns feed events into list changes. Per chunk (one partition, offset order): map each event to a view update,
 * keep those of search-engine organisations, then per organisation and list load the live entries it touches, plan
 * the changes (domain) and write them. Resolves only once they are durable, so the runner commits after effects;
 * a write failure throws and the whole chunk is retried, which the planning makes idempotent.
 */
export class DelistingProcessor {
  /** Organisations we already waited for in vain: their events are skipped without waiting again. */
  private readonly unknown = new Set<string>();
  private readonly metrics: DelistingMetrics;

  constructor(private readonly deps: DelistingProcessorDeps) {
    this.metrics = deps.metrics ?? new DelistingMetrics();
  }

  async handleBatch(records: readonly ConsumedRecord<FeedEvent>[]): Promise<BatchResults> {
    const results: (PermanentError | undefined)[] = records.map(() => undefined);
    const byOrg = new Map<string, ViewUpdate[]>();
    records.forEach((record, i) => {
      try {
        const update = viewUpdateOf(record.value, new Date(Number(record.timestamp)));
        if (!update) return;
        const updates = byOrg.get(record.value.orgId) ?? [];
        updates.push(update);
        byOrg.set(record.value.orgId, updates);
      } catch (err) {
        if (!(err instanceof InvalidFeedEventError)) throw err;
        results[i] = new PermanentError(err.code, err.message);
      }
    });
    for (const [orgId, updates] of byOrg) {
      if ((await this.kindOf(orgId)) !== SEARCH_ENGINE) continue;
      for (const list of this.deps.lists) {
        const { list: stored, live } = await this.deps.store.loadState(orgId, list.listId, updates.map((u) => u.signalId));
        const changes = planChanges(list, { version: stored.version, entryCount: stored.entryCount, live }, updates);
        this.metrics.observeVersion(list.listId, stored.version);
        if (changes.length === 0) continue;
        await this.deps.store.applyChanges(orgId, list.listId, changes, this.deps.clock());
        // Counted once durable; a retried chunk plans nothing new for what was applied, so nothing is counted twice.
        this.metrics.countChanges(changes);
        this.metrics.observeVersion(list.listId, stored.version + changes.length);
        this.deps.logger.debug({ orgId, listId: list.listId, from: stored.version + 1, to: stored.version + changes.length }, 'list changed');
      }
    }
    return results;
  }

  /**
   * The organisation's kind. The fan-out may have seen an organisation the trust follower has not read yet: wait for
   * it (once per organisation and process, so replaying events of a deleted organisation does not stall).
   */
  private async kindOf(orgId: string): Promise<string | undefined> {
    const known = this.deps.orgKinds()(orgId);
    if (known !== undefined || this.unknown.has(orgId)) return known;
    const deadline = Date.now() + this.deps.unknownOrgWaitMs;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, this.deps.pollMs ?? 200));
      const kind = this.deps.orgKinds()(orgId);
      if (kind !== undefined) return kind;
    }
    this.unknown.add(orgId);
    this.deps.logger.warn({ orgId }, 'feed events of an organisation the trust snapshot does not know: skipped');
    return undefined;
  }
}
