/** `since` is older than the retained change log: the client must take a snapshot. */
export class VersionExpiredError extends Error {
  readonly code = 'VERSION_EXPIRED';
  constructor(
    readonly oldestRetained: number,
    readonly currentVersion: number,
  ) {
    super(`changes before version ${oldestRetained} are no longer kept; take a snapshot (current version ${currentVersion})`);
    this.name = 'VersionExpiredError';
  }
}

/** The version asked for is newer than the list's current version. */
export class VersionNotFoundError extends Error {
  readonly code = 'VERSION_NOT_FOUND';
  constructor(readonly currentVersion: number) {
    super(`the list has no such version yet (current version ${currentVersion})`);
    this.name = 'VersionNotFoundError';
  }
}
