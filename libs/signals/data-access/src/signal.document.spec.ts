import type { SignalRecord } from '@signal-mesh/signals-domain';
import { at, contribution, mergedRecord, signalVariants, urlRecord } from '@signal-mesh/signals-testing';

import { fromDocument, toDocument } from './signal.document';

describe(toDocument.name, () => {
  it.each(signalVariants())('round-trips the full record of %s', (_name, input) => {
    const record = mergedRecord(input);
    expect(fromDocument(toDocument(record))).toStrictEqual(record);
  });

  it('keeps revoked (with reason), expiring, disputed and referenced contributions as they are', () => {
    const record = mergedRecord({ type: 'url', value: 'https://example.com/a' });
    const doc = toDocument(record);
    expect(doc._id).toBe(record.signalId);
    expect(doc.contributions[0]).toMatchObject({ revokedAt: at(20), revocationReason: 'contributed by mistake', marking: 'RED', namedOrgIds: ['org_platform_x'] });
    expect(doc.contributions[1]).toMatchObject({ opinion: 'NEGATIVE', disputeReason: 'placeholder dispute reason', externalRefs: [{ url: 'https://example.com/cases/42' }, { system: 'model-site', id: 'm-1' }] });
    expect(doc.contributions[1]?.externalRefs[1]).not.toHaveProperty('url');
    expect(doc.nextExpiryAt).toEqual(at(45));
    expect(doc.firstSeenAt).toBeInstanceOf(Date);
  });

  it('omits absent optional fields instead of storing null or undefined', () => {
    const record: SignalRecord = urlRecord({ contributions: [contribution()], details: { type: 'url', scope: 'host', host: '192.0.2.10' } });
    const doc = toDocument(record);
    expect(Object.keys(doc)).not.toContain('nextExpiryAt');
    expect(Object.keys(doc.details)).not.toContain('registrableDomain');
    expect(Object.keys(doc.contributions[0] ?? {}).sort()).toEqual(
      ['categories', 'confidence', 'contributionId', 'contributorOrgId', 'createdAt', 'externalRefs', 'marking', 'namedOrgIds', 'opinion', 'sharingGroupIds'].sort(),
    );
    expect(JSON.stringify(doc)).not.toContain('null');
  });

  it('copies arrays, so a later change to the record does not reach the document', () => {
    const record = mergedRecord({ type: 'prompt-pattern', value: 'placeholder phrase' });
    const doc = toDocument(record);
    expect(doc.contributions).not.toBe(record.contributions);
    expect(doc.categories).not.toBe(record.categories);
  });
});

describe(fromDocument.name, () => {
  it('drops the write token and any unknown stored field', () => {
    const record = urlRecord();
    const stored = { ...toDocument(record), writeToken: 'token-1', legacyField: 'x' };
    expect(fromDocument(stored)).toStrictEqual(record);
  });

  it('reads a stored null as absent', () => {
    const record = urlRecord();
    const doc = toDocument(record);
    const stored = { ...doc, nextExpiryAt: null, contributions: doc.contributions.map((c) => ({ ...c, validUntil: null, evidenceNote: null })) };
    const sut = fromDocument(stored as unknown as typeof doc);
    expect(sut).toStrictEqual(record);
  });
});
