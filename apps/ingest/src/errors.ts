import { isSignalValidationError } from '@signal-mesh/signals-domain';
import { isTrustClientError } from '@signal-mesh/trust-client';

/** Transport-neutral outcome classes; each transport maps them once (gRPC status here, HTTP status in http-errors). */
export type Failure =
  | 'INVALID_ARGUMENT'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'UNAVAILABLE'
  | 'INTERNAL';

/** Codes the ingest service itself raises (validation codes come from the signal domain, refusals from trust). */
export const INGEST_CODES = {
  API_KEY_MISSING: 'UNAUTHENTICATED',
  INVALID_REQUEST: 'INVALID_ARGUMENT',
  INVALID_FIELD: 'INVALID_ARGUMENT',
  UNKNOWN_FIELD: 'INVALID_ARGUMENT',
  MALFORMED_JSON: 'INVALID_ARGUMENT',
  MALFORMED_CSV: 'INVALID_ARGUMENT',
  MALFORMED_ROW: 'INVALID_ARGUMENT',
  IDEMPOTENCY_KEY_MISMATCH: 'INVALID_ARGUMENT',
  UNSUPPORTED_MEDIA_TYPE: 'INVALID_ARGUMENT',
  PAYLOAD_TOO_LARGE: 'RESOURCE_EXHAUSTED',
  BATCH_TOO_LARGE: 'RESOURCE_EXHAUSTED',
  RATE_LIMITED: 'RESOURCE_EXHAUSTED',
  IDEMPOTENCY_KEY_REUSED: 'ALREADY_EXISTS',
  CONTRIBUTION_NOT_FOUND: 'NOT_FOUND',
  SIGNAL_NOT_FOUND: 'NOT_FOUND',
  PUBLISH_FAILED: 'UNAVAILABLE',
  STORE_UNAVAILABLE: 'UNAVAILABLE',
  NOT_READY: 'UNAVAILABLE',
} as const satisfies Record<string, Failure>;

export type IngestCode = keyof typeof INGEST_CODES;

export class IngestError extends Error {
  constructor(
    readonly code: IngestCode,
    message: string,
    readonly field?: string,
    /** RATE_LIMITED: when the caller may try again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'IngestError';
  }
}

/** What a caller learns about a refused call or item: a stable code, a message for humans, the field, the class. */
export interface Rejection {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
  readonly failure: Failure;
  readonly retryAfterSeconds?: number;
}

const INTERNAL: Rejection = { code: 'INTERNAL', message: 'internal error', failure: 'INTERNAL' };

/**
 * The one classification of anything thrown while handling a call or an item. Unknown errors become INTERNAL with a
 * generic message: never a stack trace or a message from inside (the caller of this logs them).
 */
export function toRejection(err: unknown): Rejection {
  if (err instanceof IngestError) return withOptional({ code: err.code, message: err.message, failure: INGEST_CODES[err.code] }, err.field, err.retryAfterSeconds);
  if (isSignalValidationError(err)) return withOptional({ code: err.code, message: err.message, failure: 'INVALID_ARGUMENT' }, err.field);
  if (isTrustClientError(err)) return withOptional({ code: err.code, message: err.message, failure: err.status }, err.field);
  return INTERNAL;
}

function withOptional(base: Rejection, field: string | undefined, retryAfterSeconds?: number): Rejection {
  return { ...base, ...(field ? { field } : {}), ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
}

/** A Rejection carried as an exception (e.g. a single-item call whose item was rejected). */
export class RejectedError extends Error {
  constructor(readonly rejection: Rejection) {
    super(rejection.message);
    this.name = 'RejectedError';
  }
}

export function rejectionOf(err: unknown): Rejection {
  return err instanceof RejectedError ? err.rejection : toRejection(err);
}
