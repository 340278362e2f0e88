import { VersionExpiredError, VersionNotFoundError } from '@signal-mesh/delisting-data-access';
import { isDelistingDomainError } from '@signal-mesh/delisting-domain';
import { isTrustClientError } from '@signal-mesh/trust-client';

/** Transport-neutral outcome classes; each transport maps them once (grpc-errors, http-errors). */
export type Failure = 'INVALID_ARGUMENT' | 'UNAUTHENTICATED' | 'PERMISSION_DENIED' | 'NOT_FOUND' | 'FAILED_PRECONDITION' | 'RESOURCE_EXHAUSTED' | 'UNAVAILABLE' | 'INTERNAL';

/** Codes the delisting service itself raises (refusals come from trust, VERSION_* from the repository). */
export const DELISTING_CODES = {
  API_KEY_MISSING: 'UNAUTHENTICATED',
  /** Lists are addressed within the caller's organisation: an unknown list id is refused like another org's. */
  LIST_NOT_AVAILABLE: 'PERMISSION_DENIED',
  INVALID_REQUEST: 'INVALID_ARGUMENT',
  INVALID_FORMAT: 'INVALID_ARGUMENT',
  INVALID_VERSION: 'INVALID_ARGUMENT',
  VERSION_EXPIRED: 'FAILED_PRECONDITION',
  VERSION_NOT_FOUND: 'NOT_FOUND',
  NOT_READY: 'UNAVAILABLE',
} as const satisfies Record<string, Failure>;

export type DelistingCode = keyof typeof DELISTING_CODES;

export class DelistingError extends Error {
  constructor(
    readonly code: DelistingCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DelistingError';
  }
}

/** What a caller learns about a refused call: a stable code, a message for humans, the field, the class. */
export interface Rejection {
  readonly code: string;
  readonly message: string;
  readonly failure: Failure;
  readonly field?: string;
}

const INTERNAL: Rejection = { code: 'INTERNAL', message: 'internal error', failure: 'INTERNAL' };

/**
 * The one classification of anything thrown while handling a call. Unknown errors become INTERNAL with a generic
 * message: never a stack trace or an inside message (the transports log them).
 */
export function toRejection(err: unknown): Rejection {
  if (err instanceof DelistingError) return { code: err.code, message: err.message, failure: DELISTING_CODES[err.code], ...(err.field ? { field: err.field } : {}) };
  if (err instanceof VersionExpiredError) return { code: err.code, message: err.message, failure: 'FAILED_PRECONDITION' };
  if (err instanceof VersionNotFoundError) return { code: err.code, message: err.message, failure: 'NOT_FOUND' };
  if (isDelistingDomainError(err) && err.code === 'INVALID_VERSION') return { code: err.code, message: err.message, failure: 'INVALID_ARGUMENT' };
  if (isTrustClientError(err)) return { code: err.code, message: err.message, failure: err.status, ...(err.field ? { field: err.field } : {}) };
  return INTERNAL;
}
