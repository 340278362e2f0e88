import { isContributionId, type RevocationSubmission, validateRevocationReason } from '@signal-mesh/signals-domain';
import type { Logger } from '@signal-mesh/util-logging';

import { IngestError, RejectedError } from './errors';
import type { Authorizer, Caller, Clock, SignalLookup, SubmissionPublisher } from './ports';
import type { SubmitContributions } from './submit-contributions.usecase';

export interface RevokeRequest {
  readonly contributionId: string;
  readonly reason?: string;
}

export interface Revoked {
  readonly contributionId: string;
  readonly signalId: string;
  readonly revokedAt: Date;
}

export interface RevokeContributionDeps {
  readonly authorizer: Authorizer;
  readonly signals: Pick<SignalLookup, 'findByContributionId'>;
  readonly publisher: SubmissionPublisher;
  /** Shares the per-organisation rate limit with submissions. */
  readonly submit: Pick<SubmitContributions, 'admit'>;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * Withdraws one of the caller's own contributions: find it in the canonical state → the trust service decides
 * (REVOKE, owner = the stored contributor) → produce a Revocation keyed by the signal id. Repeating it is harmless:
 * an already revoked contribution answers its revocation time without a new event.
 */
export class RevokeContribution {
  constructor(private readonly deps: RevokeContributionDeps) {}

  async execute(caller: Caller, request: RevokeRequest): Promise<Revoked> {
    const { contributionId } = request;
    if (!isContributionId(contributionId)) throw new IngestError('INVALID_FIELD', 'contributionId is a contribution id (ctb_ followed by 32 hex digits)', 'contributionId');
    const reason = validateRevocationReason(request.reason);
    const admitted = this.deps.submit.admit(caller, 1);
    if (admitted.rejection?.rejected) throw new RejectedError(admitted.rejection.rejected);

    const record = await this.deps.signals.findByContributionId(contributionId);
    const contribution = record?.contributions.find((c) => c.contributionId === contributionId);
    if (!record || !contribution) {
      throw new IngestError('CONTRIBUTION_NOT_FOUND', 'no such contribution; a contribution accepted moments ago may still be processing, so retry shortly', 'contributionId');
    }
    await this.deps.authorizer.authorize(caller.apiKey, 'REVOKE', { signalType: record.type, ownerOrgId: contribution.contributorOrgId });
    if (contribution.revokedAt) return { contributionId, signalId: record.signalId, revokedAt: contribution.revokedAt };

    const revokedAt = this.deps.clock();
    const submission: RevocationSubmission = {
      kind: 'revocation',
      submitterOrgId: caller.principal.orgId,
      signalId: record.signalId,
      contributionId,
      revokedAt,
      ...(reason === undefined ? {} : { reason }),
    };
    try {
      // A deterministic key: a repeated revocation is recognisable downstream.
      await this.deps.publisher.publish([{ submission, idempotencyKey: `revoke:${contributionId}`, acceptedAt: revokedAt }]);
    } catch (err) {
      this.deps.logger.error({ err, contributionId }, 'could not produce the revocation');
      throw new IngestError('PUBLISH_FAILED', 'the revocation could not be made durable; retry');
    }
    return { contributionId, signalId: record.signalId, revokedAt };
  }
}
