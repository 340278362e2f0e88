import type { IdempotencyEntry, IdempotencyRecord, Reservation } from '@signal-mesh/ingest-data-access';
import { type ContributionDraft, type SignalRecord, type StoredContribution, validateContribution } from '@signal-mesh/signals-domain';
import { type Principal, type TrustAction, TrustClientError, type TrustResource } from '@signal-mesh/trust-client';
import { createLogger } from '@signal-mesh/util-logging';

import type { IngestLimits } from './config';
import { createIngestApi, type IngestApi } from './ingest-api';
import type { IngestMetrics } from './metrics';
import type { Caller, IdempotencyStore, PublishItem, SignalLookup, SubmissionPublisher, ViewLookup } from './ports';

// Fakes for the use cases' side effects (trust, idempotency store, Kafka, canonical state), in memory.

export const T0 = new Date('2030-01-01T00:00:00.000Z');
export const silentLogger = createLogger({ service: 'ingest-spec', level: 'silent' });

export const ORG = 'org_0a1b2c3d4e5f6071';
export const OTHER_ORG = 'org_8899aabbccddeeff';

export function principal(orgId = ORG): Principal {
  return { orgId, orgKind: 'NGO', tier: 3, scopes: ['CONTRIBUTE'], keyId: 'k0a1b2c3d4e5' };
}

export function callerOf(orgId = ORG): Caller {
  return { apiKey: `placeholder-key-${orgId}`, principal: principal(orgId) };
}

export function urlDraft(overrides: Partial<ContributionDraft> = {}): ContributionDraft {
  return {
    signal: { type: 'url', value: 'https://nudify.example.com/app', scope: 'domain' },
    categories: ['service.nudify'],
    marking: 'GREEN',
    confidence: 80,
    ...overrides,
  };
}

export function patternDraft(phrase = 'placeholder phrase'): ContributionDraft {
  return { signal: { type: 'prompt-pattern', value: phrase }, categories: ['prompt.aig-csam'], marking: 'AMBER', sharingGroupIds: ['grp_0123456789abcdef'], confidence: 60 };
}

export interface AuthorizeCall {
  apiKey: string;
  action: TrustAction;
  resource: TrustResource;
}

export class FakeTrust {
  readonly authorizeCalls: AuthorizeCall[] = [];
  readonly principals = new Map<string, Principal>([[callerOf().apiKey, principal()]]);
  /** Refuses matching requests with this error. */
  refuse: ((call: AuthorizeCall) => TrustClientError | undefined) | undefined;

  async authenticate(apiKey: string): Promise<Principal> {
    const found = this.principals.get(apiKey);
    if (!found) throw new TrustClientError('API_KEY_INVALID', 'UNAUTHENTICATED', 'unknown API key');
    return found;
  }

  async authorize(apiKey: string, action: TrustAction, resource: TrustResource = {}): Promise<void> {
    const call = { apiKey, action, resource };
    this.authorizeCalls.push(call);
    const refusal = this.refuse?.(call);
    if (refusal) throw refusal;
  }
}

export class FakeIdempotency implements IdempotencyStore {
  readonly records = new Map<string, IdempotencyRecord>();
  failWith: Error | undefined;

  async reserveMany(orgId: string, entries: readonly IdempotencyEntry[]): Promise<Reservation[]> {
    if (this.failWith) throw this.failWith;
    return entries.map((entry) => {
      const id = `${orgId}:${entry.key}`;
      const held = this.records.get(id);
      if (held) return { outcome: 'existing', record: held };
      this.records.set(id, { orgId, ...entry });
      return { outcome: 'reserved' };
    });
  }
}

export class FakePublisher implements SubmissionPublisher {
  readonly sends: PublishItem[][] = [];
  failWith: Error | undefined;

  get published(): PublishItem[] {
    return this.sends.flat();
  }

  async publish(items: readonly PublishItem[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.sends.push([...items]);
  }
}

export class FakeSignals implements SignalLookup {
  readonly records: SignalRecord[] = [];

  async findById(signalId: string): Promise<SignalRecord | undefined> {
    return this.records.find((r) => r.signalId === signalId);
  }

  async findByContributionId(contributionId: string): Promise<SignalRecord | undefined> {
    return this.records.find((r) => r.contributions.some((c) => c.contributionId === contributionId));
  }
}

/** Organisations in `visibleTo` see the record's categories; everyone else sees nothing. */
export class FakeViews implements ViewLookup {
  readonly visibleTo = new Set<string>([ORG]);

  async visibleCategories(orgId: string, record: SignalRecord): Promise<readonly string[] | undefined> {
    return this.visibleTo.has(orgId) ? record.categories : undefined;
  }
}

/** A stored signal with one contribution, as dedup would have written it. */
export function storedRecord(draft: ContributionDraft = urlDraft(), contribution: Partial<StoredContribution> = {}): SignalRecord {
  const valid = validateContribution(draft, { now: T0 });
  const stored: StoredContribution = {
    contributionId: 'ctb_00112233445566778899aabbccddeeff',
    contributorOrgId: OTHER_ORG,
    marking: valid.marking,
    sharingGroupIds: valid.sharingGroupIds,
    namedOrgIds: valid.namedOrgIds,
    confidence: valid.confidence,
    opinion: valid.opinion,
    categories: valid.categories,
    externalRefs: [],
    createdAt: T0,
    ...contribution,
  };
  return {
    signalId: valid.signal.signalId,
    type: valid.signal.type,
    canonical: valid.signal.canonical,
    details: valid.details,
    contributions: [stored],
    status: 'ACTIVE',
    categories: valid.categories,
    aggregates: { contributorCount: 1, confidence: valid.confidence, positiveCount: 1, negativeCount: 0 },
    firstSeenAt: T0,
    updatedAt: T0,
    version: 1,
  };
}

export const LIMITS: IngestLimits = {
  maxRequestBytes: 128 * 1024,
  maxBatchBytes: 16 * 1024 * 1024,
  maxBatchItems: 10_000,
  chunkItems: 500,
  rateItemsPerSecond: 100,
  rateBurst: 10_000,
};

export interface TestApi {
  api: IngestApi;
  trust: FakeTrust;
  idempotency: FakeIdempotency;
  publisher: FakePublisher;
  signals: FakeSignals;
  views: FakeViews;
  clock: { now: Date };
}

/** The whole API over fakes, in one line: `const { api, publisher } = newTestApi()`. */
export function newTestApi(limits: Partial<IngestLimits> = {}, metrics?: IngestMetrics): TestApi {
  const trust = new FakeTrust();
  const idempotency = new FakeIdempotency();
  const publisher = new FakePublisher();
  const signals = new FakeSignals();
  const views = new FakeViews();
  const clock = { now: T0 };
  let n = 0;
  const api = createIngestApi({
    trust,
    idempotency,
    publisher,
    signals,
    views,
    clock: () => clock.now,
    logger: silentLogger,
    limits: { ...LIMITS, ...limits },
    newContributionId: () => `ctb_${(n++).toString(16).padStart(32, '0')}`,
    metrics,
  });
  return { api, trust, idempotency, publisher, signals, views, clock };
}
