import { createHash } from 'node:crypto';

import { canonicalLine, canonicalSnapshot, digestOfBytes, parseCanonicalLine, parseSnapshot, snapshotDigest,SnapshotHasher } from './canonical';
import { DelistingDomainError } from './errors';
import { csvLine, hostsLines } from './formats';
import { entry } from './testing.fixtures';

const fixed = entry({
  signalId: 'url_0123456789abcdef0123456789abcdef',
  canonicalUrl: 'https://nudify.example.com/a?b="c",d',
  matchScope: 'PATH_PREFIX',
  categories: ['service.nudify.tutorial', 'service.nudify', 'service.nudify'],
});

describe('canonical NDJSON', () => {
  it('has the fixed key order, sorted distinct categories, ISO time with milliseconds, and a newline', () => {
    expect(canonicalLine(fixed)).toBe(
      '{"signal_id":"url_0123456789abcdef0123456789abcdef","canonical_url":"https://nudify.example.com/a?b=\\"c\\",d","match_scope":"PATH_PREFIX","registrable_domain":"example.com","categories":["service.nudify","service.nudify.tutorial"],"first_listed_at":"2025-06-01T12:00:00.000Z"}\n',
    );
  });

  it('round-trips through parseCanonicalLine and refuses non-canonical lines', () => {
    expect(parseCanonicalLine(canonicalLine(fixed))).toEqual({ ...fixed, categories: ['service.nudify', 'service.nudify.tutorial'] });
    const reordered = '{"canonical_url":"https://nudify.example.com/","signal_id":"url_0123456789abcdef0123456789abcdef","match_scope":"HOST","registrable_domain":"example.com","categories":[],"first_listed_at":"2025-06-01T12:00:00.000Z"}';
    expect(() => parseCanonicalLine(reordered)).toThrow(DelistingDomainError);
    expect(() => parseCanonicalLine(canonicalLine(fixed).replace('.000Z', 'Z'))).toThrow(DelistingDomainError);
    expect(() => parseCanonicalLine('not json')).toThrow(DelistingDomainError);
    expect(() => parseCanonicalLine(canonicalLine({ ...fixed, matchScope: 'WIDE' as never }))).toThrow(DelistingDomainError);
  });

  it('digests the exact NDJSON bytes, whatever order the entries come in', () => {
    const entries = [entry(), entry(), entry()];
    const text = canonicalSnapshot(entries);
    const expected = createHash('sha256').update(text).digest('hex');
    expect(snapshotDigest([...entries].reverse())).toEqual({ sha256: expected, entryCount: 3 });
    expect(digestOfBytes(text)).toEqual({ sha256: expected, entryCount: 3 });
    expect(digestOfBytes(Buffer.from(text))).toEqual({ sha256: expected, entryCount: 3 });
    expect(parseSnapshot(text).map((e) => e.signalId)).toEqual([...entries].map((e) => e.signalId).sort());
    expect(snapshotDigest([])).toEqual({ sha256: createHash('sha256').update('').digest('hex'), entryCount: 0 });
  });

  it('the streaming hasher refuses entries out of signal id order or repeated', () => {
    const [a, b] = [entry(), entry()].sort((x, y) => (x.signalId < y.signalId ? -1 : 1));
    if (!a || !b) throw new Error('fixtures');
    const hasher = new SnapshotHasher();
    hasher.add(b);
    expect(() => hasher.add(a)).toThrow(expect.objectContaining({ code: 'UNSORTED_SNAPSHOT' }));
    const again = new SnapshotHasher();
    again.add(a);
    expect(() => again.add(a)).toThrow(expect.objectContaining({ code: 'UNSORTED_SNAPSHOT' }));
    expect(() => parseSnapshot(canonicalLine(b) + canonicalLine(a))).toThrow(expect.objectContaining({ code: 'UNSORTED_SNAPSHOT' }));
  });
});

describe('CSV and hosts lines', () => {
  it('quotes CSV fields per RFC 4180', () => {
    expect(csvLine(fixed)).toBe('url_0123456789abcdef0123456789abcdef,"https://nudify.example.com/a?b=""c"",d",PATH_PREFIX,example.com,service.nudify.tutorial;service.nudify;service.nudify,2025-06-01T12:00:00.000Z\r\n');
  });

  it('writes hosts for HOST and DOMAIN scopes only, never IP literals', () => {
    expect(hostsLines(entry({ matchScope: 'HOST', canonicalUrl: 'https://app.nudify.test/' }))).toEqual(['0.0.0.0 app.nudify.test\n']);
    expect(hostsLines(entry({ matchScope: 'DOMAIN', canonicalUrl: 'https://nudify.test/', registrableDomain: 'nudify.test' }))).toEqual(['0.0.0.0 nudify.test\n']);
    expect(hostsLines(entry({ matchScope: 'DOMAIN', canonicalUrl: 'https://www.nudify.test/', registrableDomain: 'nudify.test' }))).toEqual(['0.0.0.0 nudify.test\n', '0.0.0.0 www.nudify.test\n']);
    expect(hostsLines(entry({ matchScope: 'EXACT' }))).toEqual([]);
    expect(hostsLines(entry({ matchScope: 'PATH_PREFIX' }))).toEqual([]);
    expect(hostsLines(entry({ matchScope: 'HOST', canonicalUrl: 'http://192.0.2.7/' }))).toEqual([]);
    expect(hostsLines(entry({ matchScope: 'HOST', canonicalUrl: 'http://[2001:db8::1]/' }))).toEqual([]);
  });
});
