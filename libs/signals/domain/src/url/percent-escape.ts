import { Buffer } from 'node:buffer';

// Components are handled as "binary strings" (one char per byte of UTF-8) so that escapes decode to bytes, as
// Safe Browsing specifies, even when they do not form valid UTF-8.

const HEX = '0123456789ABCDEF';

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x57;
  return -1;
}

/** The UTF-8 bytes of `s` as a binary string (ASCII input is returned as is). */
export function toBinary(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'utf8').toString('latin1');
  }
  return s;
}

function unescapeOnce(s: string): string {
  let out = '';
  let start = 0;
  let i = s.indexOf('%');
  while (i !== -1) {
    const hi = hexValue(s.charCodeAt(i + 1));
    const lo = hi < 0 ? -1 : hexValue(s.charCodeAt(i + 2));
    if (lo >= 0) {
      out += s.slice(start, i) + String.fromCharCode(hi * 16 + lo);
      start = i + 3;
      i = s.indexOf('%', start);
    } else {
      i = s.indexOf('%', i + 1);
    }
  }
  return start === 0 ? s : out + s.slice(start);
}

/** Decodes `%XX` escapes again and again until none is left (`%252541` → `A`). */
export function unescapeRepeatedly(s: string): string {
  let cur = s;
  while (cur.indexOf('%') !== -1) {
    const next = unescapeOnce(cur);
    if (next.length === cur.length) return cur;
    cur = next;
  }
  return cur;
}

/**
 * Escapes the bytes Safe Browsing escapes (<= 0x20, >= 0x7F, `#`, `%`) with uppercase hex, plus the char code
 * `extra` if given: the path needs `?` escaped, or a decoded `%3F` would start a query when the result is re-read.
 */
export function escapeBinary(s: string, extra = -1): string {
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x23 || c === 0x25 || c === extra) break;
  }
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x23 || c === 0x25 || c === extra) out += `%${HEX[c >> 4]}${HEX[c & 15]}`;
    else out += s[i];
  }
  return out;
}
