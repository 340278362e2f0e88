import {
  type ContributionDraft as ProtoDraft,
  type ErrorDetail,
  hashAlgorithmToJSON,
  opinionToJSON,
  patternKindToJSON,
  signalTypeToJSON,
  type SubmitResult,
  tlpMarkingToJSON,
  urlMatchScopeToJSON,
} from '@signal-mesh/contracts';
import type { ContributionDraft } from '@signal-mesh/signals-domain';
import { signalTypes } from '@signal-mesh/signals-event-mapping';

import { IngestError, type Rejection } from './errors';
import type { Accepted } from './submit-contributions.usecase';

// Enums travel to the domain by their proto names (SIGNAL_TYPE_URL, TLP_MARKING_AMBER_STRICT…), which the domain
// parsers accept; UNSPECIFIED means "not given" and an unknown number fails there with the type's own code.
const named = (value: number, toJSON: (v: number) => string): string | undefined => (value === 0 ? undefined : toJSON(value));

/** A gRPC ContributionDraft in domain spellings; validation happens in the domain, not here. */
export function draftFromProto(draft: ProtoDraft | undefined): ContributionDraft {
  if (!draft) throw new IngestError('INVALID_REQUEST', 'contribution is required', 'contribution');
  const signal = draft.signal;
  // related_identifiers are not taken: the domain derives related ids (e.g. the AutoV2 of a SHA-256) itself.
  return {
    signal: {
      type: named(signal?.type ?? 0, signalTypeToJSON) ?? '',
      value: signal?.value ?? '',
      scope: named(signal?.urlMatchScope ?? 0, urlMatchScopeToJSON),
      kind: named(signal?.patternKind ?? 0, patternKindToJSON),
      algorithm: named(signal?.hashAlgorithm ?? 0, hashAlgorithmToJSON),
    },
    categories: draft.categories,
    marking: named(draft.marking, tlpMarkingToJSON) ?? '',
    sharingGroupIds: draft.sharingGroupIds,
    namedOrgIds: draft.namedOrgIds,
    confidence: draft.confidence,
    opinion: named(draft.opinion, opinionToJSON),
    ...(draft.validUntil ? { validUntil: draft.validUntil } : {}),
    ...(draft.evidenceNote ? { evidenceNote: draft.evidenceNote } : {}),
    externalRefs: draft.externalRefs.map((ref) => (ref.url ? { system: ref.system, id: ref.id, url: ref.url } : { system: ref.system, id: ref.id })),
  };
}

export function resultToProto(accepted: Accepted): SubmitResult {
  return { contributionId: accepted.contributionId, signalId: accepted.signalId, type: signalTypes.toProto(accepted.type), canonicalValue: accepted.canonical, replayed: accepted.replayed };
}

/** Field paths are relative to the draft in the domain; on the wire they are relative to the request. */
export function grpcField(field: string | undefined): string {
  if (!field) return '';
  if (field === 'idempotencyKey' || field.startsWith('contribution')) return field;
  return `contribution.${field}`;
}

export function errorDetailOf(rejection: Rejection, field = grpcField(rejection.field)): ErrorDetail {
  return { code: rejection.code, message: rejection.message, field };
}
