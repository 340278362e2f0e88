import { HashAlgorithm, Opinion, PatternKind, SignalStatus, SignalType, TlpMarking, UrlMatchScope } from '@signal-mesh/contracts';
import { MARKINGS } from '@signal-mesh/signals-domain';

import { type EnumMapping, hashAlgorithms, markings, opinions, patternKinds, signalStatuses, signalTypes, urlMatchScopes } from './enums';

/** The numbers of a ts-proto enum other than UNSPECIFIED (0) and UNRECOGNIZED (-1). */
const protoValues = (protoEnum: object): number[] => Object.values(protoEnum).filter((v): v is number => typeof v === 'number' && v > 0);

const cases: [string, EnumMapping<string, number>, object][] = [
  ['signalTypes', signalTypes, SignalType],
  ['hashAlgorithms', hashAlgorithms, HashAlgorithm],
  ['urlMatchScopes', urlMatchScopes, UrlMatchScope],
  ['patternKinds', patternKinds, PatternKind],
  ['markings', markings, TlpMarking],
  ['opinions', opinions, Opinion],
  ['signalStatuses', signalStatuses, SignalStatus],
];

describe('enum mappings', () => {
  it.each(cases)('%s covers every proto value both ways', (_name, mapping, protoEnum) => {
    expect(mapping.values.map((v) => mapping.toProto(v))).toEqual(protoValues(protoEnum));
    for (const value of mapping.values) expect(mapping.fromProto(mapping.toProto(value))).toBe(value);
  });

  it.each(cases)('%s has no domain value for UNSPECIFIED, UNRECOGNIZED or an unknown number', (_name, mapping) => {
    for (const value of [0, -1, 99]) expect(mapping.fromProto(value)).toBeUndefined();
  });

  it.each(cases)('%s refuses a value outside the domain set with UNMAPPABLE_VALUE', (_name, mapping) => {
    expect(() => mapping.toProto('bogus')).toThrow(expect.objectContaining({ code: 'UNMAPPABLE_VALUE' }));
    expect(() => mapping.toProto('toString')).toThrow(expect.objectContaining({ code: 'UNMAPPABLE_VALUE' }));
  });

  it('uses the domain spellings', () => {
    expect(signalTypes.values).toEqual(['model-hash', 'url', 'prompt-pattern']);
    expect(hashAlgorithms.values).toEqual(['sha256', 'sha1', 'md5', 'autov2', 'safetensors-tensors-sha256', 'safetensors-merkle-root']);
    expect(urlMatchScopes.values).toEqual(['exact', 'path-prefix', 'host', 'domain']);
    expect(patternKinds.values).toEqual(['keyword', 'regex']);
    expect(markings.values).toEqual(MARKINGS);
    expect(markings.toProto('AMBER_STRICT')).toBe(TlpMarking.TLP_MARKING_AMBER_STRICT);
    expect(opinions.values).toEqual(['POSITIVE', 'NEGATIVE']);
    expect(signalStatuses.values).toEqual(['ACTIVE', 'DISPUTED', 'REVOKED', 'EXPIRED']);
  });
});
