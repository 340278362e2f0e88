import { type ContributionDraft, HashAlgorithm, Opinion, PatternKind, SignalType, TlpMarking, UrlMatchScope } from '@signal-mesh/contracts';
import { validateContribution } from '@signal-mesh/signals-domain';
import { thrownCode } from '@signal-mesh/testing';

import { T0 } from './fakes.fixtures';
import { draftFromProto, grpcField, resultToProto } from './proto-mapping';

function protoDraft(overrides: Partial<ContributionDraft> = {}): ContributionDraft {
  return {
    signal: { type: SignalType.SIGNAL_TYPE_URL, value: 'https://nudify.example.com/a', urlMatchScope: UrlMatchScope.URL_MATCH_SCOPE_HOST, patternKind: 0, hashAlgorithm: 0 },
    relatedIdentifiers: [],
    categories: ['service.nudify'],
    marking: TlpMarking.TLP_MARKING_AMBER_STRICT,
    sharingGroupIds: [],
    namedOrgIds: ['org_1'],
    confidence: 75,
    opinion: Opinion.OPINION_UNSPECIFIED,
    validUntil: undefined,
    evidenceNote: '',
    externalRefs: [{ system: 'hotline-case', id: '42', url: '' }],
    ...overrides,
  };
}

const validate = (draft: ContributionDraft) => validateContribution(draftFromProto(draft), { now: T0 });

describe(draftFromProto.name, () => {
  it('hands proto enums to the domain by name, which canonicalizes them', () => {
    const valid = validate(protoDraft());
    expect(valid).toMatchObject({ marking: 'AMBER_STRICT', opinion: 'POSITIVE', details: { type: 'url', scope: 'host', host: 'nudify.example.com' }, externalRefs: [{ system: 'hotline-case', id: '42' }] });
    expect(validate(protoDraft({ signal: { type: SignalType.SIGNAL_TYPE_PROMPT_PATTERN, value: 'placeholder phrase', urlMatchScope: 0, patternKind: PatternKind.PATTERN_KIND_REGEX, hashAlgorithm: 0 }, categories: ['prompt.aig-csam'] })).details).toEqual({ type: 'prompt-pattern', kind: 'regex' });
    const hash = validate(protoDraft({ signal: { type: SignalType.SIGNAL_TYPE_MODEL_HASH, value: 'ab'.repeat(16), urlMatchScope: 0, patternKind: 0, hashAlgorithm: HashAlgorithm.HASH_ALGORITHM_MD5 }, categories: ['model.2c'] }));
    expect(hash.details).toMatchObject({ type: 'model-hash', algorithm: 'md5' });
  });

  it('treats UNSPECIFIED as absent, so the domain defaults or refuses with its own code', () => {
    expect(validate(protoDraft({ signal: { type: SignalType.SIGNAL_TYPE_URL, value: 'https://example.com/x', urlMatchScope: 0, patternKind: 0, hashAlgorithm: 0 } })).details).toMatchObject({ scope: 'exact' });
    expect(thrownCode(() => validate(protoDraft({ marking: TlpMarking.TLP_MARKING_UNSPECIFIED })))).toBe('UNKNOWN_MARKING');
    expect(thrownCode(() => validate(protoDraft({ signal: undefined })))).toBe('UNSUPPORTED_SIGNAL_TYPE');
    expect(thrownCode(() => validate(protoDraft({ marking: 42 as TlpMarking })))).toBe('UNKNOWN_MARKING');
    expect(thrownCode(() => validate(protoDraft({ signal: { type: SignalType.SIGNAL_TYPE_URL, value: 'https://example.com/', urlMatchScope: 9 as UrlMatchScope, patternKind: 0, hashAlgorithm: 0 } })))).toBe('UNSUPPORTED_MATCH_SCOPE');
    expect(thrownCode(() => draftFromProto(undefined))).toBe('INVALID_REQUEST');
  });

  it('maps results and field paths back to the wire', () => {
    expect(resultToProto({ contributionId: 'ctb_1', signalId: 'url_1', type: 'prompt-pattern', canonical: 'x', replayed: true })).toEqual({
      contributionId: 'ctb_1',
      signalId: 'url_1',
      type: SignalType.SIGNAL_TYPE_PROMPT_PATTERN,
      canonicalValue: 'x',
      replayed: true,
    });
    expect(grpcField('signal.value')).toBe('contribution.signal.value');
    expect(grpcField('idempotencyKey')).toBe('idempotencyKey');
    expect(grpcField(undefined)).toBe('');
  });
});
