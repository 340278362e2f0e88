import fc from 'fast-check';

import { isSignalValidationError } from '../errors';
import { signalId } from '../identity';
import { canonicalizeGeneral, canonicalizeUrl } from './canonicalize-url';

/** Small deterministic PRNG so one generated seed drives all spelling choices (and shrinks well). */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) as number;
  };
}

interface Parts {
  scheme: 'http' | 'https';
  host: string;
  ipv4?: number[];
  port?: number;
  segments: string[];
  trailingSlash: boolean;
  query?: string;
}

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,6}[a-z0-9])?$/);
const suffix = fc.constantFrom('example.com', 'example.co.uk', 'example.github.io', 'test', 'invalid', 'example.test');
const domainHost = fc.tuple(fc.array(label, { minLength: 1, maxLength: 3 }), suffix).map(([labels, s]) => ({ host: [...labels, s].join('.') }));
const ipv4Host = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }).map((ipv4) => ({ host: ipv4.join('.'), ipv4 }));
const segment = fc.stringMatching(/^[A-Za-z0-9._~-]{1,8}$/).filter((s) => s !== '.' && s !== '..');

const parts: fc.Arbitrary<Parts> = fc
  .record({
    scheme: fc.constantFrom('http' as const, 'https' as const),
    host: fc.oneof({ weight: 4, arbitrary: domainHost }, { weight: 1, arbitrary: ipv4Host }),
    port: fc.option(fc.integer({ min: 1, max: 65535 }).filter((p) => p !== 80 && p !== 443), { nil: undefined }),
    segments: fc.array(segment, { maxLength: 5 }),
    trailingSlash: fc.boolean(),
    query: fc.option(fc.stringMatching(/^[a-zA-Z0-9=&._-]{0,10}$/), { nil: undefined }),
  })
  .map(({ host, ...rest }) => ({ ...rest, ...host }));

function expected(p: Parts): string {
  const path = `/${p.segments.join('/')}${p.trailingSlash && p.segments.length > 0 ? '/' : ''}`;
  return `${p.scheme}://${p.host}${p.port === undefined ? '' : `:${p.port}`}${path}${p.query === undefined ? '' : `?${p.query}`}`;
}

function randomCase(s: string, r: (n: number) => number): string {
  return [...s].map((c) => (r(2) ? c.toUpperCase() : c.toLowerCase())).join('');
}

function escapeChar(c: string, r: (n: number) => number): string {
  const hex = c.charCodeAt(0).toString(16).padStart(2, '0');
  const esc = `%${r(2) ? hex.toUpperCase() : hex}`;
  return r(4) === 0 ? `%25${esc.slice(1)}` : esc; // sometimes escaped twice
}

function ipv4Spelling(bytes: number[], r: (n: number) => number): string {
  const dword = ((bytes[0] << 24) >>> 0) + (bytes[1] << 16) + (bytes[2] << 8) + bytes[3];
  switch (r(4)) {
    case 0:
      return String(dword);
    case 1:
      return `0x${dword.toString(16)}`;
    case 2:
      return bytes.map((b) => `0${b.toString(8)}`).join('.');
    default:
      return `${bytes[0]}.${bytes[1]}.${(bytes[2] << 8) + bytes[3]}`;
  }
}

/** Another spelling of the same URL: case, default port, dot segments, escapes, fragment, slashes, whitespace. */
function respell(p: Parts, seed: number): string {
  const r = prng(seed);
  const scheme = p.scheme === 'http' && r(6) === 0 ? '' : `${randomCase(p.scheme, r)}://`;
  let host = p.ipv4 && r(2) ? ipv4Spelling(p.ipv4, r) : randomCase(p.host, r);
  if (!p.ipv4 && r(4) === 0) host += '.';
  if (!p.ipv4 && r(4) === 0) host = [...host].map((c) => (c !== '.' && r(4) === 0 ? escapeChar(c, r) : c)).join('');
  let port = p.port === undefined ? '' : `:${p.port}`;
  if (p.port === undefined && r(2)) port = p.scheme === 'http' ? ':80' : ':443';
  // Without a scheme, `user:pw@host` reads as scheme `user:`, so userinfo only comes with one.
  const userinfo = scheme !== '' && r(5) === 0 ? 'someone:pw@' : '';
  let path = '';
  p.segments.forEach((seg, i) => {
    path += ['/', '/', '//', '/./', `/${p.segments[(i + 1) % p.segments.length]}/../`][r(5)];
    path += [...seg].map((c) => (r(4) === 0 ? escapeChar(c, r) : c)).join('');
  });
  if (p.trailingSlash && p.segments.length > 0) path += ['/', '/.', '//', '/x/..'][r(4)];
  else if (p.segments.length === 0 && r(2)) path += '/';
  const query = p.query === undefined ? '' : `?${[...p.query].map((c) => (r(6) === 0 ? escapeChar(c, r) : c)).join('')}`;
  const fragment = r(2) ? `#${['', 'frag', 'a/../b?c#d', '%41'][r(4)]}` : '';
  let url = `${scheme}${userinfo}${host}${port}${path}${query}${fragment}`;
  if (r(4) === 0) {
    const at = r(url.length + 1);
    url = `${url.slice(0, at)}${['\t', '\n', '\r\n'][r(3)]}${url.slice(at)}`;
  }
  const ws = ['', ' ', '  ', '\t', '\n', ' \r\n'];
  return `${ws[r(ws.length)]}${url}${ws[r(ws.length)]}`;
}

/** The result as JSON, or the error code. */
function outcome(fn: (raw: string) => unknown, raw: string): string {
  try {
    return JSON.stringify(fn(raw));
  } catch (err) {
    if (isSignalValidationError(err)) return err.code;
    throw err;
  }
}

function idempotent(raw: string): void {
  let c;
  try {
    c = canonicalizeUrl(raw);
  } catch (err) {
    if (isSignalValidationError(err)) return;
    throw err;
  }
  expect(canonicalizeUrl(c.url).url).toBe(c.url);
}

describe(canonicalizeUrl.name, () => {
  describe('properties', () => {
    it('is idempotent over generated web URLs', () => {
      const url = fc.webUrl({
        validSchemes: ['http', 'https'],
        authoritySettings: { withIPv4: true, withIPv6: true, withIPv4Extended: true, withPort: true, withUserInfo: true },
        withQueryParameters: true,
        withFragments: true,
      }).filter((u) => new URL(u).port !== '0'); // port 0 is rejected on purpose
      fc.assert(
        fc.property(url, (u) => {
          const c = canonicalizeUrl(u);
          expect(JSON.stringify(canonicalizeUrl(c.url))).toBe(JSON.stringify(c));
        }),
        { numRuns: 500 },
      );
    });

    it('is idempotent, or rejects with a coded error, over hostile strings', () => {
      const unit = fc.constantFrom('%', '2', '5', 'e', 'E', 'f', '0', '/', '.', '..', '?', '#', '@', ':', '[', ']', 'a', 'Z', '\\', ' ', '\t', 'é', '\u0000', '\u00ff', 'ü');
      const tail = fc.string({ unit, maxLength: 30 });
      fc.assert(
        fc.property(fc.constantFrom('http://', 'https://', '', 'http://example.com/', 'http://ex%'), tail, (head, t) => idempotent(head + t)),
        { numRuns: 2000 },
      );
      fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (t) => idempotent(`http://example.com/${t}`)), { numRuns: 500 });
    });

    it('gives the same result on its fast path as on the general parser', () => {
      const unit = fc.constantFrom('a', 'B', '0', '9', '.', '-', '_', '/', '//', '/./', '/../', '?', '#', ':', ':80', ':443', ':0', '%41', '%2e', '@', ' ', '~', '!', '\\', '[', ']', 'é', '0x');
      const raw = fc.tuple(fc.constantFrom('http://', 'HTTPS://', 'hTtP://', 'http:/', 'ftp://', ''), fc.string({ unit, maxLength: 25 }));
      fc.assert(
        fc.property(raw, ([head, tail]) => {
          const u = head + tail;
          expect(outcome(canonicalizeUrl, u)).toBe(outcome(canonicalizeGeneral, u));
        }),
        { numRuns: 3000 },
      );
      fc.assert(
        fc.property(parts, fc.integer(), (p, seed) => {
          const u = respell(p, seed);
          expect(outcome(canonicalizeUrl, u)).toBe(outcome(canonicalizeGeneral, u));
        }),
        { numRuns: 500 },
      );
    });

    it('maps generated spellings of one URL to one canonical URL and one signal id', () => {
      fc.assert(
        fc.property(parts, fc.array(fc.integer(), { minLength: 1, maxLength: 4 }), (p, seeds) => {
          const want = expected(p);
          const id = signalId({ type: 'url', scope: 'exact' }, want);
          expect(canonicalizeUrl(want).url).toBe(want);
          for (const seed of seeds) {
            const spelling = respell(p, seed);
            const c = canonicalizeUrl(spelling);
            expect({ spelling, url: c.url }).toEqual({ spelling, url: want });
            expect(signalId({ type: 'url', scope: 'exact' }, c.url)).toBe(id);
          }
        }),
        { numRuns: 1000 },
      );
    });
  });
});
