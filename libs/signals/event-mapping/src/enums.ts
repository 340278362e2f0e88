import {
  HashAlgorithm as ProtoHashAlgorithm,
  Opinion as ProtoOpinion,
  PatternKind as ProtoPatternKind,
  SignalStatus as ProtoSignalStatus,
  SignalType as ProtoSignalType,
  TlpMarking,
  UrlMatchScope as ProtoUrlMatchScope,
} from '@signal-mesh/contracts';
import type { HashAlgorithm, Marking, Opinion, PatternKind, SignalStatus, SignalType, UrlMatchScope } from '@signal-mesh/signals-domain';

import { EventMappingError } from './event-mapping.error';

/** One closed set of domain spellings and the proto enum it travels as. */
export interface EnumMapping<D extends string, P extends number> {
  /** The proto enum's name, for messages. */
  readonly protoName: string;
  /** Every domain value, in proto order. */
  readonly values: readonly D[];
  /** Throws EventMappingError UNMAPPABLE_VALUE for a value outside the domain set (only reachable through a cast). */
  toProto(value: D): P;
  /** Undefined for UNSPECIFIED (0), UNRECOGNIZED (-1) and any number this build does not know. */
  fromProto(value: number): D | undefined;
}

function enumMapping<D extends string, P extends number>(protoName: string, table: Readonly<Record<D, P>>): EnumMapping<D, P> {
  const values = (Object.keys(table) as D[]).sort((a, b) => table[a] - table[b]);
  const byProto = new Map<number, D>(values.map((value) => [table[value], value]));
  return Object.freeze({
    protoName,
    values: Object.freeze(values),
    toProto(value: D): P {
      const proto = Object.hasOwn(table, value) ? table[value] : undefined;
      if (proto === undefined) throw new EventMappingError('UNMAPPABLE_VALUE', `"${String(value)}" has no ${protoName} value`);
      return proto;
    },
    fromProto: (value: number) => byProto.get(value),
  });
}

export const signalTypes = enumMapping<SignalType, ProtoSignalType>('SignalType', {
  'model-hash': ProtoSignalType.SIGNAL_TYPE_MODEL_HASH,
  url: ProtoSignalType.SIGNAL_TYPE_URL,
  'prompt-pattern': ProtoSignalType.SIGNAL_TYPE_PROMPT_PATTERN,
});

export const hashAlgorithms = enumMapping<HashAlgorithm, ProtoHashAlgorithm>('HashAlgorithm', {
  sha256: ProtoHashAlgorithm.HASH_ALGORITHM_SHA256,
  sha1: ProtoHashAlgorithm.HASH_ALGORITHM_SHA1,
  md5: ProtoHashAlgorithm.HASH_ALGORITHM_MD5,
  autov2: ProtoHashAlgorithm.HASH_ALGORITHM_AUTOV2,
  'safetensors-tensors-sha256': ProtoHashAlgorithm.HASH_ALGORITHM_SAFETENSORS_TENSORS_SHA256,
  'safetensors-merkle-root': ProtoHashAlgorithm.HASH_ALGORITHM_SAFETENSORS_MERKLE_ROOT,
});

export const urlMatchScopes = enumMapping<UrlMatchScope, ProtoUrlMatchScope>('UrlMatchScope', {
  exact: ProtoUrlMatchScope.URL_MATCH_SCOPE_EXACT,
  'path-prefix': ProtoUrlMatchScope.URL_MATCH_SCOPE_PATH_PREFIX,
  host: ProtoUrlMatchScope.URL_MATCH_SCOPE_HOST,
  domain: ProtoUrlMatchScope.URL_MATCH_SCOPE_DOMAIN,
});

export const patternKinds = enumMapping<PatternKind, ProtoPatternKind>('PatternKind', {
  keyword: ProtoPatternKind.PATTERN_KIND_KEYWORD,
  regex: ProtoPatternKind.PATTERN_KIND_REGEX,
});

export const markings = enumMapping<Marking, TlpMarking>('TlpMarking', {
  CLEAR: TlpMarking.TLP_MARKING_CLEAR,
  GREEN: TlpMarking.TLP_MARKING_GREEN,
  AMBER: TlpMarking.TLP_MARKING_AMBER,
  AMBER_STRICT: TlpMarking.TLP_MARKING_AMBER_STRICT,
  RED: TlpMarking.TLP_MARKING_RED,
});

export const opinions = enumMapping<Opinion, ProtoOpinion>('Opinion', {
  POSITIVE: ProtoOpinion.OPINION_POSITIVE,
  NEGATIVE: ProtoOpinion.OPINION_NEGATIVE,
});

export const signalStatuses = enumMapping<SignalStatus, ProtoSignalStatus>('SignalStatus', {
  ACTIVE: ProtoSignalStatus.SIGNAL_STATUS_ACTIVE,
  DISPUTED: ProtoSignalStatus.SIGNAL_STATUS_DISPUTED,
  REVOKED: ProtoSignalStatus.SIGNAL_STATUS_REVOKED,
  EXPIRED: ProtoSignalStatus.SIGNAL_STATUS_EXPIRED,
});
