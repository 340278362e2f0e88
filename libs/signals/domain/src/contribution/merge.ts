/**
 * The dedup merge: one record per signal id, holding every organisation's contribution unmerged.
 *
 * The signal-level fields of a SignalRecord (status, categories, aggregates, nextExpiryAt) are derived from the FULL
 * state, RED and AMBER contributions included, so they are internal: dedup uses them to store and to schedule, never
 * to show. What an organisation sees is re-derived by the trust policy from only the contributions it may see (a
 * signal's contributor count or a DISPUTED status could reveal that a RED contribution exists). No field of a RED or
 * AMBER contribution may be copied into anything every viewer sees.
 *
 * Everything here is pure: inputs are never mutated, and an unchanged result is the same object as the input.
 */
import type { RevocationSubmission, SignalRecord, SignalStatus, StateAggregates, StoredContribution, Submission } from './model';

/** What deriveState computes from the contributions of one signal. */
export interface DerivedState {
  readonly status: SignalStatus;
  readonly categories: readonly string[];
  readonly aggregates: StateAggregates;
  /** Earliest valid-until among live contributions: when the state must be re-derived without a new event. */
  readonly nextExpiryAt?: Date;
}

export type ApplyRejection = 'SIGNAL_MISMATCH' | 'CONTRIBUTION_NOT_FOUND' | 'NOT_CONTRIBUTOR' | 'SIGNAL_NOT_FOUND';

export type ApplyResult =
  | { readonly outcome: 'created' | 'updated' | 'unchanged'; readonly record: SignalRecord }
  | { readonly outcome: 'rejected'; readonly code: ApplyRejection; readonly message: string };

/** Not revoked, and not past its valid-until (a contribution still counts at exactly that instant). */
export function isLive(contribution: StoredContribution, now: Date): boolean {
  return contribution.revokedAt === undefined && (contribution.validUntil === undefined || contribution.validUntil.getTime() >= now.getTime());
}

/**
 * Status, categories and aggregates over the live contributions. No live contribution: EXPIRED when one that was not
 * revoked has run out, else REVOKED. Otherwise DISPUTED when a live one is NEGATIVE, else ACTIVE.
 */
export function deriveState(contributions: readonly StoredContribution[], now: Date): DerivedState {
  const live = contributions.filter((c) => isLive(c, now));
  const positive = live.filter((c) => c.opinion === 'POSITIVE');
  const aggregates: StateAggregates = {
    contributorCount: new Set(live.map((c) => c.contributorOrgId)).size,
    confidence: positive.reduce((max, c) => Math.max(max, c.confidence), 0),
    positiveCount: positive.length,
    negativeCount: live.length - positive.length,
  };
  const categories = [...new Set(live.flatMap((c) => c.categories))].sort();
  const expiries = live.flatMap((c) => (c.validUntil === undefined ? [] : [c.validUntil.getTime()]));
  const nextExpiryAt = expiries.length === 0 ? undefined : new Date(Math.min(...expiries));
  return { status: statusOf(contributions, live), categories, aggregates, ...(nextExpiryAt === undefined ? {} : { nextExpiryAt }) };
}

function statusOf(all: readonly StoredContribution[], live: readonly StoredContribution[]): SignalStatus {
  if (live.length === 0) return all.some((c) => c.revokedAt === undefined) ? 'EXPIRED' : 'REVOKED';
  return live.some((c) => c.opinion === 'NEGATIVE') ? 'DISPUTED' : 'ACTIVE';
}

/**
 * Applies one submission to the current record of its signal (undefined when dedup has none). Idempotent: a
 * contribution id already in the record, or a revocation of an already revoked contribution, returns `unchanged`
 * with the same record object — the first write of a contribution id wins. `now` only decides what is live;
 * timestamps come from the submission, so a replay of the log rebuilds the same records.
 */
export function applySubmission(current: SignalRecord | undefined, submission: Submission, now: Date): ApplyResult {
  return submission.kind === 'contribution' ? applyContribution(current, submission, now) : applyRevocation(current, submission, now);
}

function applyContribution(current: SignalRecord | undefined, submission: Extract<Submission, { kind: 'contribution' }>, now: Date): ApplyResult {
  const { contribution } = submission;
  if (current && (current.signalId !== submission.signalId || current.type !== submission.type || current.canonical !== submission.canonical)) {
    return reject('SIGNAL_MISMATCH', `submission for ${submission.type} ${submission.signalId} does not match record ${current.type} ${current.signalId}`);
  }
  if (contribution.contributorOrgId !== submission.submitterOrgId) {
    return reject('NOT_CONTRIBUTOR', `contribution ${contribution.contributionId} names another contributor than its submitter ${submission.submitterOrgId}`);
  }
  if (!current) {
    const contributions = [contribution];
    const record: SignalRecord = {
      signalId: submission.signalId,
      type: submission.type,
      canonical: submission.canonical,
      details: submission.details,
      contributions,
      ...deriveState(contributions, now),
      firstSeenAt: contribution.createdAt,
      updatedAt: contribution.createdAt,
      version: 1,
    };
    return { outcome: 'created', record };
  }
  if (current.contributions.some((c) => c.contributionId === contribution.contributionId)) return { outcome: 'unchanged', record: current };
  const contributions = [...current.contributions, contribution];
  const record = withContributions(current, contributions, now, {
    firstSeenAt: earliest(current.firstSeenAt, contribution.createdAt),
    updatedAt: latest(current.updatedAt, contribution.createdAt),
  });
  return { outcome: 'updated', record };
}

function applyRevocation(current: SignalRecord | undefined, submission: RevocationSubmission, now: Date): ApplyResult {
  if (!current) return reject('SIGNAL_NOT_FOUND', `no signal ${submission.signalId}`);
  if (current.signalId !== submission.signalId) return reject('SIGNAL_MISMATCH', `revocation for ${submission.signalId} applied to record ${current.signalId}`);
  const index = current.contributions.findIndex((c) => c.contributionId === submission.contributionId);
  if (index < 0) return reject('CONTRIBUTION_NOT_FOUND', `signal ${current.signalId} has no contribution ${submission.contributionId}`);
  const target = current.contributions[index];
  if (target.contributorOrgId !== submission.submitterOrgId) {
    return reject('NOT_CONTRIBUTOR', `contribution ${submission.contributionId} belongs to another organisation than ${submission.submitterOrgId}`);
  }
  if (target.revokedAt !== undefined) return { outcome: 'unchanged', record: current };
  const revoked: StoredContribution = {
    ...target,
    revokedAt: submission.revokedAt,
    ...(submission.reason === undefined ? {} : { revocationReason: submission.reason }),
  };
  const contributions = current.contributions.map((c, i) => (i === index ? revoked : c));
  // updatedAt never goes backwards, even when the revoking clock is behind the contributing one.
  const record = withContributions(current, contributions, now, { firstSeenAt: current.firstSeenAt, updatedAt: latest(current.updatedAt, submission.revokedAt) });
  return { outcome: 'updated', record };
}

/**
 * Re-derives a record at `now`, for the expiry sweeper (run it for records whose nextExpiryAt is before now). A new
 * version with updatedAt = now only when status, categories, aggregates or nextExpiryAt changed; otherwise the same
 * record object.
 */
export function reevaluate(record: SignalRecord, now: Date): { changed: boolean; record: SignalRecord } {
  const derived = deriveState(record.contributions, now);
  if (sameDerived(record, derived)) return { changed: false, record };
  return { changed: true, record: rebuild(record, record.contributions, derived, { firstSeenAt: record.firstSeenAt, updatedAt: latest(record.updatedAt, now) }) };
}

function withContributions(current: SignalRecord, contributions: readonly StoredContribution[], now: Date, times: { firstSeenAt: Date; updatedAt: Date }): SignalRecord {
  return rebuild(current, contributions, deriveState(contributions, now), times);
}

/** A new version of the record; built field by field so no stale nextExpiryAt (or undefined-valued key) survives. */
function rebuild(current: SignalRecord, contributions: readonly StoredContribution[], derived: DerivedState, times: { firstSeenAt: Date; updatedAt: Date }): SignalRecord {
  return {
    signalId: current.signalId,
    type: current.type,
    canonical: current.canonical,
    details: current.details,
    contributions,
    status: derived.status,
    categories: derived.categories,
    aggregates: derived.aggregates,
    firstSeenAt: times.firstSeenAt,
    updatedAt: times.updatedAt,
    ...(derived.nextExpiryAt === undefined ? {} : { nextExpiryAt: derived.nextExpiryAt }),
    version: current.version + 1,
  };
}

function sameDerived(record: SignalRecord, derived: DerivedState): boolean {
  const a = record.aggregates;
  const b = derived.aggregates;
  return (
    record.status === derived.status &&
    record.categories.length === derived.categories.length &&
    record.categories.every((c, i) => c === derived.categories[i]) &&
    a.contributorCount === b.contributorCount &&
    a.confidence === b.confidence &&
    a.positiveCount === b.positiveCount &&
    a.negativeCount === b.negativeCount &&
    record.nextExpiryAt?.getTime() === derived.nextExpiryAt?.getTime()
  );
}

function reject(code: ApplyRejection, message: string): ApplyResult {
  return { outcome: 'rejected', code, message };
}

function earliest(a: Date, b: Date): Date {
  return b.getTime() < a.getTime() ? b : a;
}

function latest(a: Date, b: Date): Date {
  return b.getTime() > a.getTime() ? b : a;
}
