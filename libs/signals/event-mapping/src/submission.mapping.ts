import type { SubmissionEvent } from '@signal-mesh/contracts';
import type { Submission } from '@signal-mesh/signals-domain';

import { contributionFromProto, contributionToProto } from './contribution.mapping';
import { checkSignalId, detailsFromProto, detailsToProto } from './details.mapping';
import { signalTypes } from './enums';
import { FieldReader } from './field-reader';

export interface SubmissionMeta {
  readonly idempotencyKey: string;
  readonly acceptedAt: Date;
}

/** The submissions-topic payload for one submission (key it by `submission.signalId`). */
export function submissionToEvent(submission: Submission, meta: SubmissionMeta): SubmissionEvent {
  const base = { idempotencyKey: meta.idempotencyKey, submitterOrgId: submission.submitterOrgId, acceptedAt: meta.acceptedAt };
  if (submission.kind === 'revocation') {
    const { contributionId, signalId, reason, revokedAt } = submission;
    return { ...base, action: { $case: 'revocation', value: { contributionId, signalId, reason: reason ?? '', revokedAt } } };
  }
  return {
    ...base,
    action: {
      $case: 'contribution',
      value: {
        type: signalTypes.toProto(submission.type),
        canonicalValue: submission.canonical,
        details: detailsToProto(submission.details),
        contribution: contributionToProto(submission.contribution, submission.signalId),
      },
    },
  };
}

/**
 * The domain submission of an event, or EventMappingError INVALID_SUBMISSION naming the first bad field: known enums
 * (UNSPECIFIED included as unknown), ids and timestamps present, the details case matching the type, the signal id
 * derived from kind and canonical value, a new contribution not already revoked. Who may revoke or contribute what is
 * the merge's and the trust policy's business, not this.
 */
export function submissionFromEvent(event: SubmissionEvent): Submission {
  const read = new FieldReader('INVALID_SUBMISSION');
  read.text(event.idempotencyKey, 'idempotencyKey');
  const submitterOrgId = read.text(event.submitterOrgId, 'submitterOrgId');
  read.date(event.acceptedAt, 'acceptedAt');
  const action = event.action;
  if (action?.$case === 'revocation') {
    const at = read.at('revocation');
    const revocation = at.present(action.value, '');
    const reason = at.optionalText(revocation.reason);
    return {
      kind: 'revocation',
      submitterOrgId,
      signalId: at.text(revocation.signalId, 'signalId'),
      contributionId: at.text(revocation.contributionId, 'contributionId'),
      ...(reason === undefined ? {} : { reason }),
      revokedAt: at.date(revocation.revokedAt, 'revokedAt'),
    };
  }
  if (action?.$case !== 'contribution') return read.fail('action', 'a contribution or a revocation is required');
  const at = read.at('contribution');
  const submitted = at.present(action.value, '');
  const type = at.enumValue(signalTypes, submitted.type, 'type');
  const canonical = at.text(submitted.canonicalValue, 'canonicalValue');
  const details = detailsFromProto(type, submitted.details, at);
  const signalId = at.text(at.present(submitted.contribution, 'contribution').signalId, 'contribution.signalId');
  checkSignalId(signalId, details, canonical, at, 'contribution.signalId');
  const contribution = contributionFromProto(submitted.contribution, signalId, at.at('contribution'));
  if (contribution.revokedAt !== undefined) at.fail('contribution.revokedAt', 'a new contribution cannot be revoked already');
  return { kind: 'contribution', submitterOrgId, signalId, type, canonical, details, contribution };
}
