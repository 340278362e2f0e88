import { createHash } from 'node:crypto';

import fc from 'fast-check';

import { canonicalizeSignal } from '../canonicalize';
import { isSignalValidationError, VALIDATION_CODES, type ValidationCode } from '../errors';
import { signalId } from '../identity';
import type { ContributionDraft, ExternalRef } from './model';
import { CONTRIBUTION_LIMITS, detailsOf, parseMarking, parseOpinion, validateContribution, validateRevocationReason } from './validate-contribution';

const NOW = new Date('2026-11-15T12:00:00.000Z');
const SHA256 = createHash('sha256').update('placeholder model file alpha').digest('hex');
// Shaped like a trust API key (smk_<12 base32>_<43 base64url>); not a real one.
const FAKE_KEY = `smk_abcdefghijkl_${'Q'.repeat(43)}`;

function draft(overrides: Partial<ContributionDraft> = {}): ContributionDraft {
  return { signal: { type: 'model-hash', value: SHA256 }, categories: ['model.2c'], marking: 'GREEN', confidence: 80, ...overrides };
}

const urlDraft = (overrides: Partial<ContributionDraft> = {}) => draft({ signal: { type: 'url', value: 'https://nudify.example.com/app' }, categories: ['service.nudify'], ...overrides });
const ref = (overrides: Partial<ExternalRef> = {}): ExternalRef => ({ system: 'hotline-case', id: 'case-0001', ...overrides });

/** The code and field validateContribution rejects a draft with, or undefined when it accepts it. */
function rejection(d: ContributionDraft): { code: ValidationCode; field?: string } | undefined {
  try {
    validateContribution(d, { now: NOW });
  } catch (err) {
    if (isSignalValidationError(err)) return { code: err.code, field: err.field };
    throw err;
  }
  return undefined;
}

const CONTRIBUTION_CODES = VALIDATION_CODES.slice(VALIDATION_CODES.indexOf('CATEGORIES_REQUIRED')).filter((c) => c !== 'IDEMPOTENCY_KEY_INVALID');

const REJECTIONS: [string, ContributionDraft, ValidationCode, string][] = [
  // The signal value: canonicalizeSignal's codes, with the field inside the draft.
  ['an unknown signal type', draft({ signal: { type: 'image-hash', value: SHA256 } }), 'UNSUPPORTED_SIGNAL_TYPE', 'signal.type'],
  ['an empty value', draft({ signal: { type: 'model-hash', value: ' ' } }), 'VALUE_REQUIRED', 'signal.value'],
  ['a hash that is not hex', draft({ signal: { type: 'model-hash', value: 'z'.repeat(64) } }), 'INVALID_HASH_CHARACTERS', 'signal.value'],
  ['a non-web URL', urlDraft({ signal: { type: 'url', value: 'ftp://example.com/file' } }), 'UNSUPPORTED_SCHEME', 'signal.value'],
  ['an unknown URL scope', urlDraft({ signal: { type: 'url', value: 'https://example.com/', scope: 'planet' } }), 'UNSUPPORTED_MATCH_SCOPE', 'signal.scope'],
  ['an unknown hash algorithm', draft({ signal: { type: 'model-hash', value: SHA256, algorithm: 'crc32' } }), 'UNSUPPORTED_HASH_ALGORITHM', 'signal.algorithm'],
  // Categories
  ['no category', draft({ categories: [] }), 'CATEGORIES_REQUIRED', 'categories'],
  ['categories missing', draft({ categories: undefined as unknown as string[] }), 'CATEGORIES_REQUIRED', 'categories'],
  ['11 categories', draft({ categories: Array.from({ length: 11 }, () => 'model.2c') }), 'TOO_MANY_CATEGORIES', 'categories'],
  ['a category outside the vocabulary', draft({ categories: ['model.2c', 'model.1'] }), 'UNKNOWN_CATEGORY', 'categories[1]'],
  ['a parent that is not a category', draft({ categories: ['model'] }), 'UNKNOWN_CATEGORY', 'categories[0]'],
  ['a category that is not text', draft({ categories: [42 as unknown as string] }), 'UNKNOWN_CATEGORY', 'categories[0]'],
  ['a URL category on a model hash', draft({ categories: ['model.2c', 'service.nudify'] }), 'CATEGORY_TYPE_MISMATCH', 'categories[1]'],
  ['a model category on a URL', urlDraft({ categories: ['model.2c'] }), 'CATEGORY_TYPE_MISMATCH', 'categories[0]'],
  ['a prompt category on a URL', urlDraft({ categories: ['prompt.aig-csam'] }), 'CATEGORY_TYPE_MISMATCH', 'categories[0]'],
  // Marking and audience
  ['an unknown marking', draft({ marking: 'PURPLE' }), 'UNKNOWN_MARKING', 'marking'],
  ['the TLP 1.0 marking WHITE', draft({ marking: 'TLP:WHITE' }), 'UNKNOWN_MARKING', 'marking'],
  ['an empty marking', draft({ marking: '' }), 'UNKNOWN_MARKING', 'marking'],
  ['the proto default marking', draft({ marking: 'TLP_MARKING_UNSPECIFIED' }), 'UNKNOWN_MARKING', 'marking'],
  ['AMBER without a sharing group', draft({ marking: 'AMBER' }), 'SHARING_GROUP_REQUIRED', 'sharingGroupIds'],
  ['AMBER naming organisations', draft({ marking: 'AMBER', sharingGroupIds: ['grp-1'], namedOrgIds: ['org-b'] }), 'AUDIENCE_NOT_APPLICABLE', 'namedOrgIds'],
  ['AMBER+STRICT without a named organisation', draft({ marking: 'AMBER+STRICT' }), 'NAMED_ORG_REQUIRED', 'namedOrgIds'],
  ['AMBER+STRICT with a sharing group', draft({ marking: 'AMBER_STRICT', namedOrgIds: ['org-b'], sharingGroupIds: ['grp-1'] }), 'AUDIENCE_NOT_APPLICABLE', 'sharingGroupIds'],
  ['RED without a named organisation', draft({ marking: 'RED', namedOrgIds: [] }), 'NAMED_ORG_REQUIRED', 'namedOrgIds'],
  ['RED with a sharing group', draft({ marking: 'RED', sharingGroupIds: ['grp-1'] }), 'AUDIENCE_NOT_APPLICABLE', 'sharingGroupIds'],
  ['CLEAR with a sharing group', draft({ marking: 'CLEAR', sharingGroupIds: ['grp-1'] }), 'AUDIENCE_NOT_APPLICABLE', 'sharingGroupIds'],
  ['GREEN naming organisations', draft({ marking: 'GREEN', namedOrgIds: ['org-b'] }), 'AUDIENCE_NOT_APPLICABLE', 'namedOrgIds'],
  ['51 sharing groups', draft({ marking: 'AMBER', sharingGroupIds: Array.from({ length: 51 }, (_, i) => `grp-${i}`) }), 'TOO_MANY_IDS', 'sharingGroupIds'],
  ['51 named organisations', draft({ marking: 'RED', namedOrgIds: Array.from({ length: 51 }, (_, i) => `org-${i}`) }), 'TOO_MANY_IDS', 'namedOrgIds'],
  ['an empty id', draft({ marking: 'AMBER', sharingGroupIds: ['grp-1', ''] }), 'ID_INVALID', 'sharingGroupIds[1]'],
  ['an id with a space', draft({ marking: 'RED', namedOrgIds: ['org b'] }), 'ID_INVALID', 'namedOrgIds[0]'],
  ['an id with a tab', draft({ marking: 'RED', namedOrgIds: ['org-a', 'org\tb'] }), 'ID_INVALID', 'namedOrgIds[1]'],
  ['an id with a control character', draft({ marking: 'RED', namedOrgIds: ['org\u0000b'] }), 'ID_INVALID', 'namedOrgIds[0]'],
  ['an id of 101 characters', draft({ marking: 'RED', namedOrgIds: ['o'.repeat(101)] }), 'ID_INVALID', 'namedOrgIds[0]'],
  ['an id that is not text', draft({ marking: 'AMBER', sharingGroupIds: [7 as unknown as string] }), 'ID_INVALID', 'sharingGroupIds[0]'],
  // Confidence and opinion
  ['confidence below 0', draft({ confidence: -1 }), 'CONFIDENCE_OUT_OF_RANGE', 'confidence'],
  ['confidence above 100', draft({ confidence: 101 }), 'CONFIDENCE_OUT_OF_RANGE', 'confidence'],
  ['a fractional confidence', draft({ confidence: 50.5 }), 'CONFIDENCE_OUT_OF_RANGE', 'confidence'],
  ['confidence NaN', draft({ confidence: Number.NaN }), 'CONFIDENCE_OUT_OF_RANGE', 'confidence'],
  ['confidence as text', draft({ confidence: '80' as unknown as number }), 'CONFIDENCE_OUT_OF_RANGE', 'confidence'],
  ['an unknown opinion', draft({ opinion: 'MAYBE' }), 'UNKNOWN_OPINION', 'opinion'],
  ['a dispute without a reason', draft({ opinion: 'NEGATIVE' }), 'DISPUTE_REASON_REQUIRED', 'disputeReason'],
  ['a dispute with a blank reason', draft({ opinion: 'OPINION_NEGATIVE', disputeReason: ' \n ' }), 'DISPUTE_REASON_REQUIRED', 'disputeReason'],
  ['a reason on a positive opinion', draft({ disputeReason: 'not a dispute' }), 'DISPUTE_REASON_NOT_APPLICABLE', 'disputeReason'],
  ['a dispute reason of 501 characters', draft({ opinion: 'NEGATIVE', disputeReason: 'r'.repeat(501) }), 'TEXT_TOO_LONG', 'disputeReason'],
  // Validity
  ['validUntil now', draft({ validUntil: NOW }), 'VALID_UNTIL_NOT_IN_FUTURE', 'validUntil'],
  ['validUntil in the past', draft({ validUntil: new Date('2020-01-01T00:00:00Z') }), 'VALID_UNTIL_NOT_IN_FUTURE', 'validUntil'],
  ['an invalid validUntil', draft({ validUntil: new Date('not a date') }), 'VALID_UNTIL_NOT_IN_FUTURE', 'validUntil'],
  // Free text and references
  ['an evidence note of 1001 characters', draft({ evidenceNote: 'n'.repeat(1001) }), 'TEXT_TOO_LONG', 'evidenceNote'],
  ['21 external references', draft({ externalRefs: Array.from({ length: 21 }, (_, i) => ref({ id: `case-${i}` })) }), 'TOO_MANY_REFS', 'externalRefs'],
  ['a reference without a system', draft({ externalRefs: [ref({ system: ' ' })] }), 'REF_INVALID', 'externalRefs[0].system'],
  ['a reference without an id', draft({ externalRefs: [ref(), { system: 'model-site' } as ExternalRef] }), 'REF_INVALID', 'externalRefs[1].id'],
  ['a reference that is not an object', draft({ externalRefs: [null as unknown as ExternalRef] }), 'REF_INVALID', 'externalRefs[0]'],
  ['a reference system of 201 characters', draft({ externalRefs: [ref({ system: 's'.repeat(201) })] }), 'TEXT_TOO_LONG', 'externalRefs[0].system'],
  ['a reference id of 201 characters', draft({ externalRefs: [ref({ id: 'i'.repeat(201) })] }), 'TEXT_TOO_LONG', 'externalRefs[0].id'],
  ['a reference link that is not http(s)', draft({ externalRefs: [ref({ url: 'javascript:alert(1)' })] }), 'REF_INVALID', 'externalRefs[0].url'],
  ['a relative reference link', draft({ externalRefs: [ref({ url: '/cases/1' })] }), 'REF_INVALID', 'externalRefs[0].url'],
  ['a reference link with credentials', draft({ externalRefs: [ref({ url: 'https://analyst:pw@cases.example.com/1' })] }), 'REF_INVALID', 'externalRefs[0].url'],
  ['a reference link over 2048 characters', draft({ externalRefs: [ref({ url: `https://example.com/${'p'.repeat(2048)}` })] }), 'TEXT_TOO_LONG', 'externalRefs[0].url'],
  // API keys pasted where they would be shared
  ['an API key in the evidence note', draft({ evidenceNote: `checked with ${FAKE_KEY}` }), 'SECRET_DETECTED', 'evidenceNote'],
  ['an API key in the dispute reason', draft({ opinion: 'NEGATIVE', disputeReason: FAKE_KEY }), 'SECRET_DETECTED', 'disputeReason'],
  ['an API key as a reference id', draft({ externalRefs: [ref({ id: FAKE_KEY })] }), 'SECRET_DETECTED', 'externalRefs[0].id'],
  ['an API key as a reference system', draft({ externalRefs: [ref({ system: `key:${FAKE_KEY}` })] }), 'SECRET_DETECTED', 'externalRefs[0].system'],
  ['an API key in a reference link', draft({ externalRefs: [ref({ url: `https://cases.example.com/?key=${FAKE_KEY}` })] }), 'SECRET_DETECTED', 'externalRefs[0].url'],
  ['an API key as a named organisation', draft({ marking: 'RED', namedOrgIds: [FAKE_KEY] }), 'SECRET_DETECTED', 'namedOrgIds[0]'],
  ['an API key in a URL signal', urlDraft({ signal: { type: 'url', value: `https://nudify.example.com/?api_key=${FAKE_KEY}` } }), 'SECRET_DETECTED', 'signal.value'],
  ['a percent-escaped API key in a URL signal', urlDraft({ signal: { type: 'url', value: `https://nudify.example.com/?k=${FAKE_KEY.replace(/_/g, '%5F')}` } }), 'SECRET_DETECTED', 'signal.value'],
  ['an API key in a prompt pattern', draft({ signal: { type: 'prompt-pattern', value: `placeholder ${FAKE_KEY}` }, categories: ['prompt.aig-csam'] }), 'SECRET_DETECTED', 'signal.value'],
];

describe(validateContribution.name, () => {
  it('canonicalizes a model hash contribution and fills the defaults', () => {
    const sut = validateContribution(draft({ signal: { type: 'MODEL_HASH', value: `SHA256:${SHA256.toUpperCase()}` } }), { now: NOW });
    expect(sut).toEqual({
      signal: canonicalizeSignal({ type: 'model-hash', value: SHA256 }),
      details: { type: 'model-hash', algorithm: 'sha256', related: [{ algorithm: 'autov2', value: SHA256.slice(0, 10) }] },
      categories: ['model.2c'],
      marking: 'GREEN',
      sharingGroupIds: [],
      namedOrgIds: [],
      confidence: 80,
      opinion: 'POSITIVE',
      externalRefs: [],
    });
    expect(sut.signal.signalId).toBe(signalId({ type: 'model-hash', algorithm: 'sha256' }, SHA256));
    // No undefined-valued keys: they would be stored as nulls.
    expect(Object.keys(sut).filter((k) => ['validUntil', 'evidenceNote', 'disputeReason'].includes(k))).toEqual([]);
  });

  it('keeps every optional field of a full AMBER dispute, trimmed, sorted and deduplicated', () => {
    const validUntil = new Date(NOW.getTime() + 86_400_000);
    const sut = validateContribution(
      urlDraft({
        signal: { type: 'url', value: 'HTTP://Tutorial.Nudify.Example.COM/How-To', scope: 'path-prefix' },
        categories: ['service.nudify.tutorial', ' SERVICE.NUDIFY ', 'service.nudify'],
        marking: 'tlp:amber',
        sharingGroupIds: ['grp-hotlines', 'grp-platforms', 'grp-hotlines'],
        confidence: 0,
        opinion: 'OPINION_NEGATIVE',
        disputeReason: '  the page is a news article about the service  ',
        validUntil,
        evidenceNote: ' seen in a placeholder report ',
        externalRefs: [ref({ system: ' hotline-case ', url: 'https://cases.example.com/0001' }), ref({ id: 'case-0002', url: '' })],
      }),
      { now: NOW },
    );
    expect(sut).toMatchObject({
      details: { type: 'url', scope: 'path-prefix', host: 'tutorial.nudify.example.com', registrableDomain: 'example.com' },
      categories: ['service.nudify', 'service.nudify.tutorial'],
      marking: 'AMBER',
      sharingGroupIds: ['grp-hotlines', 'grp-platforms'],
      namedOrgIds: [],
      confidence: 0,
      opinion: 'NEGATIVE',
      disputeReason: 'the page is a news article about the service',
      validUntil,
      evidenceNote: 'seen in a placeholder report',
      externalRefs: [
        { system: 'hotline-case', id: 'case-0001', url: 'https://cases.example.com/0001' },
        { system: 'hotline-case', id: 'case-0002' },
      ],
    });
    expect(sut.signal.canonical).toBe('http://tutorial.nudify.example.com/How-To');
    expect(Object.keys(sut.externalRefs[1])).toEqual(['system', 'id']);
  });

  it('validates prompt patterns, RED with named organisations', () => {
    const sut = validateContribution(
      draft({ signal: { type: 'prompt-pattern', value: 'Placeholder  Phrase ALPHA' }, categories: ['prompt.aig-csam'], marking: 'RED', namedOrgIds: ['org-b', 'org-a'] }),
      { now: NOW },
    );
    expect(sut).toMatchObject({ details: { type: 'prompt-pattern', kind: 'keyword' }, marking: 'RED', namedOrgIds: ['org-a', 'org-b'], sharingGroupIds: [] });
    expect(sut.signal.canonical).toBe('placeholder phrase alpha');
  });

  it('accepts every limit exactly', () => {
    expect(
      rejection(
        draft({
          categories: Array.from({ length: CONTRIBUTION_LIMITS.maxCategories }, () => 'model.2a'),
          marking: 'AMBER',
          sharingGroupIds: Array.from({ length: CONTRIBUTION_LIMITS.maxIdsPerList }, (_, i) => `grp-${i}`.padEnd(CONTRIBUTION_LIMITS.maxIdLength, 'x')),
          confidence: 100,
          evidenceNote: '🙂'.repeat(CONTRIBUTION_LIMITS.maxEvidenceNoteLength),
          externalRefs: Array.from({ length: CONTRIBUTION_LIMITS.maxExternalRefs }, () =>
            ref({ system: 's'.repeat(200), id: 'i'.repeat(200), url: `https://example.com/${'p'.repeat(2048 - 20)}` }),
          ),
          validUntil: new Date(NOW.getTime() + 1),
        }),
      ),
    ).toBeUndefined();
    expect(rejection(draft({ opinion: 'NEGATIVE', disputeReason: 'r'.repeat(CONTRIBUTION_LIMITS.maxDisputeReasonLength) }))).toBeUndefined();
  });

  it.each(REJECTIONS)('rejects %s', (_, input, code, field) => {
    expect(rejection(input)).toEqual({ code, field });
  });

  it('has a rejection case for every contribution code', () => {
    // A new code without a case in REJECTIONS fails here.
    const tested = new Set(REJECTIONS.map(([, , code]) => code));
    expect(CONTRIBUTION_CODES.filter((c) => !tested.has(c))).toEqual([]);
  });

  it('never repeats a detected API key in the error message', () => {
    for (const input of [draft({ evidenceNote: FAKE_KEY }), draft({ categories: [FAKE_KEY] }), draft({ marking: FAKE_KEY }), draft({ opinion: FAKE_KEY })]) {
      expect(() => validateContribution(input, { now: NOW })).toThrow();
      try {
        validateContribution(input, { now: NOW });
      } catch (err) {
        expect((err as Error).message).not.toContain(FAKE_KEY.slice(4));
      }
    }
  });

  it('treats proto3 empty strings as absent', () => {
    const sut = validateContribution(draft({ opinion: '', evidenceNote: '', disputeReason: '' }), { now: NOW });
    expect(sut.opinion).toBe('POSITIVE');
    expect('evidenceNote' in sut || 'disputeReason' in sut).toBe(false);
  });

  it('is idempotent: a valid contribution, sent again as a draft, validates to itself', () => {
    const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
    const id = fc.stringMatching(/^[a-z0-9-]{1,20}$/);
    const arbitraryDraft = fc.record({
      hex,
      categories: fc.subarray(['model.2a', 'model.2b', 'model.2c'], { minLength: 1 }),
      audience: fc.oneof(
        fc.constant({ marking: 'CLEAR' }),
        fc.constant({ marking: 'GREEN' }),
        fc.array(id, { minLength: 1, maxLength: 5 }).map((sharingGroupIds) => ({ marking: 'AMBER', sharingGroupIds })),
        fc.array(id, { minLength: 1, maxLength: 5 }).map((namedOrgIds) => ({ marking: 'AMBER+STRICT', namedOrgIds })),
        fc.array(id, { minLength: 1, maxLength: 5 }).map((namedOrgIds) => ({ marking: 'RED', namedOrgIds })),
      ),
      confidence: fc.integer({ min: 0, max: 100 }),
      dispute: fc.option(fc.string({ minLength: 1, maxLength: 50 }).filter((s) => s.trim() !== ''), { nil: undefined }),
    });
    fc.assert(
      fc.property(arbitraryDraft, ({ hex: value, categories, audience, confidence, dispute }) => {
        const first = validateContribution(
          { signal: { type: 'model-hash', value }, categories, ...audience, confidence, ...(dispute === undefined ? {} : { opinion: 'NEGATIVE', disputeReason: dispute }) },
          { now: NOW },
        );
        const again = validateContribution(
          { ...first, signal: { type: first.signal.type, value: first.signal.canonical } },
          { now: NOW },
        );
        expect(again).toEqual(first);
      }),
    );
  });
});

describe(validateRevocationReason.name, () => {
  it('trims the reason and treats an empty one as absent', () => {
    expect(validateRevocationReason('  contributed by mistake ')).toBe('contributed by mistake');
    expect(validateRevocationReason('')).toBeUndefined();
    expect(validateRevocationReason(undefined)).toBeUndefined();
  });

  it.each<[string, ValidationCode]>([
    ['r'.repeat(501), 'TEXT_TOO_LONG'],
    [`oops ${FAKE_KEY}`, 'SECRET_DETECTED'],
  ])('rejects %#', (reason, code) => {
    expect(() => validateRevocationReason(reason)).toThrow(expect.objectContaining({ code, field: 'reason' }));
  });
});

describe(parseMarking.name, () => {
  it.each([
    ['CLEAR', 'CLEAR'],
    ['tlp:clear', 'CLEAR'],
    ['TLP_MARKING_GREEN', 'GREEN'],
    [' amber ', 'AMBER'],
    ['AMBER+STRICT', 'AMBER_STRICT'],
    ['TLP:AMBER+STRICT', 'AMBER_STRICT'],
    ['amber_strict', 'AMBER_STRICT'],
    ['TLP_MARKING_AMBER_STRICT', 'AMBER_STRICT'],
    ['Red', 'RED'],
  ])('reads %j as %s', (raw, marking) => {
    expect(parseMarking(raw)).toBe(marking);
  });
});

describe(parseOpinion.name, () => {
  it.each([
    [undefined, 'POSITIVE'],
    ['', 'POSITIVE'],
    ['OPINION_UNSPECIFIED', 'POSITIVE'],
    ['positive', 'POSITIVE'],
    ['OPINION_POSITIVE', 'POSITIVE'],
    ['NEGATIVE', 'NEGATIVE'],
    ['opinion_negative', 'NEGATIVE'],
  ])('reads %j as %s', (raw, opinion) => {
    expect(parseOpinion(raw)).toBe(opinion);
  });
});

describe(detailsOf.name, () => {
  it('gives a model hash its algorithm and the short hashes it implies', () => {
    expect(detailsOf(canonicalizeSignal({ type: 'model-hash', value: SHA256 }))).toEqual({
      type: 'model-hash',
      algorithm: 'sha256',
      related: [{ algorithm: 'autov2', value: SHA256.slice(0, 10) }],
    });
    expect(detailsOf(canonicalizeSignal({ type: 'model-hash', value: SHA256.slice(0, 10) }))).toEqual({ type: 'model-hash', algorithm: 'autov2', related: [] });
  });

  it('gives a URL its scope, host and registrable domain', () => {
    expect(detailsOf(canonicalizeSignal({ type: 'url', value: 'https://app.nudify.example.co.uk/x', scope: 'host' }))).toEqual({
      type: 'url',
      scope: 'host',
      host: 'app.nudify.example.co.uk',
      registrableDomain: 'example.co.uk',
    });
  });

  it('leaves registrableDomain out for an IP host', () => {
    const sut = detailsOf(canonicalizeSignal({ type: 'url', value: 'http://192.0.2.7:8080/upload' }));
    expect(sut).toEqual({ type: 'url', scope: 'exact', host: '192.0.2.7' });
    expect('registrableDomain' in sut).toBe(false);
  });

  it('gives a prompt pattern its kind', () => {
    expect(detailsOf(canonicalizeSignal({ type: 'prompt-pattern', value: 'placeholder\\s+phrase\\s+beta', kind: 'regex' }))).toEqual({ type: 'prompt-pattern', kind: 'regex' });
  });
});
