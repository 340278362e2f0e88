import { GrpcStatus, readErrorDetail, type ServiceError } from '@signal-mesh/transport-grpc';

/** What a calling service must do with a failure, in transport-neutral terms; each service maps it once. */
export type TrustFailureStatus = 'UNAUTHENTICATED' | 'PERMISSION_DENIED' | 'RESOURCE_EXHAUSTED' | 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'FAILED_PRECONDITION' | 'UNAVAILABLE' | 'INTERNAL';

/** A refusal or failure from the trust service, with the service's code (e.g. API_KEY_REVOKED, NOT_ENTITLED). */
export class TrustClientError extends Error {
  constructor(
    readonly code: string,
    readonly status: TrustFailureStatus,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'TrustClientError';
  }
}

export function isTrustClientError(err: unknown): err is TrustClientError {
  return err instanceof TrustClientError;
}

const STATUS: Partial<Record<number, TrustFailureStatus>> = {
  [GrpcStatus.UNAUTHENTICATED]: 'UNAUTHENTICATED',
  [GrpcStatus.PERMISSION_DENIED]: 'PERMISSION_DENIED',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'RESOURCE_EXHAUSTED',
  [GrpcStatus.INVALID_ARGUMENT]: 'INVALID_ARGUMENT',
  [GrpcStatus.NOT_FOUND]: 'NOT_FOUND',
  [GrpcStatus.FAILED_PRECONDITION]: 'FAILED_PRECONDITION',
  [GrpcStatus.UNAVAILABLE]: 'UNAVAILABLE',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'UNAVAILABLE',
};

/** gRPC failure → TrustClientError. Unreachable or slow trust fails closed as TRUST_UNAVAILABLE. */
export function fromServiceError(err: ServiceError): TrustClientError {
  const status = STATUS[err.code] ?? 'INTERNAL';
  const detail = readErrorDetail(err);
  if (detail?.code) return new TrustClientError(detail.code, status, detail.message, detail.field || undefined);
  if (status === 'UNAVAILABLE') return new TrustClientError('TRUST_UNAVAILABLE', status, 'the trust service is unavailable; retry later');
  return new TrustClientError('TRUST_ERROR', status, 'the trust service failed');
}
