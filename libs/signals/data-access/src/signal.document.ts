import type { ExternalRef, Marking, Opinion, SignalDetails, SignalRecord, SignalStatus, SignalType, StoredContribution } from '@signal-mesh/signals-domain';

/** One contribution, embedded in its signal's document. Absent optional fields are omitted, never null. */
export interface ContributionDocument {
  contributionId: string;
  contributorOrgId: string;
  marking: Marking;
  sharingGroupIds: string[];
  namedOrgIds: string[];
  confidence: number;
  opinion: Opinion;
  categories: string[];
  validUntil?: Date;
  evidenceNote?: string;
  externalRefs: { system: string; id: string; url?: string }[];
  disputeReason?: string;
  createdAt: Date;
  revokedAt?: Date;
  revocationReason?: string;
}

export type DetailsDocument =
  | { type: 'model-hash'; algorithm: string; related: { algorithm: string; value: string }[] }
  | { type: 'url'; scope: string; host: string; registrableDomain?: string }
  | { type: 'prompt-pattern'; kind: string };

/**
 * One canonical signal. `_id` is the signal id; contributions are embedded (a signal has few, they change together
 * and the whole state is replaced at once). Dates are BSON dates.
 */
export interface SignalDocument {
  _id: string;
  type: SignalType;
  canonical: string;
  details: DetailsDocument;
  contributions: ContributionDocument[];
  status: SignalStatus;
  categories: string[];
  aggregates: { contributorCount: number; confidence: number; positiveCount: number; negativeCount: number };
  firstSeenAt: Date;
  updatedAt: Date;
  nextExpiryAt?: Date;
  version: number;
  /** Set by writeBatch: the batch that wrote this version, so a writer can tell whether its replace won. */
  writeToken?: string;
}

/** Only the record's own fields, copied (no shared arrays), without undefined members (the driver would store null). */
export function toDocument(record: SignalRecord): SignalDocument {
  const { aggregates } = record;
  return {
    _id: record.signalId,
    type: record.type,
    canonical: record.canonical,
    details: detailsToDocument(record.details),
    contributions: record.contributions.map(copyContribution),
    status: record.status,
    categories: [...record.categories],
    aggregates: { contributorCount: aggregates.contributorCount, confidence: aggregates.confidence, positiveCount: aggregates.positiveCount, negativeCount: aggregates.negativeCount },
    firstSeenAt: record.firstSeenAt,
    updatedAt: record.updatedAt,
    ...(record.nextExpiryAt === undefined ? {} : { nextExpiryAt: record.nextExpiryAt }),
    version: record.version,
  };
}

/** The record of a stored document; internal fields (writeToken) stay behind, a stored null reads as absent. */
export function fromDocument(doc: SignalDocument): SignalRecord {
  const { aggregates } = doc;
  return {
    signalId: doc._id,
    type: doc.type,
    canonical: doc.canonical,
    details: detailsFromDocument(doc.details),
    contributions: doc.contributions.map(copyContribution),
    status: doc.status,
    categories: [...doc.categories],
    aggregates: { contributorCount: aggregates.contributorCount, confidence: aggregates.confidence, positiveCount: aggregates.positiveCount, negativeCount: aggregates.negativeCount },
    firstSeenAt: doc.firstSeenAt,
    updatedAt: doc.updatedAt,
    ...optional('nextExpiryAt', doc.nextExpiryAt),
    version: doc.version,
  };
}

function detailsToDocument(details: SignalDetails): DetailsDocument {
  switch (details.type) {
    case 'model-hash':
      return { type: details.type, algorithm: details.algorithm, related: details.related.map((r) => ({ algorithm: r.algorithm, value: r.value })) };
    case 'url':
      return { type: details.type, scope: details.scope, host: details.host, ...optional('registrableDomain', details.registrableDomain) };
    case 'prompt-pattern':
      return { type: details.type, kind: details.kind };
  }
}

// Stored values were domain values when written: the casts only restore the literal types.
function detailsFromDocument(details: DetailsDocument): SignalDetails {
  switch (details.type) {
    case 'model-hash':
      return { type: details.type, algorithm: details.algorithm, related: details.related.map((r) => ({ algorithm: r.algorithm, value: r.value })) } as SignalDetails;
    case 'url':
      return { type: details.type, scope: details.scope, host: details.host, ...optional('registrableDomain', details.registrableDomain) } as SignalDetails;
    case 'prompt-pattern':
      return { type: details.type, kind: details.kind } as SignalDetails;
  }
}

/** The same plain fields both ways (record → document and back): a copy that drops unset optional fields. */
function copyContribution(c: StoredContribution | ContributionDocument): StoredContribution & ContributionDocument {
  return {
    contributionId: c.contributionId,
    contributorOrgId: c.contributorOrgId,
    marking: c.marking,
    sharingGroupIds: [...c.sharingGroupIds],
    namedOrgIds: [...c.namedOrgIds],
    confidence: c.confidence,
    opinion: c.opinion,
    categories: [...c.categories],
    ...optional('validUntil', c.validUntil),
    ...optional('evidenceNote', c.evidenceNote),
    externalRefs: c.externalRefs.map(externalRef),
    ...optional('disputeReason', c.disputeReason),
    createdAt: c.createdAt,
    ...optional('revokedAt', c.revokedAt),
    ...optional('revocationReason', c.revocationReason),
  };
}

function externalRef(ref: { system: string; id: string; url?: string | null }): ExternalRef {
  return { system: ref.system, id: ref.id, ...optional('url', ref.url) };
}

/** `{ [key]: value }`, or nothing when the value is undefined or null. */
function optional<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return value === undefined || value === null ? {} : ({ [key]: value } as { [P in K]?: V });
}
