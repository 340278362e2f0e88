/**
 * Why a trust message could not be mapped. INVALID_TRUST_EVENT: a record of trust.changes.v1 is malformed (consumers
 * dead-letter it; a retry cannot fix a pure mapping). INVALID_ENTITLEMENTS: entitlements from a request are invalid
 * (the trust service answers INVALID_ARGUMENT).
 */
export type TrustEventMappingCode = 'INVALID_TRUST_EVENT' | 'INVALID_ENTITLEMENTS';

export class TrustEventMappingError extends Error {
  constructor(
    readonly code: TrustEventMappingCode,
    message: string,
    /** Path of the offending field, e.g. `entity.organisation.kind`. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'TrustEventMappingError';
  }
}

export function isTrustEventMappingError(err: unknown): err is TrustEventMappingError {
  return err instanceof TrustEventMappingError;
}
