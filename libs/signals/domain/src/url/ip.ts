import { SignalValidationError } from '../errors';

const TWO_32 = 2 ** 32;

/** A number in inet_aton notation (`0x1f` hex, `017` octal, `15` decimal); NaN if it is not one. */
function parseIPv4Part(part: string): number {
  const n = part.length;
  if (n === 0) return NaN;
  let radix = 10;
  let i = 0;
  if (n >= 2 && part.charCodeAt(0) === 0x30 && (part.charCodeAt(1) | 0x20) === 0x78) {
    radix = 16;
    i = 2;
  } else if (n >= 2 && part.charCodeAt(0) === 0x30) {
    radix = 8;
    i = 1;
  }
  let value = 0;
  for (; i < n; i++) {
    const c = part.charCodeAt(i);
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else return NaN;
    if (d >= radix) return NaN;
    // Past 2^32 the exact value no longer matters, only that it is too large.
    value = Math.min(value * radix + d, TWO_32);
  }
  return value; // "0x" alone is 0, as in browsers.
}

/** Where the last label starts if it would be read as a number (decimal or 0x-hex, the WHATWG "ends in a number" test), else -1. */
function numericLastLabel(s: string): number {
  // Scan back over [0-9a-fx]: most names end in a letter outside that set and stop at once.
  let i = s.length;
  while (i > 0) {
    const c = s.charCodeAt(i - 1);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || c === 0x78)) break;
    i--;
  }
  if (i === s.length || (i > 0 && s.charCodeAt(i - 1) !== 0x2e)) return -1;
  let j = i;
  let hex = false;
  if (s.length - i >= 2 && s.charCodeAt(i) === 0x30 && s.charCodeAt(i + 1) === 0x78) {
    hex = true;
    j += 2;
  }
  for (; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (!((c >= 0x30 && c <= 0x39) || (hex && c >= 0x61 && c <= 0x66))) return -1;
  }
  return i;
}

export function formatIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/**
 * The dotted-quad form of a lowercased host written as an IPv4 address in any legal encoding (decimal, hex, octal,
 * a 32-bit dword, fewer than four parts), or undefined if the host is a name. A host whose last label is a number but
 * which is not a valid address (`1.2.3.999`, `example.123`) is rejected, as browsers do: it cannot be a domain.
 */
export function parseIPv4(host: string): string | undefined {
  if (numericLastLabel(host) === -1) return undefined;
  const parts = host.split('.');
  const invalid = () => new SignalValidationError('URL_INVALID_HOST', `"${host}" is neither a valid IPv4 address nor a domain name`, 'value');
  if (parts.length > 4) throw invalid();
  let value = 0;
  for (let i = 0; i < parts.length; i++) {
    const n = parseIPv4Part(parts[i]);
    const last = i === parts.length - 1;
    // Every part but the last is one byte; the last fills the remaining bytes.
    const limit = last ? 256 ** (5 - parts.length) : 256;
    if (!(n < limit)) throw invalid();
    value = last ? value * 256 ** (5 - parts.length) + n : value * 256 + n;
  }
  return formatIPv4(value);
}

function parseHexGroup(g: string): number {
  if (g.length === 0 || g.length > 4) return NaN;
  let v = 0;
  for (let i = 0; i < g.length; i++) {
    const c = g.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) v = v * 16 + c - 0x30;
    else if (c >= 0x61 && c <= 0x66) v = v * 16 + c - 0x57;
    else return NaN;
  }
  return v;
}

/** Trailing dotted IPv4 inside an IPv6 literal: strict decimal, no leading zeros. Returns two 16-bit groups. */
function parseEmbeddedIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    bytes.push(Number(p));
  }
  return [bytes[0] * 256 + bytes[1], bytes[2] * 256 + bytes[3]];
}

function parseGroups(s: string, allowIPv4Tail: boolean): number[] | undefined {
  if (s === '') return [];
  const pieces = s.split(':');
  const groups: number[] = [];
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i];
    if (allowIPv4Tail && i === pieces.length - 1 && piece.includes('.')) {
      const tail = parseEmbeddedIPv4(piece);
      if (!tail) return undefined;
      groups.push(...tail);
    } else {
      const g = parseHexGroup(piece);
      if (Number.isNaN(g)) return undefined;
      groups.push(g);
    }
  }
  return groups;
}

export interface ParsedIPv6 {
  hostKind: 'ipv4' | 'ipv6';
  /** Dotted quad for IPv4-mapped / NAT64 addresses, else the bracketed RFC 5952 form. */
  host: string;
}

/**
 * Normalises the inside of a bracketed IPv6 literal: lowercase, no leading zeros, the longest run of two or more zero
 * groups as `::` (RFC 5952). IPv4-mapped (`::ffff:a.b.c.d`) and NAT64 (`64:ff9b::/96`) addresses become the IPv4
 * address, as the Safe Browsing v5 rules ask, so they dedupe with the plain IPv4 spelling.
 */
export function parseIPv6(literal: string): ParsedIPv6 {
  const s = literal.toLowerCase();
  const invalid = () => new SignalValidationError('URL_INVALID_HOST', `"[${literal}]" is not a valid IPv6 address`, 'value');
  const compress = s.indexOf('::');
  let groups: number[] | undefined;
  if (compress < 0) {
    groups = parseGroups(s, true);
    if (!groups || groups.length !== 8) throw invalid();
  } else {
    if (s.indexOf('::', compress + 1) >= 0) throw invalid();
    const head = parseGroups(s.slice(0, compress), false);
    const tail = parseGroups(s.slice(compress + 2), true);
    if (!head || !tail || head.length + tail.length > 7) throw invalid();
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const prefixZero = groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0;
  const mapped = groups[0] === 0 && prefixZero && groups[5] === 0xffff;
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0;
  if (mapped || nat64) return { hostKind: 'ipv4', host: formatIPv4(groups[6] * 65536 + groups[7]) };
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  const text = bestStart < 0 ? hex.join(':') : `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
  return { hostKind: 'ipv6', host: `[${text}]` };
}
