import type { IdempotencyEntry, IdempotentResult } from '@signal-mesh/ingest-data-access';
import {
  type ContributionDraft,
  contributionIdFor,
  type ContributionSubmission,
  newContributionId,
  type SignalType,
  validateContribution,
  validateIdempotencyKey,
  type ValidContribution,
} from '@signal-mesh/signals-domain';
import type { TrustAction, TrustResource } from '@signal-mesh/trust-client';
import type { Logger } from '@signal-mesh/util-logging';

import { bodyHash } from './body-hash';
import { IngestError, type Rejection, toRejection } from './errors';
import { mapLimit } from './map-limit';
import { countOutcomes, createIngestMetrics, type IngestMetrics } from './metrics';
import type { Authorizer, Caller, Clock, IdempotencyStore, PublishItem, SubmissionPublisher } from './ports';
import type { RateLimiter } from './rate-limiter';
import { inSubmitSpan, setSignalIds } from './tracing';

/** One item as a transport parsed it: a draft, or the reason it could not even be read. */
export interface ItemInput {
  readonly draft?: ContributionDraft;
  /** A transport-level problem with this item (unreadable CSV row, wrong JSON type), reported as its outcome. */
  readonly error?: unknown;
  readonly idempotencyKey?: string;
}

/** An item that already passed validation (disputes build theirs from the stored signal). */
export interface ValidatedItem {
  readonly valid: ValidContribution;
  readonly idempotencyKey?: string;
}

export interface Accepted {
  readonly contributionId: string;
  readonly signalId: string;
  readonly type: SignalType;
  readonly canonical: string;
  /** The stored result of an earlier identical request with the same idempotency key. */
  readonly replayed: boolean;
}

export type ItemOutcome = { readonly accepted: Accepted; readonly rejected?: undefined } | { readonly rejected: Rejection; readonly accepted?: undefined };

export interface SubmitContributionsDeps {
  readonly authorizer: Authorizer;
  readonly idempotency: IdempotencyStore;
  readonly publisher: SubmissionPublisher;
  readonly limiter: RateLimiter;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Items validated, authorised, reserved and produced together. */
  readonly chunkItems: number;
  readonly newContributionId?: () => string;
  /** Default: instruments of the global MeterProvider. */
  readonly metrics?: IngestMetrics;
}

/** Trust calls in flight per chunk (distinct resources only; the trust client caches the rest). */
const AUTHORIZE_CONCURRENCY = 16;

interface Prepared {
  readonly valid: ValidContribution;
  readonly key?: string;
  readonly contributionId: string;
  readonly hash?: string;
}

const rejected = (rejection: Rejection): ItemOutcome => ({ rejected: rejection });

/**
 * Submits contributions (one, a batch, a stream chunk): rate limit → validate and canonicalize → authorise each item
 * with the caller's own key → reserve idempotency keys → produce to the submissions topic → answer. Every item gets
 * its own outcome, in order; an invalid item never costs the valid ones their place. An item is answered accepted
 * only after its event is durable in Kafka.
 */
export class SubmitContributions {
  private readonly logger: Logger;
  private readonly newId: () => string;
  private readonly metrics: IngestMetrics;

  constructor(private readonly deps: SubmitContributionsDeps) {
    this.logger = deps.logger.child({ component: 'submit-contributions' });
    this.newId = deps.newContributionId ?? newContributionId;
    this.metrics = deps.metrics ?? createIngestMetrics();
  }

  async execute(caller: Caller, items: readonly ItemInput[]): Promise<ItemOutcome[]> {
    const admitted = this.admit(caller, items.length);
    const outcomes = items.map((_, i) => (i < admitted.count ? undefined : admitted.rejection));
    for (let start = 0; start < admitted.count; start += this.deps.chunkItems) {
      const chunk = items.slice(start, Math.min(admitted.count, start + this.deps.chunkItems));
      const now = this.deps.clock();
      const validated = chunk.map((item) => this.validate(item, now));
      const results = await this.process(caller, validated, now);
      results.forEach((outcome, i) => (outcomes[start + i] = outcome));
    }
    // Every item is counted once, here or in process(): the rate-limited rest never reached a chunk.
    if (admitted.rejection) countOutcomes(this.metrics, outcomes.slice(admitted.count) as ItemOutcome[]);
    return outcomes as ItemOutcome[];
  }

  /** For callers that validated already (a dispute); rate limiting is theirs too. */
  async submitValidated(caller: Caller, items: readonly ValidatedItem[]): Promise<ItemOutcome[]> {
    return this.process(caller, items, this.deps.clock());
  }

  /** Takes tokens for `count` items; the ones beyond the admitted count share one RATE_LIMITED outcome. */
  admit(caller: Caller, count: number): { count: number; rejection?: ItemOutcome } {
    const admission = this.deps.limiter.take(caller.principal.orgId, count, this.deps.clock().getTime());
    if (admission.admitted === count) return { count };
    const retry = admission.retryAfterSeconds ?? 1;
    const rejection = toRejection(new IngestError('RATE_LIMITED', `rate limit of your organisation reached; retry after ${retry} s`, undefined, retry));
    return { count: admission.admitted, rejection: rejected(rejection) };
  }

  private validate(item: ItemInput, now: Date): ValidatedItem | Rejection {
    try {
      if (item.error !== undefined) throw item.error;
      if (!item.draft) throw new IngestError('INVALID_REQUEST', 'a contribution is required', 'contribution');
      const idempotencyKey = item.idempotencyKey === undefined || item.idempotencyKey === '' ? undefined : validateIdempotencyKey(item.idempotencyKey);
      return { valid: validateContribution(item.draft, { now }), idempotencyKey };
    } catch (err) {
      return this.rejection(err);
    }
  }

  /** One chunk inside its `ingest submit` span (parent of the produce span); counts every item's outcome. */
  private process(caller: Caller, items: readonly (ValidatedItem | Rejection)[], now: Date): Promise<ItemOutcome[]> {
    return inSubmitSpan(caller.principal.orgId, items.length, async (span) => {
      const outcomes = await this.processChunk(caller, items, now);
      setSignalIds(span, outcomes.flatMap((o) => (o.accepted ? [o.accepted.signalId] : [])));
      span.setAttribute('signal_mesh.rejected_count', outcomes.filter((o) => o.rejected).length);
      countOutcomes(this.metrics, outcomes);
      return outcomes;
    });
  }

  private async processChunk(caller: Caller, items: readonly (ValidatedItem | Rejection)[], now: Date): Promise<ItemOutcome[]> {
    const outcomes: (ItemOutcome | undefined)[] = items.map((item) => ('valid' in item ? undefined : rejected(item)));
    const pending = new Map<number, Prepared>();

    const decisions = await this.authorizeAll(caller, items);
    items.forEach((item, i) => {
      if (!('valid' in item)) return;
      const denial = decisions[i];
      if (denial) {
        outcomes[i] = rejected(denial);
        return;
      }
      const key = item.idempotencyKey;
      const contributionId = key ? contributionIdFor(caller.principal.orgId, key) : this.newId();
      pending.set(i, { valid: item.valid, key, contributionId, ...(key ? { hash: fingerprint(item.valid) } : {}) });
    });

    const replayed = await this.reserveKeys(caller, pending, outcomes, now);
    const toPublish = [...pending.entries()];
    if (toPublish.length > 0) {
      try {
        await this.deps.publisher.publish(toPublish.map(([, p]) => this.publishItem(caller, p, now)));
        for (const [i, p] of toPublish) {
          const { signalId, canonical, type } = p.valid.signal;
          outcomes[i] = { accepted: { contributionId: p.contributionId, signalId, type, canonical, replayed: replayed.has(i) } };
        }
      } catch (err) {
        this.logger.error({ err, items: toPublish.length }, 'could not produce submissions');
        const failure = toRejection(new IngestError('PUBLISH_FAILED', 'the submission could not be made durable; retry (with an idempotency key the retry is safe)'));
        for (const [i] of toPublish) outcomes[i] = rejected(failure);
      }
    }
    return outcomes as ItemOutcome[];
  }

  /** One trust decision per distinct (action, resource) in the chunk; the i-th answer is item i's refusal, if any. */
  private async authorizeAll(caller: Caller, items: readonly (ValidatedItem | Rejection)[]): Promise<(Rejection | undefined)[]> {
    const requests = new Map<string, { action: TrustAction; resource: TrustResource }>();
    const keys = items.map((item) => {
      if (!('valid' in item)) return undefined;
      const request = authorization(item.valid);
      const key = JSON.stringify(request);
      requests.set(key, request);
      return key;
    });
    const entries = [...requests.entries()];
    const answers = await mapLimit(entries, AUTHORIZE_CONCURRENCY, async ([, { action, resource }]) => {
      try {
        await this.deps.authorizer.authorize(caller.apiKey, action, resource);
        return undefined;
      } catch (err) {
        return this.rejection(err);
      }
    });
    const byKey = new Map(entries.map(([key], i) => [key, answers[i]]));
    return keys.map((key) => (key === undefined ? undefined : byKey.get(key)));
  }

  /**
   * Reserves the keyed items' idempotency keys BEFORE producing. A key held with the same body hash is a replay (it
   * is produced again: harmless, the contribution id is the same, and a crash between reserve and produce cannot lose
   * it); a different body is refused. Removes refused items from `pending`; returns the indexes of replays.
   */
  private async reserveKeys(caller: Caller, pending: Map<number, Prepared>, outcomes: (ItemOutcome | undefined)[], now: Date): Promise<Set<number>> {
    const keyed = [...pending.entries()].filter(([, p]) => p.key !== undefined);
    const replays = new Set<number>();
    if (keyed.length === 0) return replays;
    const entries: IdempotencyEntry[] = keyed.map(([, p]) => ({ key: p.key as string, bodyHash: p.hash as string, result: resultOf(p), createdAt: now }));
    try {
      const reservations = await this.deps.idempotency.reserveMany(caller.principal.orgId, entries);
      reservations.forEach((reservation, j) => {
        const [i, p] = keyed[j];
        if (reservation.outcome === 'reserved') return;
        if (reservation.record.bodyHash === p.hash) {
          replays.add(i);
          pending.set(i, { ...p, contributionId: reservation.record.result.contributionId });
          return;
        }
        pending.delete(i);
        outcomes[i] = rejected(toRejection(new IngestError('IDEMPOTENCY_KEY_REUSED', 'this idempotency key was used with a different body; use a new key for a new contribution', 'idempotencyKey')));
      });
    } catch (err) {
      this.logger.error({ err, items: keyed.length }, 'could not reserve idempotency keys');
      const failure = rejected(toRejection(new IngestError('STORE_UNAVAILABLE', 'the idempotency store is unavailable; retry')));
      for (const [i] of keyed) {
        pending.delete(i);
        outcomes[i] = failure;
      }
    }
    return replays;
  }

  private publishItem(caller: Caller, p: Prepared, acceptedAt: Date): PublishItem {
    const { valid } = p;
    const submission: ContributionSubmission = {
      kind: 'contribution',
      submitterOrgId: caller.principal.orgId,
      signalId: valid.signal.signalId,
      type: valid.signal.type,
      canonical: valid.signal.canonical,
      details: valid.details,
      contribution: {
        contributionId: p.contributionId,
        contributorOrgId: caller.principal.orgId,
        marking: valid.marking,
        sharingGroupIds: valid.sharingGroupIds,
        namedOrgIds: valid.namedOrgIds,
        confidence: valid.confidence,
        opinion: valid.opinion,
        categories: valid.categories,
        externalRefs: valid.externalRefs,
        createdAt: acceptedAt,
        ...(valid.validUntil ? { validUntil: valid.validUntil } : {}),
        ...(valid.evidenceNote ? { evidenceNote: valid.evidenceNote } : {}),
        ...(valid.disputeReason ? { disputeReason: valid.disputeReason } : {}),
      },
    };
    return { submission, idempotencyKey: p.key ?? p.contributionId, acceptedAt };
  }

  private rejection(err: unknown): Rejection {
    const rejection = toRejection(err);
    if (rejection.failure === 'INTERNAL') this.logger.error({ err }, 'item failed unexpectedly');
    return rejection;
  }
}

/** CONTRIBUTE, or DISPUTE for a negative opinion, on exactly what the item would publish. */
export function authorization(valid: ValidContribution): { action: TrustAction; resource: TrustResource } {
  return {
    action: valid.opinion === 'NEGATIVE' ? 'DISPUTE' : 'CONTRIBUTE',
    resource: { signalType: valid.signal.type, categories: valid.categories, marking: valid.marking, sharingGroupIds: valid.sharingGroupIds, namedOrgIds: valid.namedOrgIds },
  };
}

/**
 * What a retry must repeat for a replay: the validated contribution as it would be published (signal identity and
 * details, not the raw spelling: two URLs with the same canonical value at the same scope are the same body).
 */
export function fingerprint(valid: ValidContribution): string {
  const { signal, ...rest } = valid;
  return bodyHash({ signalId: signal.signalId, type: signal.type, canonical: signal.canonical, ...rest });
}

function resultOf(p: Prepared): IdempotentResult {
  return { contributionId: p.contributionId, signalId: p.valid.signal.signalId, type: p.valid.signal.type, canonical: p.valid.signal.canonical };
}
