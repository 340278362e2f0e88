import type { KeyObject } from 'node:crypto';

import { canonicalSnapshot, digestOfBytes, snapshotDigest } from './canonical';
import { DelistingDomainError } from './errors';
import { type Manifest, verifyManifestSignature } from './manifest';
import { assertUrlSignalId, assertVersion, type DelistEntry, MATCH_SCOPES, type MatchScope, normalizeCategories } from './model';
import type { DelistChange } from './plan';

/** A client's copy of one list at one version. */
export interface LocalList {
  readonly listId: string;
  readonly version: number;
  /** By signal id. */
  readonly entries: ReadonlyMap<string, DelistEntry>;
}

export function localListFromSnapshot(listId: string, version: number, entries: Iterable<DelistEntry>): LocalList {
  assertVersion(version);
  return { listId, version, entries: new Map([...entries].map((entry) => [entry.signalId, entry])) };
}

/**
 * The list after `changes` (in version order, as GetChanges / `/changes` return them). Changes at or below the
 * list's version are skipped (overlapping pages are harmless); a missing version fails VERSION_GAP — the client
 * then takes a snapshot. Pure: returns a new list.
 */
export function applyChanges(list: LocalList, changes: Iterable<DelistChange>): LocalList {
  const entries = new Map(list.entries);
  let version = list.version;
  for (const change of changes) {
    assertVersion(change.version);
    if (change.version <= version) continue;
    if (change.version !== version + 1) throw new DelistingDomainError('VERSION_GAP', `expected the change of version ${version + 1}, got ${change.version}: take a snapshot`);
    assertUrlSignalId(change.entry.signalId);
    if (change.kind === 'ADD') entries.set(change.entry.signalId, change.entry);
    else entries.delete(change.entry.signalId);
    version = change.version;
  }
  return { listId: list.listId, version, entries };
}

/** The canonical NDJSON of a local list: what its manifest's digest covers. */
export function localListSnapshot(list: LocalList): string {
  return canonicalSnapshot(list.entries.values());
}

/**
 * Verifies a local list against a signed manifest: the signature (with the published keys), then list id, version,
 * entry count and the digest of the canonical snapshot. Throws the first failure (BAD_SIGNATURE, UNKNOWN_KEY,
 * LIST_MISMATCH, COUNT_MISMATCH, DIGEST_MISMATCH).
 */
export function verifyLocalList(list: LocalList, manifest: Manifest, keys: ReadonlyMap<string, KeyObject>): void {
  verifyManifestSignature(manifest, keys);
  if (manifest.listId !== list.listId || manifest.version !== list.version) {
    throw new DelistingDomainError('LIST_MISMATCH', `the manifest is for ${manifest.listId.slice(0, 64)} v${manifest.version}, the list is ${list.listId} v${list.version}`);
  }
  checkDigest(snapshotDigest(list.entries.values()), manifest);
}

/** Verifies downloaded snapshot NDJSON bytes (uncompressed) against a signed manifest, without parsing them. */
export function verifySnapshotBytes(ndjson: Uint8Array | string, manifest: Manifest, keys: ReadonlyMap<string, KeyObject>): void {
  verifyManifestSignature(manifest, keys);
  checkDigest(digestOfBytes(ndjson), manifest);
}

function checkDigest(actual: { sha256: string; entryCount: number }, manifest: Manifest): void {
  if (actual.entryCount !== manifest.entryCount) throw new DelistingDomainError('COUNT_MISMATCH', `the snapshot has ${actual.entryCount} entries, the manifest says ${manifest.entryCount}`);
  if (actual.sha256 !== manifest.snapshotSha256) throw new DelistingDomainError('DIGEST_MISMATCH', 'the snapshot digest differs from the signed manifest');
}

/** An entry from the HTTP API's JSON (EntryJson); INVALID_ENTRY for anything malformed. */
export function entryFromJson(json: unknown): DelistEntry {
  const e = json as Record<string, unknown> | null;
  if (typeof e !== 'object' || e === null) throw new DelistingDomainError('INVALID_ENTRY', 'an entry is not a JSON object');
  const { signalId, canonicalUrl, matchScope, registrableDomain, categories, firstListedAt } = e;
  if (typeof signalId !== 'string' || typeof canonicalUrl !== 'string' || typeof registrableDomain !== 'string' || typeof firstListedAt !== 'string') {
    throw new DelistingDomainError('INVALID_ENTRY', 'an entry lacks a string field');
  }
  if (!MATCH_SCOPES.includes(matchScope as MatchScope)) throw new DelistingDomainError('INVALID_ENTRY', 'an entry has an unknown matchScope');
  if (!Array.isArray(categories) || categories.some((c) => typeof c !== 'string')) throw new DelistingDomainError('INVALID_ENTRY', 'an entry has malformed categories');
  const at = new Date(firstListedAt);
  if (Number.isNaN(at.getTime())) throw new DelistingDomainError('INVALID_ENTRY', 'an entry has a malformed firstListedAt');
  assertUrlSignalId(signalId);
  return { signalId, canonicalUrl, matchScope: matchScope as MatchScope, registrableDomain, categories: normalizeCategories(categories as string[]), firstListedAt: at };
}

/** A change from the HTTP API's JSON (`{ version, kind: "ADD" | "REMOVE", entry }`). */
export function changeFromJson(json: unknown): DelistChange {
  const c = json as Record<string, unknown> | null;
  if (typeof c !== 'object' || c === null || typeof c['version'] !== 'number' || (c['kind'] !== 'ADD' && c['kind'] !== 'REMOVE')) {
    throw new DelistingDomainError('INVALID_ENTRY', 'a change needs a numeric version and kind ADD or REMOVE');
  }
  assertVersion(c['version']);
  return { version: c['version'], kind: c['kind'], entry: entryFromJson(c['entry']) };
}
