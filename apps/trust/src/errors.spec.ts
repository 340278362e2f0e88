import { GrpcStatus } from '@signal-mesh/transport-grpc';

import { grpcStatusFor, isDenial } from './errors';

describe(grpcStatusFor.name, () => {
  it.each([
    ['API_KEY_MISSING', GrpcStatus.UNAUTHENTICATED],
    ['API_KEY_MALFORMED', GrpcStatus.UNAUTHENTICATED],
    ['API_KEY_INVALID', GrpcStatus.UNAUTHENTICATED],
    ['API_KEY_REVOKED', GrpcStatus.UNAUTHENTICATED],
    ['API_KEY_EXPIRED', GrpcStatus.UNAUTHENTICATED],
    ['ORGANISATION_SUSPENDED', GrpcStatus.UNAUTHENTICATED],
    ['API_KEY_WRONG_SCOPE', GrpcStatus.PERMISSION_DENIED],
    ['NOT_OPERATOR', GrpcStatus.PERMISSION_DENIED],
    ['TOO_MANY_ATTEMPTS', GrpcStatus.RESOURCE_EXHAUSTED],
    ['ORGANISATION_NOT_FOUND', GrpcStatus.NOT_FOUND],
    ['API_KEY_NOT_FOUND', GrpcStatus.NOT_FOUND],
    ['SHARING_GROUP_NOT_FOUND', GrpcStatus.NOT_FOUND],
    ['NOT_KEY_OWNER', GrpcStatus.PERMISSION_DENIED],
    ['NOT_OWN_VIEW', GrpcStatus.PERMISSION_DENIED],
    ['API_KEY_NOT_ROTATABLE', GrpcStatus.FAILED_PRECONDITION],
    ['INVALID_ARGUMENT', GrpcStatus.INVALID_ARGUMENT],
    ['DUPLICATE_KEY', GrpcStatus.ALREADY_EXISTS],
    ['TRUST_EVENT_NOT_PUBLISHED', GrpcStatus.UNAVAILABLE],
  ])('maps %s to gRPC status %i', (code, status) => {
    expect(grpcStatusFor(code)).toBe(status);
  });

  it.each(['AUDIT_DETAIL_FORBIDDEN', 'ECONNREFUSED', 'AUDIT_APPEND_CONTENDED', ''])('leaves %j unmapped, so the caller sees INTERNAL', (code) => {
    expect(grpcStatusFor(code)).toBeUndefined();
  });

  it('counts authentication, authorisation and throttling refusals as denials, nothing else', () => {
    expect([GrpcStatus.UNAUTHENTICATED, GrpcStatus.PERMISSION_DENIED, GrpcStatus.RESOURCE_EXHAUSTED].every(isDenial)).toBe(true);
    expect([GrpcStatus.INVALID_ARGUMENT, GrpcStatus.NOT_FOUND, GrpcStatus.UNAVAILABLE, 13, undefined].some(isDenial)).toBe(false);
  });
});
