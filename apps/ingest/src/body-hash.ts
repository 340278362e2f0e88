import { hash } from 'node:crypto';

/** JSON with object keys sorted at every level, Dates as ISO strings and undefined members left out. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalise(value));
}

function normalise(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : normalise(v)));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) out[key] = normalise(member);
    }
    return out;
  }
  return value;
}

/**
 * Fingerprint of a request for idempotency: SHA-256 of the canonical JSON of the VALIDATED form, so spellings that
 * canonicalize alike ("HTTP://Example.com" and "http://example.com/") count as the same body.
 */
export function bodyHash(value: unknown): string {
  return hash('sha256', canonicalJson(value), 'hex');
}
