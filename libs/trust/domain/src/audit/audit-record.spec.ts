import { createHash } from 'node:crypto';

import { thrownCode } from '@signal-mesh/testing';

import { generateApiKey } from '../credentials/api-key';
import { assertSafeDetails, type AuditEntry, canonicalJson, chainRecord, computeRecordHash, GENESIS_HASH } from './audit-record';

const at = new Date('2025-06-01T12:00:00.000Z');
const entry = (overrides: Partial<AuditEntry> = {}): AuditEntry => ({
  at,
  actorOrgId: 'org-operator-1',
  keyId: 'abcdefghijkl',
  action: 'org.suspend',
  outcome: 'CHANGED',
  subject: 'org-ngo-1',
  details: { reason: 'policy review', tier: 2, notify: true },
  ...overrides,
});

describe(canonicalJson.name, () => {
  it('sorts keys at every level, writes dates as ISO UTC and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: true, c: 'x' }, e: undefined, f: at })).toBe('{"a":{"c":"x","d":true},"b":1,"f":"2025-06-01T12:00:00.000Z"}');
  });

  it('does not depend on insertion order', () => {
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });

  it('refuses non-finite numbers, which JSON cannot spell', () => {
    expect(thrownCode(() => canonicalJson({ n: Number.NaN }))).toBe('AUDIT_DETAIL_INVALID');
  });
});

describe(chainRecord.name, () => {
  it('starts the chain at seq 1 on the genesis hash', () => {
    const sut = chainRecord(undefined, entry());
    expect(sut).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, action: 'org.suspend' });
    expect(sut.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes prevHash, a newline and the canonical record without its hash (reproducible by hand)', () => {
    const sut = chainRecord(undefined, entry({ details: undefined, actorOrgId: undefined, keyId: undefined, subject: undefined }));
    const canonical = `{"action":"org.suspend","at":"2025-06-01T12:00:00.000Z","outcome":"CHANGED","prevHash":"${GENESIS_HASH}","seq":1}`;
    expect(sut.hash).toBe(createHash('sha256').update(`${GENESIS_HASH}\n${canonical}`).digest('hex'));
    expect(computeRecordHash(sut)).toBe(sut.hash);
  });

  it('links each record to the previous one', () => {
    const first = chainRecord(undefined, entry());
    const second = chainRecord(first, entry({ action: 'key.revoke' }));
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash });
    expect(second.hash).not.toBe(first.hash);
  });

  it('copies the entry, so later changes to the caller’s objects do not alter the record', () => {
    const details = { count: 1 };
    const sut = chainRecord(undefined, entry({ details }));
    details.count = 2;
    expect(computeRecordHash(sut)).toBe(sut.hash);
  });

  it.each([
    ['empty action', { action: '' }],
    ['unknown outcome', { outcome: 'MAYBE' as never }],
    ['invalid date', { at: new Date(Number.NaN) }],
  ])('rejects an entry with %s', (_case, overrides) => {
    expect(thrownCode(() => chainRecord(undefined, entry(overrides)))).toBe('AUDIT_ENTRY_INVALID');
  });

  it('refuses an API key smuggled into subject', () => {
    expect(thrownCode(() => chainRecord(undefined, entry({ subject: generateApiKey().apiKey })))).toBe('AUDIT_DETAIL_FORBIDDEN');
  });
});

describe(assertSafeDetails.name, () => {
  it.each(['apiKey', 'api_key', 'APIKEY', 'secret', 'clientSecret', 'evidenceNote', 'evidence_note', 'notes', 'password', 'accessToken', 'authorization'])(
    'forbids the detail key %s',
    (key) => {
      expect(thrownCode(() => assertSafeDetails({ [key]: 'x' }))).toBe('AUDIT_DETAIL_FORBIDDEN');
    },
  );

  it('forbids a value that contains an API key, under any name', () => {
    expect(thrownCode(() => assertSafeDetails({ header: `Bearer ${generateApiKey().apiKey}` }))).toBe('AUDIT_DETAIL_FORBIDDEN');
  });

  it('never echoes the offending value in the error', () => {
    const key = generateApiKey();
    expect(() => assertSafeDetails({ header: key.apiKey })).toThrow(expect.objectContaining({ message: expect.not.stringContaining(key.secret) }));
  });

  it.each([
    ['a dotted key (not storable in MongoDB)', { 'a.b': 1 }],
    ['a $ key', { $set: 1 }],
    ['a nested object', { nested: { a: 1 } as never }],
    ['null', { gone: null as never }],
    ['NaN', { n: Number.NaN }],
    ['a very long string', { text: 'x'.repeat(2000) }],
  ])('rejects %s', (_case, details) => {
    expect(thrownCode(() => assertSafeDetails(details))).toBe('AUDIT_DETAIL_INVALID');
  });

  it('accepts flat facts', () => {
    expect(() => assertSafeDetails({ keyLabel: 'ingest-pipeline', scope: 'CONTRIBUTE', count: 3, sampled: false, host: 'example.com' })).not.toThrow();
  });
});
