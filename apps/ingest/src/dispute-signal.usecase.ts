import { type ContributionDraft, type SignalRecord, validateContribution, validateIdempotencyKey } from '@signal-mesh/signals-domain';
import type { Logger } from '@signal-mesh/util-logging';

import { IngestError, RejectedError } from './errors';
import type { Caller, Clock, SignalLookup, ViewLookup } from './ports';
import type { Accepted, SubmitContributions } from './submit-contributions.usecase';

export interface DisputeRequest {
  readonly signalId: string;
  readonly reason: string;
  readonly marking: string;
  readonly sharingGroupIds?: readonly string[];
  readonly namedOrgIds?: readonly string[];
  readonly confidence: number;
  readonly idempotencyKey?: string;
}

export interface DisputeSignalDeps {
  readonly signals: Pick<SignalLookup, 'findById'>;
  readonly views: ViewLookup;
  readonly submit: Pick<SubmitContributions, 'admit' | 'submitValidated'>;
  readonly clock: Clock;
  readonly logger: Logger;
}

const NOT_FOUND = 'no such signal';

/**
 * Disputes a signal the caller can see: the stored state → the caller's view from the trust service (a hidden signal
 * answers exactly like a missing one) → a NEGATIVE contribution of the same signal, over the categories the caller
 * sees, with the caller's own marking and audience → the normal submission path (authorised as DISPUTE, idempotent,
 * durable before success).
 */
export class DisputeSignal {
  constructor(private readonly deps: DisputeSignalDeps) {}

  async execute(caller: Caller, request: DisputeRequest): Promise<Accepted> {
    if (!request.signalId) throw new IngestError('INVALID_FIELD', 'signalId is required', 'signalId');
    const idempotencyKey = request.idempotencyKey ? validateIdempotencyKey(request.idempotencyKey) : undefined;
    const admitted = this.deps.submit.admit(caller, 1);
    if (admitted.rejection?.rejected) throw new RejectedError(admitted.rejection.rejected);

    const record = await this.deps.signals.findById(request.signalId);
    if (!record) throw new IngestError('SIGNAL_NOT_FOUND', NOT_FOUND, 'signalId');
    const categories = await this.deps.views.visibleCategories(caller.principal.orgId, record);
    if (!categories) throw new IngestError('SIGNAL_NOT_FOUND', NOT_FOUND, 'signalId');

    const valid = validateContribution(disputeDraft(record, categories, request), { now: this.deps.clock() });
    if (valid.signal.signalId !== record.signalId) {
      // Canonicalization is idempotent (property-tested); a mismatch is a bug, never the caller's fault.
      this.deps.logger.error({ signalId: record.signalId, recomputed: valid.signal.signalId }, 'stored canonical value does not map back to its signal id');
      throw new Error('signal id mismatch');
    }
    // The stored details (e.g. the host a domain-scoped URL was first seen on), not those of the canonical value.
    const [outcome] = await this.deps.submit.submitValidated(caller, [{ valid: { ...valid, details: record.details }, idempotencyKey }]);
    if (outcome.rejected) throw new RejectedError(outcome.rejected);
    return outcome.accepted;
  }
}

/** The stored signal as a draft again (its canonical value re-canonicalizes to itself), with a NEGATIVE opinion. */
export function disputeDraft(record: SignalRecord, categories: readonly string[], request: DisputeRequest): ContributionDraft {
  const { details } = record;
  const signal =
    details.type === 'url'
      ? { type: record.type, value: record.canonical, scope: details.scope }
      : details.type === 'prompt-pattern'
        ? { type: record.type, value: record.canonical, kind: details.kind }
        : { type: record.type, value: record.canonical, algorithm: details.algorithm };
  return {
    signal,
    categories,
    marking: request.marking,
    sharingGroupIds: request.sharingGroupIds ?? [],
    namedOrgIds: request.namedOrgIds ?? [],
    confidence: request.confidence,
    opinion: 'NEGATIVE',
    // Required by validation for a NEGATIVE opinion; an empty one fails there with DISPUTE_REASON_REQUIRED.
    disputeReason: request.reason,
  };
}
