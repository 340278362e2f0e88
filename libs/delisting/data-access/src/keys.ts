/**
 * Document ids. FerretDB only uses the _id index, so every query is an _id range: all keys of one organisation's list
 * share the prefix `<orgId>:<listId>:`, versions are zero-padded to 20 digits (so string order is numeric order), and
 * entry keys are `<prefix><signalId>:<addedVersion>` — URL signal ids all have the same length, so a scan in _id
 * order is a scan in signal id order (the canonical snapshot order).
 */
const ORG_ID_RE = /^[A-Za-z0-9_-]{1,128}$/;
const LIST_ID_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Sorts after every character used in ids: the exclusive upper bound of a prefix range. */
export const RANGE_END = '\uffff';

export function pad(version: number): string {
  if (!Number.isSafeInteger(version) || version < 0) throw new RangeError(`version must be a non-negative integer, got ${String(version)}`);
  return String(version).padStart(20, '0');
}

function checked(orgId: string, listId: string): string {
  if (!ORG_ID_RE.test(orgId)) throw new RangeError('organisation ids are letters, digits, "_" and "-"');
  if (!LIST_ID_RE.test(listId)) throw new RangeError('list ids are lowercase letters, digits and "-"');
  return `${orgId}:${listId}`;
}

export const listKey = (orgId: string, listId: string): string => checked(orgId, listId);
export const listPrefix = (orgId: string, listId: string): string => `${checked(orgId, listId)}:`;
export function orgPrefix(orgId: string): string {
  if (!ORG_ID_RE.test(orgId)) throw new RangeError('organisation ids are letters, digits, "_" and "-"');
  return `${orgId}:`;
}
export const entryKey = (orgId: string, listId: string, signalId: string, addedVersion: number): string => `${listPrefix(orgId, listId)}${signalId}:${pad(addedVersion)}`;
export const currentKey = (orgId: string, listId: string, signalId: string): string => `${listPrefix(orgId, listId)}${signalId}`;
export const versionKey = (orgId: string, listId: string, version: number): string => `${listPrefix(orgId, listId)}${pad(version)}`;
