/** Codes the delisting domain raises; services map them to transport statuses, the CLI prints them. */
export type DelistingDomainCode =
  | 'INVALID_ENTRY'
  | 'INVALID_LINE'
  | 'INVALID_VERSION'
  | 'INVALID_MANIFEST'
  | 'INVALID_KEY'
  | 'UNKNOWN_KEY'
  | 'BAD_SIGNATURE'
  | 'DIGEST_MISMATCH'
  | 'COUNT_MISMATCH'
  | 'LIST_MISMATCH'
  | 'VERSION_GAP'
  | 'UNSORTED_SNAPSHOT';

export class DelistingDomainError extends Error {
  constructor(
    readonly code: DelistingDomainCode,
    message: string,
  ) {
    super(message);
    this.name = 'DelistingDomainError';
  }
}

export function isDelistingDomainError(err: unknown): err is DelistingDomainError {
  return err instanceof DelistingDomainError;
}
