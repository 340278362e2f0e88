import { VersionExpiredError, VersionNotFoundError } from '@signal-mesh/delisting-data-access';
import { DelistingDomainError } from '@signal-mesh/delisting-domain';
import { GrpcStatus, readErrorDetail } from '@signal-mesh/transport-grpc';
import { TrustClientError } from '@signal-mesh/trust-client';

import { grpcErrorOf } from './delisting.grpc-service';
import { DELISTING_CODES, DelistingError, toRejection } from './errors';
import { errorBody, httpStatusFor } from './http-errors';

describe('error mapping', () => {
  it('maps every delisting code to one HTTP and one gRPC status', () => {
    const expected: Record<keyof typeof DELISTING_CODES, [number, GrpcStatus]> = {
      API_KEY_MISSING: [401, GrpcStatus.UNAUTHENTICATED],
      LIST_NOT_AVAILABLE: [403, GrpcStatus.PERMISSION_DENIED],
      INVALID_REQUEST: [400, GrpcStatus.INVALID_ARGUMENT],
      INVALID_FORMAT: [400, GrpcStatus.INVALID_ARGUMENT],
      INVALID_VERSION: [400, GrpcStatus.INVALID_ARGUMENT],
      VERSION_EXPIRED: [410, GrpcStatus.FAILED_PRECONDITION],
      VERSION_NOT_FOUND: [404, GrpcStatus.NOT_FOUND],
      NOT_READY: [503, GrpcStatus.UNAVAILABLE],
    };
    for (const [code, [http, grpc]] of Object.entries(expected)) {
      const rejection = toRejection(new DelistingError(code as keyof typeof DELISTING_CODES, 'm'));
      expect([code, httpStatusFor(rejection), grpcErrorOf(rejection).code]).toEqual([code, http, grpc]);
    }
  });

  it('maps repository version errors: expired → 410 / FAILED_PRECONDITION VERSION_EXPIRED with a snapshot hint', () => {
    const expired = toRejection(new VersionExpiredError(6, 9));
    expect(httpStatusFor(expired)).toBe(410);
    expect(errorBody(expired).error).toMatchObject({ code: 'VERSION_EXPIRED', hint: expect.stringContaining('snapshot') });
    const grpc = grpcErrorOf(expired);
    expect(grpc.code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(readErrorDetail(grpc)?.code).toBe('VERSION_EXPIRED');
    expect(httpStatusFor(toRejection(new VersionNotFoundError(3)))).toBe(404);
    expect(httpStatusFor(toRejection(new DelistingDomainError('INVALID_VERSION', 'bad')))).toBe(400);
  });

  it('passes trust refusals through with their code and class', () => {
    expect(toRejection(new TrustClientError('NOT_SEARCH_ENGINE', 'PERMISSION_DENIED', 'no'))).toEqual({ code: 'NOT_SEARCH_ENGINE', message: 'no', failure: 'PERMISSION_DENIED' });
    expect(httpStatusFor(toRejection(new TrustClientError('API_KEY_REVOKED', 'UNAUTHENTICATED', 'no')))).toBe(401);
  });

  it('never leaks an unknown error', () => {
    const rejection = toRejection(new Error('connection string mongodb://user:secret@host'));
    expect(rejection).toEqual({ code: 'INTERNAL', message: 'internal error', failure: 'INTERNAL' });
    expect(JSON.stringify(errorBody(rejection))).not.toContain('secret');
    expect(toRejection(new DelistingDomainError('UNSORTED_SNAPSHOT', 'x')).failure).toBe('INTERNAL');
  });
});
