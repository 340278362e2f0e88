import type { IdempotencyRepository } from '@signal-mesh/ingest-data-access';
import type { SignalRecord, Submission } from '@signal-mesh/signals-domain';
import type { Principal, TrustClient } from '@signal-mesh/trust-client';

// The side effects the use cases need, each behind a narrow interface so unit specs pass fakes.

/** The authenticated end caller: its own key is passed on to every trust decision. */
export interface Caller {
  readonly apiKey: string;
  readonly principal: Principal;
}

export type Authorizer = Pick<TrustClient, 'authorize'>;
export type Authenticator = Pick<TrustClient, 'authenticate'>;
export type IdempotencyStore = Pick<IdempotencyRepository, 'reserveMany'>;

/** One change to make durable on the submissions topic. */
export interface PublishItem {
  readonly submission: Submission;
  /** The client's key, or the contribution id when there is none (the event field is required). */
  readonly idempotencyKey: string;
  readonly acceptedAt: Date;
}

/** Resolves only when every item is durable in Kafka (acks=all). */
export interface SubmissionPublisher {
  publish(items: readonly PublishItem[]): Promise<void>;
}

/** Canonical signal states as dedup stored them. */
export interface SignalLookup {
  findById(signalId: string): Promise<SignalRecord | undefined>;
  findByContributionId(contributionId: string): Promise<SignalRecord | undefined>;
}

/** What an organisation may see of a signal: its visible categories, or undefined when the signal is hidden from it. */
export interface ViewLookup {
  visibleCategories(orgId: string, record: SignalRecord): Promise<readonly string[] | undefined>;
}

export type Clock = () => Date;
