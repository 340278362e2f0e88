import type { Contribution } from '@signal-mesh/contracts';
import type { ExternalRef, StoredContribution } from '@signal-mesh/signals-domain';

import { markings, opinions } from './enums';
import type { FieldReader } from './field-reader';

/** Unset optional fields become proto3 defaults ('' and no timestamp). */
export function contributionToProto(c: StoredContribution, signalId: string): Contribution {
  return {
    contributionId: c.contributionId,
    signalId,
    contributorOrgId: c.contributorOrgId,
    marking: markings.toProto(c.marking),
    sharingGroupIds: [...c.sharingGroupIds],
    namedOrgIds: [...c.namedOrgIds],
    confidence: c.confidence,
    opinion: opinions.toProto(c.opinion),
    categories: [...c.categories],
    validUntil: c.validUntil,
    evidenceNote: c.evidenceNote ?? '',
    externalRefs: c.externalRefs.map((ref) => ({ system: ref.system, id: ref.id, url: ref.url ?? '' })),
    createdAt: c.createdAt,
    revokedAt: c.revokedAt,
    disputeReason: c.disputeReason ?? '',
    revocationReason: c.revocationReason ?? '',
  };
}

/** A stored contribution, checked to belong to `signalId`; empty strings and unset timestamps become absent keys. */
export function contributionFromProto(c: Contribution | undefined, signalId: string, read: FieldReader): StoredContribution {
  const contribution = read.present(c, '');
  const contributionId = read.text(contribution.contributionId, 'contributionId');
  if (contribution.signalId !== signalId) read.fail('signalId', `"${contribution.signalId}" is not the signal's id ${signalId}`);
  const validUntil = read.optionalDate(contribution.validUntil, 'validUntil');
  const evidenceNote = read.optionalText(contribution.evidenceNote);
  const disputeReason = read.optionalText(contribution.disputeReason);
  const revokedAt = read.optionalDate(contribution.revokedAt, 'revokedAt');
  const revocationReason = read.optionalText(contribution.revocationReason);
  if (revocationReason !== undefined && revokedAt === undefined) read.fail('revocationReason', 'is set but revokedAt is not');
  return {
    contributionId,
    contributorOrgId: read.text(contribution.contributorOrgId, 'contributorOrgId'),
    marking: read.enumValue(markings, contribution.marking, 'marking'),
    sharingGroupIds: read.texts(contribution.sharingGroupIds, 'sharingGroupIds'),
    namedOrgIds: read.texts(contribution.namedOrgIds, 'namedOrgIds'),
    confidence: read.integer(contribution.confidence, 'confidence', 0, 100),
    opinion: read.enumValue(opinions, contribution.opinion, 'opinion'),
    categories: read.texts(contribution.categories, 'categories'),
    ...(validUntil === undefined ? {} : { validUntil }),
    ...(evidenceNote === undefined ? {} : { evidenceNote }),
    externalRefs: (contribution.externalRefs ?? []).map((ref, i) => externalRefFromProto(ref, read.at(`externalRefs[${i}]`))),
    ...(disputeReason === undefined ? {} : { disputeReason }),
    createdAt: read.date(contribution.createdAt, 'createdAt'),
    ...(revokedAt === undefined ? {} : { revokedAt }),
    ...(revocationReason === undefined ? {} : { revocationReason }),
  };
}

function externalRefFromProto(ref: { system: string; id: string; url: string }, read: FieldReader): ExternalRef {
  const url = read.optionalText(ref.url);
  return { system: read.text(ref.system, 'system'), id: read.text(ref.id, 'id'), ...(url === undefined ? {} : { url }) };
}
