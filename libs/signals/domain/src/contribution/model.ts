import type { CanonicalSignal } from '../canonicalize';
import type { HashAlgorithm, PatternKind, SignalType, UrlMatchScope } from '../identity';

/** FIRST TLP 2.0 marking of one contribution (same spellings as the trust domain). */
export type Marking = 'CLEAR' | 'GREEN' | 'AMBER' | 'AMBER_STRICT' | 'RED';
export const MARKINGS: readonly Marking[] = ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED'];

export type Opinion = 'POSITIVE' | 'NEGATIVE';

export interface ExternalRef {
  readonly system: string;
  readonly id: string;
  readonly url?: string;
}

/** A contribution as a client sends it, in domain spellings, before validation. */
export interface ContributionDraft {
  readonly signal: { type: string; value: string; scope?: string; kind?: string; algorithm?: string };
  readonly categories: readonly string[];
  readonly marking: string;
  readonly sharingGroupIds?: readonly string[];
  readonly namedOrgIds?: readonly string[];
  /** 0–100. */
  readonly confidence: number;
  /** Default POSITIVE. */
  readonly opinion?: string;
  readonly validUntil?: Date;
  readonly evidenceNote?: string;
  readonly externalRefs?: readonly ExternalRef[];
  /** Required (non-empty) when opinion is NEGATIVE. */
  readonly disputeReason?: string;
}

/** Type-specific facts of a signal, derived at canonicalization. */
export type SignalDetails =
  | { readonly type: 'model-hash'; readonly algorithm: HashAlgorithm; readonly related: readonly { algorithm: HashAlgorithm; value: string }[] }
  | { readonly type: 'url'; readonly scope: UrlMatchScope; readonly host: string; readonly registrableDomain?: string }
  | { readonly type: 'prompt-pattern'; readonly kind: PatternKind };

/** A validated contribution (not yet identified: ingest assigns the contribution id). */
export interface ValidContribution {
  readonly signal: CanonicalSignal;
  readonly details: SignalDetails;
  /** Sorted, unique, from the controlled vocabulary and matching the signal type. */
  readonly categories: readonly string[];
  readonly marking: Marking;
  /** Sorted, unique; non-empty exactly for AMBER. */
  readonly sharingGroupIds: readonly string[];
  /** Sorted, unique; non-empty exactly for AMBER_STRICT and RED. */
  readonly namedOrgIds: readonly string[];
  readonly confidence: number;
  readonly opinion: Opinion;
  readonly validUntil?: Date;
  readonly evidenceNote?: string;
  readonly externalRefs: readonly ExternalRef[];
  readonly disputeReason?: string;
}

/** One organisation's statement about a signal as stored in the canonical state. Never merged with another. */
export interface StoredContribution {
  readonly contributionId: string;
  readonly contributorOrgId: string;
  readonly marking: Marking;
  readonly sharingGroupIds: readonly string[];
  readonly namedOrgIds: readonly string[];
  readonly confidence: number;
  readonly opinion: Opinion;
  readonly categories: readonly string[];
  readonly validUntil?: Date;
  readonly evidenceNote?: string;
  readonly externalRefs: readonly ExternalRef[];
  readonly disputeReason?: string;
  /** When ingest accepted it. */
  readonly createdAt: Date;
  readonly revokedAt?: Date;
  readonly revocationReason?: string;
}

export type SignalStatus = 'ACTIVE' | 'DISPUTED' | 'REVOKED' | 'EXPIRED';

/** Aggregates over the live contributions of the FULL state: internal only, never shown to a viewer as such. */
export interface StateAggregates {
  readonly contributorCount: number;
  readonly confidence: number;
  readonly positiveCount: number;
  readonly negativeCount: number;
}

/** The full canonical state of one signal, as dedup stores it and emits it on the state topic. */
export interface SignalRecord {
  readonly signalId: string;
  readonly type: SignalType;
  readonly canonical: string;
  readonly details: SignalDetails;
  /** Every contribution, revoked ones included, in arrival order. */
  readonly contributions: readonly StoredContribution[];
  readonly status: SignalStatus;
  /** Union of the live contributions' categories (internal). */
  readonly categories: readonly string[];
  readonly aggregates: StateAggregates;
  readonly firstSeenAt: Date;
  readonly updatedAt: Date;
  /** Earliest future valid-until among live contributions: when the status must be re-evaluated without an event. */
  readonly nextExpiryAt?: Date;
  /** Starts at 1, +1 on every change. */
  readonly version: number;
}

/** A new contribution to apply (from a SubmissionEvent). */
export interface ContributionSubmission {
  readonly kind: 'contribution';
  readonly submitterOrgId: string;
  readonly signalId: string;
  readonly type: SignalType;
  readonly canonical: string;
  readonly details: SignalDetails;
  readonly contribution: StoredContribution;
}

/** A revocation of one of the submitter's own contributions (from a SubmissionEvent). */
export interface RevocationSubmission {
  readonly kind: 'revocation';
  readonly submitterOrgId: string;
  readonly signalId: string;
  readonly contributionId: string;
  readonly reason?: string;
  readonly revokedAt: Date;
}

export type Submission = ContributionSubmission | RevocationSubmission;
