import { HashAlgorithm, Opinion, PatternKind, SignalType, TlpMarking, UrlMatchScope } from '@signal-mesh/contracts';

import { parseConfidence, parseExternalRef, parseValidUntil, SubmitInputError, toDraft, typeName } from './submit-request';

function codeOf(fn: () => unknown): { code: string; field: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!(err instanceof SubmitInputError)) throw err;
    return { code: err.code, field: err.field };
  }
}

describe(toDraft.name, () => {
  it('maps every field of a URL contribution to the proto enums and fields', () => {
    expect(
      toDraft({
        type: 'url',
        value: 'https://nudify.example.com/app',
        scope: 'path-prefix',
        categories: ['service.nudify', ' service.nudify ', '', 'service.nudify.tutorial'],
        marking: 'amber',
        sharingGroups: ['grp_1', 'grp_1'],
        namedOrgs: [],
        confidence: '80',
        opinion: 'negative',
        validUntil: '2027-01-01T00:00:00Z',
        evidenceNote: 'seen in a placeholder report',
        externalRefs: ['hotline-case:123:https://example.com/cases/123', 'model-site:abc'],
      }),
    ).toEqual({
      signal: {
        type: SignalType.SIGNAL_TYPE_URL,
        value: 'https://nudify.example.com/app',
        urlMatchScope: UrlMatchScope.URL_MATCH_SCOPE_PATH_PREFIX,
        patternKind: PatternKind.PATTERN_KIND_UNSPECIFIED,
        hashAlgorithm: HashAlgorithm.HASH_ALGORITHM_UNSPECIFIED,
      },
      relatedIdentifiers: [],
      categories: ['service.nudify', 'service.nudify.tutorial'],
      marking: TlpMarking.TLP_MARKING_AMBER,
      sharingGroupIds: ['grp_1'],
      namedOrgIds: [],
      confidence: 80,
      opinion: Opinion.OPINION_NEGATIVE,
      validUntil: new Date('2027-01-01T00:00:00Z'),
      evidenceNote: 'seen in a placeholder report',
      externalRefs: [
        { system: 'hotline-case', id: '123', url: 'https://example.com/cases/123' },
        { system: 'model-site', id: 'abc', url: '' },
      ],
    });
  });

  it('maps the other types, kinds and markings; empty means unspecified (the service decides the default)', () => {
    const pattern = toDraft({ type: 'prompt-pattern', value: 'placeholder phrase', kind: 'regex', marking: 'amber-strict' });
    expect(pattern.signal).toMatchObject({ type: SignalType.SIGNAL_TYPE_PROMPT_PATTERN, patternKind: PatternKind.PATTERN_KIND_REGEX, urlMatchScope: UrlMatchScope.URL_MATCH_SCOPE_UNSPECIFIED });
    expect(pattern.marking).toBe(TlpMarking.TLP_MARKING_AMBER_STRICT);
    const hash = toDraft({ type: 'model-hash', value: 'ab'.repeat(32), marking: '', opinion: ' ', confidence: '' });
    expect(hash).toMatchObject({ signal: { type: SignalType.SIGNAL_TYPE_MODEL_HASH }, marking: TlpMarking.TLP_MARKING_UNSPECIFIED, opinion: Opinion.OPINION_UNSPECIFIED, confidence: 0, validUntil: undefined });
  });

  it('accepts other spellings of enum values: any case, underscores, TLP 2.0 labels', () => {
    expect(['RED', 'tlp:red', 'TLP:RED'].map((m) => toDraft({ marking: m }).marking)).toEqual(Array(3).fill(TlpMarking.TLP_MARKING_RED));
    expect(['AMBER_STRICT', 'TLP:AMBER+STRICT', 'Amber-Strict'].map((m) => toDraft({ marking: m }).marking)).toEqual(Array(3).fill(TlpMarking.TLP_MARKING_AMBER_STRICT));
    expect(toDraft({ type: 'MODEL_HASH', scope: 'Path_Prefix' }).signal).toMatchObject({ type: SignalType.SIGNAL_TYPE_MODEL_HASH, urlMatchScope: UrlMatchScope.URL_MATCH_SCOPE_PATH_PREFIX });
  });

  it('refuses unknown spellings with a code and the request field, as the service reports fields', () => {
    expect(codeOf(() => toDraft({ type: 'ftp-site' }))).toEqual({ code: 'UNSUPPORTED_SIGNAL_TYPE', field: 'contribution.signal.type' });
    expect(codeOf(() => toDraft({ scope: 'planet' }))).toEqual({ code: 'UNSUPPORTED_MATCH_SCOPE', field: 'contribution.signal.url_match_scope' });
    expect(codeOf(() => toDraft({ kind: 'glob' }))).toEqual({ code: 'UNSUPPORTED_PATTERN_KIND', field: 'contribution.signal.pattern_kind' });
    expect(codeOf(() => toDraft({ marking: 'white' }))).toEqual({ code: 'INVALID_MARKING', field: 'contribution.marking' });
    expect(codeOf(() => toDraft({ opinion: 'maybe' }))).toEqual({ code: 'INVALID_OPINION', field: 'contribution.opinion' });
  });

  it('names each signal type back in CLI spelling', () => {
    expect([SignalType.SIGNAL_TYPE_URL, SignalType.SIGNAL_TYPE_MODEL_HASH, SignalType.SIGNAL_TYPE_PROMPT_PATTERN].map(typeName)).toEqual(['url', 'model-hash', 'prompt-pattern']);
  });
});

describe(parseConfidence.name, () => {
  it('accepts integers 0–100 as text or number', () => {
    expect([parseConfidence('0'), parseConfidence(' 100 '), parseConfidence(55)]).toEqual([0, 100, 55]);
  });

  it.each(['101', '-1', '50.5', 'high', '1e3'])('refuses %s', (raw) => {
    expect(codeOf(() => parseConfidence(raw))).toEqual({ code: 'INVALID_CONFIDENCE', field: 'contribution.confidence' });
  });
});

describe(parseValidUntil.name, () => {
  it('accepts ISO dates and date-times', () => {
    expect(parseValidUntil('2027-01-01')?.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(parseValidUntil('2027-01-01T12:30:00+02:00')?.toISOString()).toBe('2027-01-01T10:30:00.000Z');
  });

  it.each(['tomorrow', '1', '2027-13-45', '01/02/2027'])('refuses %s', (raw) => {
    expect(codeOf(() => parseValidUntil(raw))?.code).toBe('INVALID_VALID_UNTIL');
  });
});

describe(parseExternalRef.name, () => {
  it('splits system, id and a url that itself contains colons', () => {
    expect(parseExternalRef('hotline-case:42:https://example.com:8443/cases/42')).toEqual({ system: 'hotline-case', id: '42', url: 'https://example.com:8443/cases/42' });
  });

  it.each(['no-colon', ':id', 'system:', 'system:id:not a url'])('refuses %s', (raw) => {
    expect(codeOf(() => parseExternalRef(raw))?.code).toBe('INVALID_EXTERNAL_REF');
  });
});
