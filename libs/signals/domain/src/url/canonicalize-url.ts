import { Buffer } from 'node:buffer';
import { domainToASCII } from 'node:url';

import { getDomain } from 'tldts';

import { SignalValidationError } from '../errors';
import { parseIPv4, parseIPv6 } from './ip';
import { type HostKind, lookupExpressions } from './lookup-expressions';
import { escapeBinary, toBinary, unescapeRepeatedly } from './percent-escape';

/** Longest raw input accepted, before canonicalization. */
export const MAX_URL_LENGTH = 4096;

/**
 * A URL in Safe Browsing canonical form, with what matching needs. `registrableDomain` and `lookupExpressions` are
 * computed on first read (most callers only need `url`); JSON.stringify includes them, object spread does not.
 */
export interface CanonicalUrl {
  /** `scheme://host[:port]/path[?query]`: the exact-scope value. */
  url: string;
  scheme: 'http' | 'https';
  /** Lowercase ASCII (IDN as punycode), dotted-quad IPv4, or bracketed IPv6 (`[2001:db8::1]`). */
  host: string;
  /** Only when not the scheme's default. */
  port?: number;
  /** Starts with `/`; dot segments resolved, slashes collapsed, escaped. */
  path: string;
  /** Without the `?`; `''` when the URL has a `?` with nothing after it (Safe Browsing keeps it). */
  query?: string;
  hostKind: HostKind;
  /** eTLD+1 from the Public Suffix List (ICANN and private sections); absent for IPs and for public suffixes. */
  registrableDomain?: string;
  /** Safe Browsing suffix/prefix expressions, `host/path` without scheme or port. */
  lookupExpressions: string[];
}

// Private PSL suffixes (github.io, blogspot.com, …) count as suffixes: each user site there is its own registrable
// domain, so a DOMAIN-scope signal for one site does not delist the whole hosting platform.
const TLDTS_OPTIONS = { allowIcannDomains: true, allowPrivateDomains: true, detectIp: false, extractHostname: false, mixedInputs: false, validateHostname: false };

const DEFAULT_PORT = { http: 80, https: 443 } as const;
const QUESTION_MARK = 0x3f;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function fail(code: 'UNSUPPORTED_SCHEME' | 'URL_EMPTY_HOST' | 'URL_INVALID_HOST' | 'URL_INVALID_PORT', message: string): never {
  throw new SignalValidationError(code, message, 'value');
}

function quote(s: string): string {
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);
}

// Native string searches and regexes beat per-character loops in V8 by 2-5x on short strings; the hot path uses them.
const TAB_CR_LF = /[\t\n\r]/;
const PLAIN_HOST = /^[A-Za-z0-9._-]*$/;
const DOT_SEGMENT_OR_SLASHES = /\/[./]/;
/**
 * The common case, checked in one native pass: http(s)://, a plain host name, a port, a path and a query with
 * nothing to unescape or escape, a fragment. Anything else (whitespace, userinfo, escapes, IDN, IPv6, odd slashes,
 * no scheme) takes the general path; both give the same result (tested).
 */
const SIMPLE_URL = /^([hH][tT][tT][pP][sS]?):\/\/([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)(?::(\d{1,5}))?(\/[\x21\x22\x24\x26-\x3e\x40-\x7e]*)?(?:\?([\x21\x22\x24\x26-\x7e]*))?(?:#[^]*)?$/;
/** A byte that Safe Browsing escapes (<= 0x20, >= 0x7F, `#`, `%`). */
const NEEDS_ESCAPE = /[^\x21\x22\x24\x26-\x7e]/;

/** Removes tab/CR/LF anywhere and C0 controls or spaces at both ends. */
function clean(raw: string): string {
  if (raw.charCodeAt(0) > 0x20 && raw.charCodeAt(raw.length - 1) > 0x20 && !TAB_CR_LF.test(raw)) return raw;
  return cleanSlow(raw);
}

function cleanSlow(raw: string): string {
  const s = raw.replace(/[\t\n\r]/g, '');
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 0x20) start++;
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--;
  return s.slice(start, end);
}

/** Index of the `:` ending a scheme-like prefix (`[a-z][a-z0-9+.-]*:`), or -1. */
function schemeColon(s: string): number {
  const c0 = s.charCodeAt(0) | 0x20;
  if (c0 < 0x61 || c0 > 0x7a) return -1;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3a) return i;
    const l = c | 0x20;
    if (!((l >= 0x61 && l <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)) return -1;
  }
  return -1;
}

function startsWithLower(s: string, word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    if ((s.charCodeAt(i) | 0x20) !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** `example.com:8080/a` and `localhost:8080` have no scheme; `mailto:x` and `javascript:/x` do. */
function isHostAndPort(s: string, colon: number): boolean {
  let j = colon + 1;
  while (j < s.length && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x39) j++;
  if (j < s.length && s.charCodeAt(j) !== 0x2f && s.charCodeAt(j) !== 0x3f) return false;
  if (j > colon + 1) return true;
  return !s.startsWith('//', colon + 1) && s.lastIndexOf('.', colon) !== -1;
}

function parsePort(s: string, from: number, to: number, scheme: 'http' | 'https'): number | undefined {
  if (from >= to) return undefined;
  let port = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) fail('URL_INVALID_PORT', `invalid port ${quote(s.slice(from, to))}`);
    port = Math.min(port * 10 + c - 0x30, 1e6);
  }
  if (port < 1 || port > 65535) fail('URL_INVALID_PORT', `port ${quote(s.slice(from, to))} is outside 1-65535`);
  return port === DEFAULT_PORT[scheme] ? undefined : port;
}

/** Removes leading and trailing dots and collapses runs of dots. */
function tidyDots(h: string): string {
  let s = h;
  if (s.includes('..')) s = s.replace(/\.{2,}/g, '.');
  if (s.charCodeAt(0) === 0x2e) s = s.slice(1);
  if (s.charCodeAt(s.length - 1) === 0x2e) s = s.slice(0, -1);
  return s;
}

function isDomainName(h: string): boolean {
  for (let i = 0; i < h.length; i++) {
    const c = h.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f)) return false;
  }
  return true;
}

/** The canonical host: lowercase ASCII name, dotted-quad IPv4 or bracketed IPv6. */
function canonicalHost(raw: string): string {
  if (raw.charCodeAt(0) === 0x5b) return parseIPv6(raw.slice(1, -1)).host;
  // `[A-Za-z0-9._-]` only: no escapes, IDN or IPv6 work needed.
  if (PLAIN_HOST.test(raw)) return plainHost(raw);
  let h = unescapeRepeatedly(toBinary(raw));
  let ascii = true;
  for (let i = 0; i < h.length; i++) {
    if (h.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    h = tidyDots(h.toLowerCase());
  } else {
    // IDN: the escapes and raw characters are UTF-8 bytes; UTS #46 maps and punycodes them (lowercasing too).
    let unicode: string;
    try {
      unicode = utf8.decode(Buffer.from(h, 'latin1'));
    } catch {
      return fail('URL_INVALID_HOST', `host ${quote(raw)} is not valid UTF-8`);
    }
    const puny = domainToASCII(tidyDots(unicode));
    if (puny === '') fail('URL_INVALID_HOST', `host ${quote(raw)} is not a valid internationalized domain name`);
    h = tidyDots(puny);
  }
  if (h === '') fail('URL_EMPTY_HOST', 'the URL has no host');
  if (!isDomainName(h)) fail('URL_INVALID_HOST', `host ${quote(raw)} has characters a domain name cannot have`);
  return parseIPv4(h) ?? h;
}

/** A host of `[A-Za-z0-9._-]` only. */
function plainHost(raw: string): string {
  const h = tidyDots(raw.toLowerCase());
  if (h === '') fail('URL_EMPTY_HOST', 'the URL has no host');
  return parseIPv4(h) ?? h;
}

function hostKindOf(host: string): HostKind {
  if (host.charCodeAt(0) === 0x5b) return 'ipv6';
  const c = host.charCodeAt(host.length - 1);
  // A domain name's last label is never numeric (parseIPv4 rejects those), a dotted quad's always is.
  return c >= 0x30 && c <= 0x39 && isDottedQuad(host) ? 'ipv4' : 'domain';
}

function isDottedQuad(h: string): boolean {
  for (let i = 0; i < h.length; i++) {
    const c = h.charCodeAt(i);
    if (c !== 0x2e && (c < 0x30 || c > 0x39)) return false;
  }
  return true;
}

/** Resolves `.` and `..` segments and collapses runs of slashes; the path starts with `/`. */
function normalizePath(p: string): string {
  if (p === '') return '/';
  if (!DOT_SEGMENT_OR_SLASHES.test(p)) return p;
  let out = '';
  const starts: number[] = []; // where each kept segment begins in `out`, for `..`
  for (let i = 1; ; ) {
    const slash = p.indexOf('/', i);
    const j = slash === -1 ? p.length : slash;
    const n = j - i;
    const dot = n > 0 && n < 3 && p.charCodeAt(i) === 0x2e && (n === 1 || p.charCodeAt(i + 1) === 0x2e);
    if (dot && n === 2) {
      if (starts.length > 0) out = out.slice(0, starts.pop());
    } else if (n > 0 && !dot) {
      starts.push(out.length);
      out += p.slice(i - 1, j);
    }
    if (slash === -1) {
      // A path ending in `/`, `/.` or `/..` names a directory: keep its trailing slash.
      if (out === '') return '/';
      return n === 0 || dot ? `${out}/` : out;
    }
    i = slash + 1;
  }
}

function canonicalPath(raw: string): string {
  if (NEEDS_ESCAPE.test(raw)) return escapeBinary(normalizePath(unescapeRepeatedly(toBinary(raw))), QUESTION_MARK);
  return normalizePath(raw);
}

function canonicalQuery(raw: string): string {
  return NEEDS_ESCAPE.test(raw) ? escapeBinary(unescapeRepeatedly(toBinary(raw))) : raw;
}

/**
 * Canonicalizes a URL the way Google Safe Browsing does (developers.google.com/safe-browsing/v4/urls-hashing):
 * trim; drop tab/CR/LF, the fragment and userinfo; percent-unescape host, path and query until stable; normalise the
 * host (dots, case, IPv4/IPv6 forms, IDN to punycode) and the path (dot segments, slashes); re-escape bytes
 * <= 0x20, >= 0x7F, `#` and `%`. Deviations, for a stable identity: non-default ports are kept (Safe Browsing drops
 * all ports), hosts with characters no domain can have are rejected instead of escaped, a decoded `?` in the path is
 * escaped so the result re-reads the same, and only http(s) is accepted (no scheme means http).
 *
 * @throws SignalValidationError VALUE_REQUIRED, VALUE_TOO_LONG, UNSUPPORTED_SCHEME, URL_EMPTY_HOST, URL_INVALID_HOST,
 * URL_INVALID_PORT
 */
export function canonicalizeUrl(raw: string): CanonicalUrl {
  if (typeof raw !== 'string') throw new SignalValidationError('VALUE_REQUIRED', 'a URL is required', 'value');
  if (raw.length > MAX_URL_LENGTH) throw new SignalValidationError('VALUE_TOO_LONG', `a URL may have at most ${MAX_URL_LENGTH} characters (got ${raw.length})`, 'value');
  // A failed match costs more than a successful one: skip it when it cannot match (no scheme, whitespace, escapes).
  const m = (raw.charCodeAt(0) | 0x20) === 0x68 && raw.indexOf('%') === -1 ? SIMPLE_URL.exec(raw) : null;
  if (m === null) return canonicalizeGeneral(raw);
  const scheme = m[1].length === 4 ? 'http' : 'https';
  const host = m[2].toLowerCase(); // dots already tidy: the pattern allows no empty label
  const ipv4 = parseIPv4(host);
  const port = m[3] === undefined ? undefined : parsePort(m[3], 0, m[3].length, scheme);
  return canonicalUrlOf(scheme, ipv4 ?? host, port, m[4] === undefined ? '/' : normalizePath(m[4]), m[5]);
}

/** canonicalizeUrl without its fast path: every input goes through the general parser. Exported for tests. */
export function canonicalizeGeneral(raw: string): CanonicalUrl {
  if (typeof raw !== 'string') throw new SignalValidationError('VALUE_REQUIRED', 'a URL is required', 'value');
  if (raw.length > MAX_URL_LENGTH) throw new SignalValidationError('VALUE_TOO_LONG', `a URL may have at most ${MAX_URL_LENGTH} characters (got ${raw.length})`, 'value');
  let s = clean(raw);
  if (s === '') throw new SignalValidationError('VALUE_REQUIRED', 'a URL is required', 'value');
  const hash = s.indexOf('#');
  if (hash !== -1) s = s.slice(0, hash);
  const len = s.length;

  // Scheme; none means http. Like browsers, any number of slashes (or backslashes) may follow it.
  let scheme: 'http' | 'https' = 'http';
  let i = 0;
  const colon = schemeColon(s);
  if (colon === 4 && startsWithLower(s, 'http')) i = 5;
  else if (colon === 5 && startsWithLower(s, 'https')) {
    scheme = 'https';
    i = 6;
  } else if (colon !== -1 && !isHostAndPort(s, colon)) {
    fail('UNSUPPORTED_SCHEME', `unsupported URL scheme "${s.slice(0, colon).toLowerCase()}": only http and https URLs can be signals`);
  }
  // Without a scheme, only `//host` is a host; `/a/b` is a path with none.
  if (i > 0 || (s.charCodeAt(0) === 0x2f && s.charCodeAt(1) === 0x2f)) {
    while (i < len && (s.charCodeAt(i) === 0x2f || s.charCodeAt(i) === 0x5c)) i++;
  }

  // Authority, up to the first `/` or `?`; userinfo dropped.
  const slash = s.indexOf('/', i);
  const q = s.indexOf('?', i);
  const end = slash === -1 ? (q === -1 ? len : q) : q === -1 || slash < q ? slash : q;
  // The last `@` ends the userinfo. (indexOf: V8's lastIndexOf is several times slower.)
  let hostStart = i;
  for (let at = s.indexOf('@', i); at !== -1 && at < end; at = s.indexOf('@', at + 1)) hostStart = at + 1;
  let hostEnd = end;
  let portStart = end;
  if (s.charCodeAt(hostStart) === 0x5b) {
    const close = s.indexOf(']', hostStart);
    if (close === -1 || close >= end || (close + 1 < end && s.charCodeAt(close + 1) !== 0x3a)) {
      fail('URL_INVALID_HOST', `malformed IPv6 host ${quote(s.slice(hostStart, end))}`);
    }
    hostEnd = close + 1;
    portStart = close + 2;
  } else {
    for (let c = s.indexOf(':', hostStart); c !== -1 && c < end; c = s.indexOf(':', c + 1)) {
      hostEnd = c;
      portStart = c + 1;
    }
  }
  if (hostEnd === hostStart) fail('URL_EMPTY_HOST', 'the URL has no host');
  const host = canonicalHost(s.slice(hostStart, hostEnd));
  const port = parsePort(s, portStart, end, scheme);
  const path = canonicalPath(q === -1 ? s.slice(end) : s.slice(end, q));
  return canonicalUrlOf(scheme, host, port, path, q === -1 ? undefined : canonicalQuery(s.slice(q + 1)));
}

function canonicalUrlOf(scheme: 'http' | 'https', host: string, port: number | undefined, path: string, query: string | undefined): CanonicalUrl {
  const hostKind = hostKindOf(host);
  const hostPort = port === undefined ? host : `${host}:${port}`;
  const url = query === undefined ? `${scheme}://${hostPort}${path}` : `${scheme}://${hostPort}${path}?${query}`;
  return new CanonicalUrlRecord(url, scheme, host, port, path, query, hostKind);
}

class CanonicalUrlRecord implements CanonicalUrl {
  #registrableDomain: string | undefined | null = null;
  #lookupExpressions: string[] | undefined = undefined;

  constructor(
    readonly url: string,
    readonly scheme: 'http' | 'https',
    readonly host: string,
    readonly port: number | undefined,
    readonly path: string,
    readonly query: string | undefined,
    readonly hostKind: HostKind,
  ) {}

  get registrableDomain(): string | undefined {
    if (this.#registrableDomain === null) {
      this.#registrableDomain = this.hostKind === 'domain' ? (getDomain(this.host, TLDTS_OPTIONS) ?? undefined) : undefined;
    }
    return this.#registrableDomain;
  }

  get lookupExpressions(): string[] {
    return (this.#lookupExpressions ??= lookupExpressions(this.host, this.hostKind, this.path, this.query));
  }

  toJSON(): CanonicalUrl {
    const { url, scheme, host, port, path, query, hostKind, registrableDomain, lookupExpressions } = this;
    return { url, scheme, host, port, path, query, hostKind, registrableDomain, lookupExpressions };
  }
}
