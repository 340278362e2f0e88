import { createHash, type Hash } from 'node:crypto';

import { DelistingDomainError } from './errors';
import { assertUrlSignalId, compareSignalIds, type DelistEntry, MATCH_SCOPES, type MatchScope, normalizeCategories } from './model';

/** The keys of a canonical snapshot line, in their fixed order. */
export const CANONICAL_KEYS = ['signal_id', 'canonical_url', 'match_scope', 'registrable_domain', 'categories', 'first_listed_at'] as const;

/** One NDJSON object as it travels. */
export interface CanonicalRecord {
  signal_id: string;
  canonical_url: string;
  match_scope: MatchScope;
  registrable_domain: string;
  categories: string[];
  first_listed_at: string;
}

/**
 * The canonical NDJSON line of an entry: `JSON.stringify` of an object with exactly CANONICAL_KEYS in that order,
 * categories sorted, the time as ISO 8601 UTC with milliseconds (`Date.toISOString`), no spaces, ending in "\n".
 */
export function canonicalLine(entry: DelistEntry): string {
  const record: CanonicalRecord = {
    signal_id: entry.signalId,
    canonical_url: entry.canonicalUrl,
    match_scope: entry.matchScope,
    registrable_domain: entry.registrableDomain,
    categories: normalizeCategories(entry.categories),
    first_listed_at: entry.firstListedAt.toISOString(),
  };
  return `${JSON.stringify(record)}\n`;
}

/** Parses one canonical line (with or without its "\n"); INVALID_LINE unless it is exactly canonical. */
export function parseCanonicalLine(line: string): DelistEntry {
  const text = line.endsWith('\n') ? line.slice(0, -1) : line;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DelistingDomainError('INVALID_LINE', 'a snapshot line is not JSON');
  }
  const record = parsed as Partial<CanonicalRecord> | null;
  if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new DelistingDomainError('INVALID_LINE', 'a snapshot line is not a JSON object');
  const { signal_id, canonical_url, match_scope, registrable_domain, categories, first_listed_at } = record;
  if (typeof signal_id !== 'string' || typeof canonical_url !== 'string' || typeof registrable_domain !== 'string' || typeof first_listed_at !== 'string') {
    throw new DelistingDomainError('INVALID_LINE', 'a snapshot line lacks a string field');
  }
  if (!MATCH_SCOPES.includes(match_scope as MatchScope)) throw new DelistingDomainError('INVALID_LINE', 'a snapshot line has an unknown match_scope');
  if (!Array.isArray(categories) || categories.some((c) => typeof c !== 'string')) throw new DelistingDomainError('INVALID_LINE', 'a snapshot line has malformed categories');
  const firstListedAt = new Date(first_listed_at);
  if (Number.isNaN(firstListedAt.getTime())) throw new DelistingDomainError('INVALID_LINE', 'a snapshot line has a malformed first_listed_at');
  try {
    assertUrlSignalId(signal_id);
  } catch (err) {
    throw new DelistingDomainError('INVALID_LINE', (err as Error).message);
  }
  const entry: DelistEntry = { signalId: signal_id, canonicalUrl: canonical_url, matchScope: match_scope as MatchScope, registrableDomain: registrable_domain, categories, firstListedAt };
  if (canonicalLine(entry) !== `${text}\n`) throw new DelistingDomainError('INVALID_LINE', `the line of ${signal_id} is not in canonical form`);
  return entry;
}

export interface SnapshotDigest {
  /** Lowercase hex SHA-256 of the canonical NDJSON. */
  readonly sha256: string;
  readonly entryCount: number;
}

/**
 * Incremental digest of a canonical snapshot: feed the entries in signal id order (strictly ascending, else
 * UNSORTED_SNAPSHOT), one at a time, so the list never has to be in memory. `line()` returns what it hashed.
 */
export class SnapshotHasher {
  private readonly hash: Hash = createHash('sha256');
  private count = 0;
  private last: string | undefined;
  private done = false;

  add(entry: DelistEntry): string {
    if (this.done) throw new Error('SnapshotHasher already finished');
    if (this.last !== undefined && compareSignalIds(this.last, entry.signalId) >= 0) {
      throw new DelistingDomainError('UNSORTED_SNAPSHOT', `snapshot entries must be in ascending signal id order (${entry.signalId} after ${this.last})`);
    }
    this.last = entry.signalId;
    const line = canonicalLine(entry);
    this.hash.update(line, 'utf8');
    this.count += 1;
    return line;
  }

  digest(): SnapshotDigest {
    this.done = true;
    return { sha256: this.hash.digest('hex'), entryCount: this.count };
  }
}

/** Digest of entries in any order (sorted here: for local lists held in memory). */
export function snapshotDigest(entries: Iterable<DelistEntry>): SnapshotDigest {
  const hasher = new SnapshotHasher();
  for (const entry of [...entries].sort((a, b) => compareSignalIds(a.signalId, b.signalId))) hasher.add(entry);
  return hasher.digest();
}

/** The canonical NDJSON of entries (sorted here), exactly the bytes a manifest's digest covers. */
export function canonicalSnapshot(entries: Iterable<DelistEntry>): string {
  return [...entries]
    .sort((a, b) => compareSignalIds(a.signalId, b.signalId))
    .map(canonicalLine)
    .join('');
}

/** Digest and line count of downloaded NDJSON bytes, hashed as they are (verify against a manifest). */
export function digestOfBytes(ndjson: Uint8Array | string): SnapshotDigest {
  const bytes = typeof ndjson === 'string' ? Buffer.from(ndjson, 'utf8') : Buffer.from(ndjson.buffer, ndjson.byteOffset, ndjson.byteLength);
  let lines = 0;
  for (const byte of bytes) if (byte === 0x0a) lines += 1;
  return { sha256: createHash('sha256').update(bytes).digest('hex'), entryCount: lines };
}

/** Parses a whole canonical NDJSON snapshot, checking every line's form and the signal id order. */
export function parseSnapshot(ndjson: string): DelistEntry[] {
  if (ndjson !== '' && !ndjson.endsWith('\n')) throw new DelistingDomainError('INVALID_LINE', 'a snapshot ends with a newline');
  const entries: DelistEntry[] = [];
  for (const line of ndjson.split('\n').slice(0, -1)) {
    const entry = parseCanonicalLine(line);
    const previous = entries.at(-1);
    if (previous && compareSignalIds(previous.signalId, entry.signalId) >= 0) throw new DelistingDomainError('UNSORTED_SNAPSHOT', 'snapshot lines must be in ascending signal id order');
    entries.push(entry);
  }
  return entries;
}
