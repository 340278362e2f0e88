import { type Contribution, HashAlgorithm, Opinion, SignalType, type SubmissionEvent, type SubmittedContribution, TlpMarking, UrlMatchScope } from '@signal-mesh/contracts';
import type { RevocationSubmission } from '@signal-mesh/signals-domain';
import { at, contribution, contributionSubmission, fullContribution, randomHex, signalVariants } from '@signal-mesh/signals-testing';

import { decodeSubmission, encodeSubmission } from './codec';
import { submissionFromEvent, submissionToEvent } from './submission.mapping';

const meta = { idempotencyKey: 'idem-key-1', acceptedAt: at(1) };

function revocation(overrides: Partial<RevocationSubmission> = {}): RevocationSubmission {
  return { kind: 'revocation', submitterOrgId: 'org_ngo_a', signalId: `url_${randomHex(16)}`, contributionId: `ctb_${randomHex(16)}`, reason: 'contributed by mistake', revokedAt: at(2), ...overrides };
}

function validEvent(): SubmissionEvent {
  return submissionToEvent(contributionSubmission({ type: 'model-hash', value: randomHex(32) }, fullContribution({ opinion: 'POSITIVE', disputeReason: undefined })), meta);
}

function submitted(event: SubmissionEvent): SubmittedContribution {
  if (event.action?.$case !== 'contribution') throw new Error('fixture: not a contribution');
  return event.action.value;
}

function contributionOf(event: SubmissionEvent): Contribution {
  const contribution = submitted(event).contribution;
  if (!contribution) throw new Error('fixture: no contribution');
  return contribution;
}

/** A mutation of a valid contribution event, and the field it must be refused for. */
const invalidContributions: [string, (e: SubmissionEvent) => void, string][] = [
  ['no idempotency key', (e) => (e.idempotencyKey = ''), 'idempotencyKey'],
  ['no submitter', (e) => (e.submitterOrgId = ''), 'submitterOrgId'],
  ['no acceptedAt', (e) => (e.acceptedAt = undefined), 'acceptedAt'],
  ['an invalid acceptedAt', (e) => (e.acceptedAt = new Date(Number.NaN)), 'acceptedAt'],
  ['no action', (e) => (e.action = undefined), 'action'],
  ['type UNSPECIFIED', (e) => (submitted(e).type = SignalType.SIGNAL_TYPE_UNSPECIFIED), 'contribution.type'],
  ['an unknown type number', (e) => (submitted(e).type = 42 as SignalType), 'contribution.type'],
  ['no canonical value', (e) => (submitted(e).canonicalValue = ''), 'contribution.canonicalValue'],
  ['no details', (e) => (submitted(e).details = undefined), 'contribution.details'],
  ['details of another type', (e) => (submitted(e).details = { $case: 'url', value: { matchScope: UrlMatchScope.URL_MATCH_SCOPE_EXACT, host: 'example.com', registrableDomain: '' } }), 'contribution.details'],
  ['an unknown hash algorithm', (e) => (submitted(e).details = { $case: 'modelHash', value: { algorithm: 77 as HashAlgorithm, relatedIdentifiers: [] } }), 'contribution.modelHash.algorithm'],
  [
    'a related identifier without value',
    (e) => (submitted(e).details = { $case: 'modelHash', value: { algorithm: HashAlgorithm.HASH_ALGORITHM_SHA256, relatedIdentifiers: [{ algorithm: HashAlgorithm.HASH_ALGORITHM_AUTOV2, value: '' }] } }),
    'contribution.modelHash.relatedIdentifiers[0].value',
  ],
  ['a signal id not derived from kind and value', (e) => (submitted(e).canonicalValue = randomHex(32)), 'contribution.contribution.signalId'],
  ['no contribution', (e) => (submitted(e).contribution = undefined), 'contribution.contribution'],
  ['no contribution id', (e) => (contributionOf(e).contributionId = ''), 'contribution.contribution.contributionId'],
  ['no contributor', (e) => (contributionOf(e).contributorOrgId = ''), 'contribution.contribution.contributorOrgId'],
  ['marking UNSPECIFIED', (e) => (contributionOf(e).marking = TlpMarking.TLP_MARKING_UNSPECIFIED), 'contribution.contribution.marking'],
  ['an unknown marking', (e) => (contributionOf(e).marking = 9 as TlpMarking), 'contribution.contribution.marking'],
  ['opinion UNSPECIFIED', (e) => (contributionOf(e).opinion = Opinion.OPINION_UNSPECIFIED), 'contribution.contribution.opinion'],
  ['confidence above 100', (e) => (contributionOf(e).confidence = 101), 'contribution.contribution.confidence'],
  ['an empty sharing group id', (e) => (contributionOf(e).sharingGroupIds = ['grp_1', '']), 'contribution.contribution.sharingGroupIds[1]'],
  ['no createdAt', (e) => (contributionOf(e).createdAt = undefined), 'contribution.contribution.createdAt'],
  ['an already revoked contribution', (e) => (contributionOf(e).revokedAt = at(3)), 'contribution.contribution.revokedAt'],
  ['an external ref without system', (e) => (contributionOf(e).externalRefs = [{ system: '', id: 'x', url: '' }]), 'contribution.contribution.externalRefs[0].system'],
];

const invalidRevocations: [string, (r: RevocationSubmission) => RevocationSubmission, string][] = [
  ['no contribution id', (r) => ({ ...r, contributionId: '' }), 'revocation.contributionId'],
  ['no signal id', (r) => ({ ...r, signalId: '' }), 'revocation.signalId'],
  ['no revokedAt', (r) => ({ ...r, revokedAt: undefined as unknown as Date }), 'revocation.revokedAt'],
];

describe(submissionToEvent.name, () => {
  it.each(signalVariants())('round-trips a contribution to %s through the Kafka bytes', (_name, input) => {
    const submission = contributionSubmission(input, fullContribution());
    const event = submissionToEvent(submission, meta);
    expect(event).toMatchObject({ idempotencyKey: 'idem-key-1', submitterOrgId: 'org_ngo_b', acceptedAt: at(1) });
    expect(submissionFromEvent(decodeSubmission(encodeSubmission(event)))).toStrictEqual(submission);
  });

  it('round-trips a minimal contribution without inventing optional fields', () => {
    const submission = contributionSubmission({ type: 'url', value: 'https://example.com/a' }, contribution());
    const sut = submissionFromEvent(decodeSubmission(encodeSubmission(submissionToEvent(submission, meta))));
    expect(sut).toStrictEqual(submission);
    if (sut.kind !== 'contribution') throw new Error('expected a contribution');
    for (const key of ['validUntil', 'evidenceNote', 'disputeReason', 'revokedAt', 'revocationReason']) expect(key in sut.contribution).toBe(false);
  });

  it('carries the model hash related identifiers', () => {
    const submission = contributionSubmission({ type: 'model-hash', value: randomHex(32) });
    const details = submitted(submissionToEvent(submission, meta)).details;
    expect(details).toEqual({ $case: 'modelHash', value: { algorithm: HashAlgorithm.HASH_ALGORITHM_SHA256, relatedIdentifiers: [{ algorithm: HashAlgorithm.HASH_ALGORITHM_AUTOV2, value: expect.stringMatching(/^[0-9a-f]{10}$/) }] } });
  });

  it.each([
    ['with a reason', revocation()],
    ['without a reason', revocation({ reason: undefined })],
  ])('round-trips a revocation %s', (_name, submission) => {
    const sut = submissionFromEvent(decodeSubmission(encodeSubmission(submissionToEvent(submission, meta))));
    expect(sut).toStrictEqual(Object.fromEntries(Object.entries(submission).filter(([, v]) => v !== undefined)));
  });
});

describe(submissionFromEvent.name, () => {
  it.each(invalidContributions)('refuses a contribution event with %s', (_name, mutate, field) => {
    const event = validEvent();
    mutate(event);
    expect(() => submissionFromEvent(event)).toThrow(expect.objectContaining({ name: 'EventMappingError', code: 'INVALID_SUBMISSION', field }));
  });

  it.each(invalidRevocations)('refuses a revocation event with %s', (_name, mutate, field) => {
    const event = submissionToEvent(mutate(revocation()), meta);
    expect(() => submissionFromEvent(event)).toThrow(expect.objectContaining({ code: 'INVALID_SUBMISSION', field }));
  });

  it('names the field in the message, for the dead-letter reason', () => {
    const event = validEvent();
    contributionOf(event).marking = 9 as TlpMarking;
    expect(() => submissionFromEvent(event)).toThrow('contribution.contribution.marking: 9 is not a known TlpMarking');
  });

  it('refuses an unknown enum number that came over the wire', () => {
    const event = validEvent();
    contributionOf(event).opinion = 7 as Opinion;
    const decoded = decodeSubmission(encodeSubmission(event));
    expect(submitted(decoded).contribution?.opinion).toBe(7);
    expect(() => submissionFromEvent(decoded)).toThrow(expect.objectContaining({ code: 'INVALID_SUBMISSION', field: 'contribution.contribution.opinion' }));
  });
});
