import {
  Opinion as ProtoOpinion,
  OrganisationKind as ProtoKind,
  OrganisationStatus as ProtoStatus,
  SignalType as ProtoSignalType,
  TlpMarking as ProtoMarking,
} from '@signal-mesh/contracts';
import type { Marking, Opinion, OrganisationKind, OrganisationStatus, SignalType } from '@signal-mesh/trust-domain';

/** One closed set of trust-domain spellings and the proto enum it travels as. */
export interface TrustEnumMapping<D extends string, P extends number> {
  /** Every domain value, in proto order. */
  readonly values: readonly D[];
  toProto(value: D): P;
  /** Undefined for UNSPECIFIED (0), UNRECOGNIZED (-1) and any unknown number: callers fail closed, never default. */
  fromProto(value: number): D | undefined;
}

function enumMapping<D extends string, P extends number>(table: Readonly<Record<D, P>>): TrustEnumMapping<D, P> {
  const values = (Object.keys(table) as D[]).sort((a, b) => table[a] - table[b]);
  const byProto = new Map<number, D>(values.map((value) => [table[value], value]));
  return Object.freeze({ values: Object.freeze(values), toProto: (value: D) => table[value], fromProto: (value: number) => byProto.get(value) });
}

export const organisationKinds = enumMapping<OrganisationKind, ProtoKind>({
  PLATFORM: ProtoKind.ORGANISATION_KIND_PLATFORM,
  NGO: ProtoKind.ORGANISATION_KIND_NGO,
  SEARCH_ENGINE: ProtoKind.ORGANISATION_KIND_SEARCH_ENGINE,
  HOTLINE: ProtoKind.ORGANISATION_KIND_HOTLINE,
  RESEARCHER: ProtoKind.ORGANISATION_KIND_RESEARCHER,
  OPERATOR: ProtoKind.ORGANISATION_KIND_OPERATOR,
});

export const organisationStatuses = enumMapping<OrganisationStatus, ProtoStatus>({
  ACTIVE: ProtoStatus.ORGANISATION_STATUS_ACTIVE,
  SUSPENDED: ProtoStatus.ORGANISATION_STATUS_SUSPENDED,
});

export const trustSignalTypes = enumMapping<SignalType, ProtoSignalType>({
  'model-hash': ProtoSignalType.SIGNAL_TYPE_MODEL_HASH,
  url: ProtoSignalType.SIGNAL_TYPE_URL,
  'prompt-pattern': ProtoSignalType.SIGNAL_TYPE_PROMPT_PATTERN,
});

export const trustMarkings = enumMapping<Marking, ProtoMarking>({
  CLEAR: ProtoMarking.TLP_MARKING_CLEAR,
  GREEN: ProtoMarking.TLP_MARKING_GREEN,
  AMBER: ProtoMarking.TLP_MARKING_AMBER,
  AMBER_STRICT: ProtoMarking.TLP_MARKING_AMBER_STRICT,
  RED: ProtoMarking.TLP_MARKING_RED,
});

export const trustOpinions = enumMapping<Opinion, ProtoOpinion>({
  POSITIVE: ProtoOpinion.OPINION_POSITIVE,
  NEGATIVE: ProtoOpinion.OPINION_NEGATIVE,
});
