import { FeedDomainError } from '@signal-mesh/feeds-domain';
import { isSignalValidationError } from '@signal-mesh/signals-domain';
import { GrpcStatus, type ServiceError, serviceError } from '@signal-mesh/transport-grpc';
import { isTrustClientError } from '@signal-mesh/trust-client';

/** Transport-neutral outcome classes, mapped to gRPC once (grpcErrorOf). */
export type Failure = 'INVALID_ARGUMENT' | 'UNAUTHENTICATED' | 'PERMISSION_DENIED' | 'NOT_FOUND' | 'RESOURCE_EXHAUSTED' | 'FAILED_PRECONDITION' | 'UNAVAILABLE' | 'INTERNAL';

/** Codes the feed service itself raises (cursor and filter codes come from the feed domain, refusals from trust). */
export const FEED_CODES = {
  API_KEY_MISSING: 'UNAUTHENTICATED',
  CURSOR_EXPIRED: 'FAILED_PRECONDITION',
  SIGNAL_NOT_FOUND: 'NOT_FOUND',
  SUBSCRIPTION_NOT_FOUND: 'NOT_FOUND',
  ORGANISATION_UNKNOWN: 'PERMISSION_DENIED',
  TOO_MANY_STREAMS: 'RESOURCE_EXHAUSTED',
  INVALID_REQUEST: 'INVALID_ARGUMENT',
  NOT_READY: 'UNAVAILABLE',
  SHUTTING_DOWN: 'UNAVAILABLE',
  FEED_UNAVAILABLE: 'UNAVAILABLE',
} as const satisfies Record<string, Failure>;

export type FeedCode = keyof typeof FEED_CODES;

export class FeedError extends Error {
  constructor(
    readonly code: FeedCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'FeedError';
  }
}

/** What a caller learns: a stable code, a message for humans, the request field, the class. */
export interface Rejection {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
  readonly failure: Failure;
}

const INTERNAL: Rejection = { code: 'INTERNAL', message: 'internal error', failure: 'INTERNAL' };

// The trust service answers UNAUTHENTICATED for a suspended organisation's key; for a feed the credential is fine but
// its organisation may not read (docs/feeds.md: revoked key → UNAUTHENTICATED, suspended organisation → PERMISSION_DENIED).
const TRUST_OVERRIDES: Readonly<Record<string, Failure>> = { ORGANISATION_SUSPENDED: 'PERMISSION_DENIED' };

/** The one classification of anything thrown while handling a call. Unknown errors become INTERNAL, never their text. */
export function toRejection(err: unknown): Rejection {
  if (err instanceof FeedError) return withField({ code: err.code, message: err.message, failure: FEED_CODES[err.code] }, err.field);
  if (err instanceof FeedDomainError) return withField({ code: err.code, message: err.message, failure: 'INVALID_ARGUMENT' }, err.field);
  if (isSignalValidationError(err)) return withField({ code: err.code, message: err.message, failure: 'INVALID_ARGUMENT' }, err.field && `signal.${err.field}`);
  if (isTrustClientError(err)) return withField({ code: err.code, message: err.message, failure: TRUST_OVERRIDES[err.code] ?? err.status }, err.field);
  return INTERNAL;
}

function withField(base: Rejection, field: string | undefined): Rejection {
  return field ? { ...base, field } : base;
}

const GRPC_STATUS: Record<Failure, GrpcStatus> = {
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
  PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  RESOURCE_EXHAUSTED: GrpcStatus.RESOURCE_EXHAUSTED,
  FAILED_PRECONDITION: GrpcStatus.FAILED_PRECONDITION,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  INTERNAL: GrpcStatus.INTERNAL,
};

/** The one mapping to gRPC: status plus the coded ErrorDetail trailer (signalmesh-error-bin). */
export function grpcErrorOf(rejection: Rejection): ServiceError {
  return serviceError(GRPC_STATUS[rejection.failure], { code: rejection.code, message: rejection.message, field: rejection.field ?? '' });
}
