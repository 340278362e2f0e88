/**
 * The driver stores `undefined` as null, and null would then come back into records typed `?: T`. Documents are
 * built without undefined members and read back without nulls, so a round trip returns an equal record.
 */
export function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** `value` unless it is null (or absent). */
export function optional<T>(value: T | null | undefined): T | undefined {
  return value === null ? undefined : value;
}
