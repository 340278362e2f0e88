import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { ErrorDetail } from '@signal-mesh/contracts';

/** Trailer carrying the structured error (signalmesh.v1.ErrorDetail) next to the gRPC status. */
export const ERROR_DETAIL_TRAILER = 'signalmesh-error-bin';

/** Any error the domain raises with a string code (e.g. `INVALID_HASH_LENGTH`). */
export interface CodedError {
  code: string;
  message: string;
  field?: string;
}

export function isCodedError(err: unknown): err is CodedError {
  return typeof err === 'object' && err !== null && typeof (err as CodedError).code === 'string' && typeof (err as CodedError).message === 'string';
}

/** A gRPC error with a status, a coded ErrorDetail trailer and a message — never a stack trace. */
export function serviceError(grpcStatus: status, detail: CodedError): ServiceError {
  const metadata = new Metadata();
  metadata.set(ERROR_DETAIL_TRAILER, Buffer.from(ErrorDetail.encode(ErrorDetail.fromPartial(detail)).finish()));
  return Object.assign(new Error(detail.message), { code: grpcStatus, details: `${detail.code}: ${detail.message}`, metadata });
}

/**
 * Maps any thrown value to what a caller may see, once, at the gRPC edge: coded errors keep their code and message
 * with the status `statusFor` picks; anything else becomes INTERNAL with a generic message (logged by the caller).
 */
export function toServiceError(err: unknown, statusFor: (code: string) => status | undefined): ServiceError {
  if (isCodedError(err)) {
    const mapped = statusFor(err.code);
    if (mapped !== undefined) return serviceError(mapped, { code: err.code, message: err.message, field: err.field });
  }
  return serviceError(status.INTERNAL, { code: 'INTERNAL', message: 'internal error' });
}

/** Reads the structured error a server attached (clients and tests). */
export function readErrorDetail(err: ServiceError): ErrorDetail | undefined {
  const [value] = err.metadata?.get(ERROR_DETAIL_TRAILER) ?? [];
  return value instanceof Buffer ? ErrorDetail.decode(value) : undefined;
}
