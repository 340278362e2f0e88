import { SignalValidationError } from '@signal-mesh/signals-domain';
import { GrpcStatus, readErrorDetail } from '@signal-mesh/transport-grpc';
import { TrustClientError, type TrustFailureStatus } from '@signal-mesh/trust-client';

import { INGEST_CODES, type IngestCode, IngestError, toRejection } from './errors';
import { httpStatusFor } from './http-errors';
import { grpcErrorOf, RETRY_AFTER_TRAILER } from './ingest.grpc-service';

const HTTP: Record<IngestCode, number> = {
  API_KEY_MISSING: 401,
  INVALID_REQUEST: 400,
  INVALID_FIELD: 400,
  UNKNOWN_FIELD: 400,
  MALFORMED_JSON: 400,
  MALFORMED_CSV: 400,
  MALFORMED_ROW: 400,
  IDEMPOTENCY_KEY_MISMATCH: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413,
  BATCH_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  IDEMPOTENCY_KEY_REUSED: 409,
  CONTRIBUTION_NOT_FOUND: 404,
  SIGNAL_NOT_FOUND: 404,
  PUBLISH_FAILED: 503,
  STORE_UNAVAILABLE: 503,
  NOT_READY: 503,
};

const GRPC: Record<IngestCode, GrpcStatus> = {
  API_KEY_MISSING: GrpcStatus.UNAUTHENTICATED,
  INVALID_REQUEST: GrpcStatus.INVALID_ARGUMENT,
  INVALID_FIELD: GrpcStatus.INVALID_ARGUMENT,
  UNKNOWN_FIELD: GrpcStatus.INVALID_ARGUMENT,
  MALFORMED_JSON: GrpcStatus.INVALID_ARGUMENT,
  MALFORMED_CSV: GrpcStatus.INVALID_ARGUMENT,
  MALFORMED_ROW: GrpcStatus.INVALID_ARGUMENT,
  IDEMPOTENCY_KEY_MISMATCH: GrpcStatus.INVALID_ARGUMENT,
  UNSUPPORTED_MEDIA_TYPE: GrpcStatus.INVALID_ARGUMENT,
  PAYLOAD_TOO_LARGE: GrpcStatus.RESOURCE_EXHAUSTED,
  BATCH_TOO_LARGE: GrpcStatus.RESOURCE_EXHAUSTED,
  RATE_LIMITED: GrpcStatus.RESOURCE_EXHAUSTED,
  IDEMPOTENCY_KEY_REUSED: GrpcStatus.ALREADY_EXISTS,
  CONTRIBUTION_NOT_FOUND: GrpcStatus.NOT_FOUND,
  SIGNAL_NOT_FOUND: GrpcStatus.NOT_FOUND,
  PUBLISH_FAILED: GrpcStatus.UNAVAILABLE,
  STORE_UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  NOT_READY: GrpcStatus.UNAVAILABLE,
};

describe(toRejection.name, () => {
  it('maps every ingest code to its HTTP and gRPC status, with the code in the ErrorDetail', () => {
    for (const code of Object.keys(INGEST_CODES) as IngestCode[]) {
      const rejection = toRejection(new IngestError(code, 'explained', 'field'));
      expect([code, httpStatusFor(rejection)]).toEqual([code, HTTP[code]]);
      const err = grpcErrorOf(rejection);
      expect([code, err.code]).toEqual([code, GRPC[code]]);
      expect(readErrorDetail(err)).toEqual({ code, message: 'explained', field: 'contribution.field' });
    }
  });

  it('maps validation errors to INVALID_ARGUMENT / 400 with their own code and field', () => {
    const rejection = toRejection(new SignalValidationError('URL_INVALID', 'not a URL', 'signal.value'));
    expect(rejection).toEqual({ code: 'URL_INVALID', message: 'not a URL', field: 'signal.value', failure: 'INVALID_ARGUMENT' });
    expect(httpStatusFor(rejection)).toBe(400);
    expect(readErrorDetail(grpcErrorOf(rejection))?.field).toBe('contribution.signal.value');
  });

  it.each<[TrustFailureStatus, number, GrpcStatus]>([
    ['UNAUTHENTICATED', 401, GrpcStatus.UNAUTHENTICATED],
    ['PERMISSION_DENIED', 403, GrpcStatus.PERMISSION_DENIED],
    ['RESOURCE_EXHAUSTED', 429, GrpcStatus.RESOURCE_EXHAUSTED],
    ['INVALID_ARGUMENT', 400, GrpcStatus.INVALID_ARGUMENT],
    ['NOT_FOUND', 404, GrpcStatus.NOT_FOUND],
    ['FAILED_PRECONDITION', 400, GrpcStatus.FAILED_PRECONDITION],
    ['UNAVAILABLE', 503, GrpcStatus.UNAVAILABLE],
    ['INTERNAL', 500, GrpcStatus.INTERNAL],
  ])('maps a trust refusal with status %s to HTTP %i and its gRPC status, keeping the trust code', (status, http, grpc) => {
    const rejection = toRejection(new TrustClientError('NOT_ENTITLED', status, 'no'));
    expect(rejection.code).toBe('NOT_ENTITLED');
    expect(httpStatusFor(rejection)).toBe(http);
    expect(grpcErrorOf(rejection).code).toBe(grpc);
  });

  it('hides anything uncoded behind INTERNAL with a generic message', () => {
    const rejection = toRejection(new Error('db exploded at /srv/secret.ts:12'));
    expect(rejection).toEqual({ code: 'INTERNAL', message: 'internal error', failure: 'INTERNAL' });
    expect(httpStatusFor(rejection)).toBe(500);
    expect(JSON.stringify(grpcErrorOf(rejection))).not.toMatch(/exploded|secret/);
  });

  it('puts the retry time of a rate-limited call into a gRPC trailer', () => {
    const err = grpcErrorOf(toRejection(new IngestError('RATE_LIMITED', 'slow down', undefined, 3)));
    expect(err.metadata.get(RETRY_AFTER_TRAILER)).toEqual(['3']);
  });
});
