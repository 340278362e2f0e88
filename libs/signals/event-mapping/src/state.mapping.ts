import type { Signal, SignalStateEvent } from '@signal-mesh/contracts';
import { deriveState, type SignalRecord } from '@signal-mesh/signals-domain';

import { contributionFromProto, contributionToProto } from './contribution.mapping';
import { checkSignalId, detailsFromProto, detailsToProto } from './details.mapping';
import { signalStatuses, signalTypes } from './enums';
import { FieldReader } from './field-reader';

/** The full canonical state as a proto Signal, every contribution (revoked ones too) with its marking. Internal only. */
export function recordToSignal(record: SignalRecord): Signal {
  const { aggregates } = record;
  return {
    signalId: record.signalId,
    type: signalTypes.toProto(record.type),
    canonicalValue: record.canonical,
    categories: [...record.categories],
    status: signalStatuses.toProto(record.status),
    details: detailsToProto(record.details),
    aggregates: { contributorCount: aggregates.contributorCount, confidence: aggregates.confidence, positiveCount: aggregates.positiveCount, negativeCount: aggregates.negativeCount },
    firstSeenAt: record.firstSeenAt,
    updatedAt: record.updatedAt,
    contributions: record.contributions.map((c) => contributionToProto(c, record.signalId)),
  };
}

/** The state-topic payload (key it by `record.signalId`); `version` is a decimal string (uint64, forceLong=string). */
export function recordToStateEvent(record: SignalRecord, emittedAt: Date): SignalStateEvent {
  return { signal: recordToSignal(record), version: String(record.version), emittedAt };
}

/**
 * The record of a state event, or EventMappingError INVALID_STATE naming the first bad field. Status, categories and
 * aggregates are taken as emitted. `nextExpiryAt` is not on the wire: it is re-derived from the contributions as of
 * `emittedAt`, as the merge derives it as of its own clock (equal unless a valid-until fell between the two).
 */
export function recordFromStateEvent(event: SignalStateEvent): SignalRecord {
  const read = new FieldReader('INVALID_STATE');
  const version = parseVersion(event.version, read);
  const emittedAt = read.date(event.emittedAt, 'emittedAt');
  const at = read.at('signal');
  const signal = at.present(event.signal, '');
  const signalId = at.text(signal.signalId, 'signalId');
  const type = at.enumValue(signalTypes, signal.type, 'type');
  const canonical = at.text(signal.canonicalValue, 'canonicalValue');
  const details = detailsFromProto(type, signal.details, at);
  checkSignalId(signalId, details, canonical, at, 'signalId');
  const aggregates = at.present(signal.aggregates, 'aggregates');
  const contributions = (signal.contributions ?? []).map((c, i) => contributionFromProto(c, signalId, at.at(`contributions[${i}]`)));
  const { nextExpiryAt } = deriveState(contributions, emittedAt);
  return {
    signalId,
    type,
    canonical,
    details,
    contributions,
    status: at.enumValue(signalStatuses, signal.status, 'status'),
    categories: at.texts(signal.categories, 'categories'),
    aggregates: {
      contributorCount: aggregates.contributorCount,
      confidence: aggregates.confidence,
      positiveCount: aggregates.positiveCount,
      negativeCount: aggregates.negativeCount,
    },
    firstSeenAt: at.date(signal.firstSeenAt, 'firstSeenAt'),
    updatedAt: at.date(signal.updatedAt, 'updatedAt'),
    ...(nextExpiryAt === undefined ? {} : { nextExpiryAt }),
    version,
  };
}

function parseVersion(raw: string, read: FieldReader): number {
  const version = /^[1-9][0-9]*$/.test(raw ?? '') ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(version)) read.fail('version', `"${raw}" is not a version (a positive integer)`);
  return version;
}
