import { randomBytes } from 'node:crypto';

import fc from 'fast-check';

import { canonicalizeSignal } from '../canonicalize';
import { contributionIdFor } from './contribution-id';
import { type ApplyResult, applySubmission, deriveState, isLive, reevaluate } from './merge';
import type { ContributionSubmission, Opinion, RevocationSubmission, SignalRecord, StoredContribution, Submission } from './model';
import { detailsOf } from './validate-contribution';

const T0 = new Date('2026-11-01T00:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

const HASH = randomBytes(32).toString('hex');
const SIGNAL = canonicalizeSignal({ type: 'model-hash', value: HASH });
const OTHER = canonicalizeSignal({ type: 'model-hash', value: randomBytes(32).toString('hex') });

let sequence = 0;
function contribution(overrides: Partial<StoredContribution> = {}): StoredContribution {
  sequence += 1;
  return {
    contributionId: contributionIdFor(overrides.contributorOrgId ?? 'org-a', `key-${sequence}`),
    contributorOrgId: 'org-a',
    marking: 'GREEN',
    sharingGroupIds: [],
    namedOrgIds: [],
    confidence: 70,
    opinion: 'POSITIVE',
    categories: ['model.2c'],
    externalRefs: [],
    createdAt: at(0),
    ...overrides,
  };
}

function submit(c: StoredContribution, overrides: Partial<ContributionSubmission> = {}): ContributionSubmission {
  return {
    kind: 'contribution',
    submitterOrgId: c.contributorOrgId,
    signalId: SIGNAL.signalId,
    type: SIGNAL.type,
    canonical: SIGNAL.canonical,
    details: detailsOf(SIGNAL),
    contribution: c,
    ...overrides,
  };
}

function revoke(c: StoredContribution, revokedAt: Date, overrides: Partial<RevocationSubmission> = {}): RevocationSubmission {
  return { kind: 'revocation', submitterOrgId: c.contributorOrgId, signalId: SIGNAL.signalId, contributionId: c.contributionId, revokedAt, ...overrides };
}

function recordOf(result: ApplyResult): SignalRecord {
  if (result.outcome === 'rejected') throw new Error(`rejected: ${result.code} ${result.message}`);
  return result.record;
}

/** Applies submissions in order, as dedup does, each accepted one on the record the previous one produced. */
function applyAll(submissions: readonly Submission[], now: Date, start?: SignalRecord): SignalRecord {
  let record = start;
  for (const s of submissions) record = recordOf(applySubmission(record, s, now));
  if (!record) throw new Error('no submission');
  return record;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

describe(isLive.name, () => {
  it('counts a contribution until and including its valid-until, and never once revoked', () => {
    expect(isLive(contribution(), at(0))).toBe(true);
    expect(isLive(contribution({ validUntil: at(10) }), at(10))).toBe(true);
    expect(isLive(contribution({ validUntil: at(10) }), new Date(at(10).getTime() + 1))).toBe(false);
    expect(isLive(contribution({ revokedAt: at(1) }), at(0))).toBe(false);
  });
});

describe(deriveState.name, () => {
  it('aggregates the live contributions: distinct contributors, max positive confidence, counts, sorted categories', () => {
    const sut = deriveState(
      [
        contribution({ contributorOrgId: 'org-a', confidence: 60, categories: ['model.2c'] }),
        contribution({ contributorOrgId: 'org-a', confidence: 90, categories: ['model.2b', 'model.2c'] }),
        contribution({ contributorOrgId: 'org-b', confidence: 40, categories: ['model.2a'] }),
        contribution({ contributorOrgId: 'org-c', confidence: 99, revokedAt: at(5), categories: ['model.2a', 'model.2b'] }),
      ],
      at(10),
    );
    expect(sut).toEqual({
      status: 'ACTIVE',
      categories: ['model.2a', 'model.2b', 'model.2c'],
      aggregates: { contributorCount: 2, confidence: 90, positiveCount: 3, negativeCount: 0 },
    });
    expect('nextExpiryAt' in sut).toBe(false);
  });

  it('is DISPUTED while a live contribution is NEGATIVE, whose confidence does not count', () => {
    const sut = deriveState([contribution({ confidence: 50 }), contribution({ contributorOrgId: 'org-b', opinion: 'NEGATIVE', confidence: 100, disputeReason: 'placeholder reason' })], at(0));
    expect(sut.status).toBe('DISPUTED');
    expect(sut.aggregates).toEqual({ contributorCount: 2, confidence: 50, positiveCount: 1, negativeCount: 1 });
  });

  it('has confidence 0 when only disputes are live', () => {
    expect(deriveState([contribution({ opinion: 'NEGATIVE', confidence: 80 })], at(0)).aggregates.confidence).toBe(0);
  });

  it('ignores an expired dispute', () => {
    const sut = deriveState([contribution(), contribution({ contributorOrgId: 'org-b', opinion: 'NEGATIVE', validUntil: at(5) })], at(6));
    expect(sut.status).toBe('ACTIVE');
    expect(sut.aggregates.negativeCount).toBe(0);
  });

  it('is REVOKED when every contribution is revoked, or there is none', () => {
    expect(deriveState([contribution({ revokedAt: at(1) }), contribution({ revokedAt: at(2), validUntil: at(3) })], at(10)).status).toBe('REVOKED');
    expect(deriveState([], at(0))).toEqual({ status: 'REVOKED', categories: [], aggregates: { contributorCount: 0, confidence: 0, positiveCount: 0, negativeCount: 0 } });
  });

  it('is EXPIRED when nothing is live and a contribution that was not revoked ran out', () => {
    expect(deriveState([contribution({ revokedAt: at(1) }), contribution({ validUntil: at(3) })], at(10)).status).toBe('EXPIRED');
  });

  it('schedules the earliest valid-until of the live contributions', () => {
    const sut = deriveState(
      [contribution({ validUntil: at(30) }), contribution({ validUntil: at(20) }), contribution({ validUntil: at(5), revokedAt: at(1) }), contribution({ validUntil: at(8) }), contribution()],
      at(10),
    );
    expect(sut.nextExpiryAt).toEqual(at(20));
    expect(deriveState([contribution({ validUntil: at(10) })], at(10)).nextExpiryAt).toEqual(at(10));
  });
});

describe(applySubmission.name, () => {
  it('merges three organisations contributing one signal into one record', () => {
    const a = contribution({ contributorOrgId: 'org-a', confidence: 60, createdAt: at(10), categories: ['model.2c'] });
    const b = contribution({ contributorOrgId: 'org-b', confidence: 80, createdAt: at(5), marking: 'AMBER', sharingGroupIds: ['grp-1'], categories: ['model.2b'] });
    const c = contribution({ contributorOrgId: 'org-c', confidence: 70, createdAt: at(20), marking: 'RED', namedOrgIds: ['org-a'], categories: ['model.2c'] });

    const first = applySubmission(undefined, submit(a), at(30));
    expect(first.outcome).toBe('created');
    const second = applySubmission(recordOf(first), submit(b), at(30));
    expect(second.outcome).toBe('updated');
    const third = applySubmission(recordOf(second), submit(c), at(30));
    expect(third.outcome).toBe('updated');

    expect(recordOf(third)).toEqual({
      signalId: SIGNAL.signalId,
      type: 'model-hash',
      canonical: HASH,
      details: { type: 'model-hash', algorithm: 'sha256', related: [{ algorithm: 'autov2', value: HASH.slice(0, 10) }] },
      contributions: [a, b, c],
      status: 'ACTIVE',
      categories: ['model.2b', 'model.2c'],
      aggregates: { contributorCount: 3, confidence: 80, positiveCount: 3, negativeCount: 0 },
      firstSeenAt: at(5),
      updatedAt: at(20),
      version: 3,
    });
    expect(recordOf(first)).toMatchObject({ version: 1, firstSeenAt: at(10), updatedAt: at(10) });
  });

  it('returns the same record, unchanged, when a contribution is replayed', () => {
    const a = contribution();
    const record = applyAll([submit(a), submit(contribution({ contributorOrgId: 'org-b' }))], at(1));
    const sut = applySubmission(record, submit(a), at(1));
    expect(sut.outcome).toBe('unchanged');
    expect(recordOf(sut)).toBe(record);
  });

  it('keeps the first write of a contribution id', () => {
    const a = contribution({ confidence: 10 });
    const record = applyAll([submit(a)], at(1));
    const sut = applySubmission(record, submit({ ...a, confidence: 99 }), at(1));
    expect(sut.outcome).toBe('unchanged');
    expect(recordOf(sut).aggregates.confidence).toBe(10);
  });

  it.each<[string, Partial<ContributionSubmission>]>([
    ['another signal id', { signalId: OTHER.signalId }],
    ['another canonical value', { canonical: OTHER.canonical }],
    ['another type', { type: 'url' }],
  ])('rejects a submission with %s as SIGNAL_MISMATCH', (_, overrides) => {
    const record = applyAll([submit(contribution())], at(1));
    expect(applySubmission(record, submit(contribution(), overrides), at(1))).toMatchObject({ outcome: 'rejected', code: 'SIGNAL_MISMATCH' });
  });

  it('rejects a contribution in another organisation’s name as NOT_CONTRIBUTOR, new signal or not', () => {
    const forged = submit(contribution({ contributorOrgId: 'org-b' }), { submitterOrgId: 'org-a' });
    expect(applySubmission(undefined, forged, at(1))).toMatchObject({ outcome: 'rejected', code: 'NOT_CONTRIBUTOR' });
    expect(applySubmission(applyAll([submit(contribution())], at(1)), forged, at(1))).toMatchObject({ outcome: 'rejected', code: 'NOT_CONTRIBUTOR' });
  });

  it('revokes a contribution: revokedAt and reason set, re-derived, version + 1, updatedAt the revocation time', () => {
    const a = contribution({ contributorOrgId: 'org-a', categories: ['model.2a'], confidence: 90 });
    const b = contribution({ contributorOrgId: 'org-b', categories: ['model.2c'], confidence: 40 });
    const record = applyAll([submit(a), submit(b)], at(1));

    const sut = recordOf(applySubmission(record, revoke(a, at(30), { reason: 'contributed by mistake' }), at(31)));

    expect(sut.contributions).toEqual([{ ...a, revokedAt: at(30), revocationReason: 'contributed by mistake' }, b]);
    expect(sut).toMatchObject({ status: 'ACTIVE', categories: ['model.2c'], aggregates: { contributorCount: 1, confidence: 40, positiveCount: 1, negativeCount: 0 }, version: 3, updatedAt: at(30) });
  });

  it('is REVOKED once the last live contribution is revoked, and revoking again changes nothing', () => {
    const a = contribution();
    const record = applyAll([submit(a), revoke(a, at(5))], at(6));
    expect(record).toMatchObject({ status: 'REVOKED', categories: [], aggregates: { contributorCount: 0, confidence: 0, positiveCount: 0, negativeCount: 0 }, version: 2 });
    expect('revocationReason' in record.contributions[0]).toBe(false);

    const again = applySubmission(record, revoke(a, at(9), { reason: 'again' }), at(10));
    expect(again.outcome).toBe('unchanged');
    expect(recordOf(again)).toBe(record);
  });

  it('revives a revoked signal when a new contribution arrives', () => {
    const a = contribution();
    const record = applyAll([submit(a), revoke(a, at(5)), submit(contribution({ contributorOrgId: 'org-b', createdAt: at(7) }))], at(8));
    expect(record).toMatchObject({ status: 'ACTIVE', version: 3, updatedAt: at(7), aggregates: { contributorCount: 1 } });
  });

  it.each<[string, (a: StoredContribution) => RevocationSubmission, string]>([
    ['a contribution the record does not have', (a) => revoke(a, at(5), { contributionId: contributionIdFor('org-a', 'never-sent') }), 'CONTRIBUTION_NOT_FOUND'],
    ['another organisation’s contribution', (a) => revoke(a, at(5), { submitterOrgId: 'org-b' }), 'NOT_CONTRIBUTOR'],
    ['another signal', (a) => revoke(a, at(5), { signalId: OTHER.signalId }), 'SIGNAL_MISMATCH'],
  ])('rejects a revocation of %s', (_, revocation, code) => {
    const a = contribution();
    const record = applyAll([submit(a)], at(1));
    expect(applySubmission(record, revocation(a), at(6))).toMatchObject({ outcome: 'rejected', code });
  });

  it('rejects a revocation of a signal dedup does not have as SIGNAL_NOT_FOUND', () => {
    expect(applySubmission(undefined, revoke(contribution(), at(5)), at(6))).toMatchObject({ outcome: 'rejected', code: 'SIGNAL_NOT_FOUND' });
  });

  it('never moves updatedAt backwards on a late-stamped revocation', () => {
    const a = contribution({ createdAt: at(10) });
    const record = applyAll([submit(a), revoke(a, at(5))], at(11));
    expect(record.updatedAt).toEqual(at(10));
  });

  it('is DISPUTED while a dispute is live, and ACTIVE again once it is revoked', () => {
    const claim = contribution({ contributorOrgId: 'org-a' });
    const dispute = contribution({ contributorOrgId: 'org-b', opinion: 'NEGATIVE', disputeReason: 'placeholder reason', createdAt: at(2) });
    const disputed = applyAll([submit(claim), submit(dispute)], at(3));
    expect(disputed).toMatchObject({ status: 'DISPUTED', aggregates: { contributorCount: 2, positiveCount: 1, negativeCount: 1 } });
    expect(applyAll([revoke(dispute, at(4))], at(5), disputed).status).toBe('ACTIVE');
  });

  it('never mutates its inputs', () => {
    const a = contribution({ validUntil: at(60) });
    const b = contribution({ contributorOrgId: 'org-b' });
    const record = deepFreeze(applyAll([submit(a)], at(1)));
    const snapshot = structuredClone(record);
    const submissions = deepFreeze([submit(b), revoke(a, at(2), { reason: 'placeholder' })]);
    const submissionsSnapshot = structuredClone(submissions);

    const updated = recordOf(applySubmission(record, submissions[0], at(3)));
    recordOf(applySubmission(deepFreeze(updated), submissions[1], at(3)));
    reevaluate(record, at(120));

    expect(record).toEqual(snapshot);
    expect(submissions).toEqual(submissionsSnapshot);
  });
});

describe(reevaluate.name, () => {
  it('expires a record when its last contribution runs out, and only then', () => {
    const record = applyAll([submit(contribution({ validUntil: at(60) }))], at(0));
    expect(record).toMatchObject({ status: 'ACTIVE', nextExpiryAt: at(60), version: 1 });

    for (const now of [at(30), at(60)]) {
      const sut = reevaluate(record, now);
      expect(sut.changed).toBe(false);
      expect(sut.record).toBe(record);
    }

    const expired = reevaluate(record, at(61));
    expect(expired.changed).toBe(true);
    expect(expired.record).toMatchObject({ status: 'EXPIRED', categories: [], aggregates: { contributorCount: 0, confidence: 0 }, version: 2, updatedAt: at(61) });
    expect('nextExpiryAt' in expired.record).toBe(false);
    expect(reevaluate(expired.record, at(62))).toEqual({ changed: false, record: expired.record });
  });

  it('moves nextExpiryAt and the aggregates when one of several contributions runs out', () => {
    const record = applyAll(
      [submit(contribution({ contributorOrgId: 'org-a', confidence: 90, validUntil: at(10) })), submit(contribution({ contributorOrgId: 'org-b', confidence: 30, validUntil: at(20) }))],
      at(0),
    );
    const sut = reevaluate(record, at(11));
    expect(sut.changed).toBe(true);
    expect(sut.record).toMatchObject({ status: 'ACTIVE', nextExpiryAt: at(20), aggregates: { contributorCount: 1, confidence: 30 }, version: 3 });
  });

  it('repairs a record whose stored nextExpiryAt is stale', () => {
    const record = applyAll([submit(contribution({ validUntil: at(60) }))], at(0));
    const sut = reevaluate({ ...record, nextExpiryAt: at(5) }, at(10));
    expect(sut.changed).toBe(true);
    expect(sut.record).toMatchObject({ nextExpiryAt: at(60), version: 2, updatedAt: at(10) });
  });

  it('lifts a dispute that ran out', () => {
    const record = applyAll([submit(contribution()), submit(contribution({ contributorOrgId: 'org-b', opinion: 'NEGATIVE', validUntil: at(10) }))], at(0));
    expect(record.status).toBe('DISPUTED');
    expect(reevaluate(record, at(11)).record.status).toBe('ACTIVE');
  });
});

describe('merge properties', () => {
  const orgs = ['org-a', 'org-b', 'org-c'];
  const NOW = at(100);
  const arbitraryContribution = fc
    .record({
      org: fc.constantFrom(...orgs),
      key: fc.stringMatching(/^[a-z0-9]{1,8}$/),
      confidence: fc.integer({ min: 0, max: 100 }),
      opinion: fc.constantFrom<Opinion>('POSITIVE', 'NEGATIVE'),
      categories: fc.subarray(['model.2a', 'model.2b', 'model.2c'], { minLength: 1 }),
      createdAt: fc.integer({ min: 0, max: 200 }),
      validUntil: fc.option(fc.integer({ min: 50, max: 200 }), { nil: undefined }),
    })
    .map(({ org, key, createdAt, validUntil, ...rest }): StoredContribution => ({
      contributionId: contributionIdFor(org, key),
      contributorOrgId: org,
      marking: 'GREEN',
      sharingGroupIds: [],
      namedOrgIds: [],
      externalRefs: [],
      createdAt: at(createdAt),
      ...(validUntil === undefined ? {} : { validUntil: at(validUntil) }),
      ...rest,
    }));
  const arbitrarySubmissions = fc.array(fc.tuple(arbitraryContribution, fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined })), { minLength: 1, maxLength: 12 }).map((entries) =>
    entries.flatMap(([c, revokeAt]): Submission[] => (revokeAt === undefined ? [submit(c)] : [submit(c), revoke(c, at(revokeAt))])),
  );

  it('applying any submission again changes nothing', () => {
    fc.assert(
      fc.property(arbitrarySubmissions, fc.nat(), (submissions, pick) => {
        const record = applyAll(submissions, NOW);
        const again = applySubmission(record, submissions[pick % submissions.length], NOW);
        expect(again.outcome).toBe('unchanged');
        expect(recordOf(again)).toBe(record);
      }),
    );
  });

  it('keeps the derived fields equal to deriveState, and counts a version per change', () => {
    fc.assert(
      fc.property(arbitrarySubmissions, (submissions) => {
        let record: SignalRecord | undefined;
        let changes = 0;
        for (const s of submissions) {
          const result = applySubmission(record, s, NOW);
          if (result.outcome === 'created' || result.outcome === 'updated') changes += 1;
          record = recordOf(result);
        }
        const derived = deriveState(record?.contributions ?? [], NOW);
        expect(record).toMatchObject({ ...derived, version: changes });
        expect(record?.nextExpiryAt).toEqual(derived.nextExpiryAt);
      }),
    );
  });

  it('derives the same state whatever order contributions arrive in', () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(arbitraryContribution, { minLength: 1, maxLength: 8, selector: (c) => c.contributionId })
          .chain((cs) => fc.tuple(fc.constant(cs), fc.shuffledSubarray(cs, { minLength: cs.length, maxLength: cs.length }))),
        ([contributions, shuffled]) => {
        const forward = applyAll(contributions.map((c) => submit(c)), NOW);
        const other = applyAll(shuffled.map((c) => submit(c)), NOW);
        const { contributions: _a, ...forwardState } = forward;
        const { contributions: _b, ...otherState } = other;
        expect(otherState).toEqual(forwardState);
        },
      ),
    );
  });
});
