import { GrpcStatus, type ServiceError,serviceError } from '@signal-mesh/transport-grpc';

import { fromServiceError } from './errors';

const bare = (code: number): ServiceError => Object.assign(new Error('x'), { code, details: 'x', metadata: undefined }) as unknown as ServiceError;

describe(fromServiceError.name, () => {
  it('keeps the coded detail and maps the status', () => {
    const err = fromServiceError(serviceError(GrpcStatus.UNAUTHENTICATED, { code: 'API_KEY_REVOKED', message: 'API key is revoked' }));
    expect(err).toMatchObject({ code: 'API_KEY_REVOKED', status: 'UNAUTHENTICATED', message: 'API key is revoked' });
  });

  it('keeps the field of a refusal', () => {
    const err = fromServiceError(serviceError(GrpcStatus.INVALID_ARGUMENT, { code: 'INVALID_ARGUMENT', message: 'bad', field: 'resource.categories' }));
    expect(err).toMatchObject({ status: 'INVALID_ARGUMENT', field: 'resource.categories' });
  });

  it('fails closed as TRUST_UNAVAILABLE when the service cannot be reached or is too slow', () => {
    expect(fromServiceError(bare(GrpcStatus.UNAVAILABLE))).toMatchObject({ code: 'TRUST_UNAVAILABLE', status: 'UNAVAILABLE' });
    expect(fromServiceError(bare(GrpcStatus.DEADLINE_EXCEEDED))).toMatchObject({ code: 'TRUST_UNAVAILABLE', status: 'UNAVAILABLE' });
  });

  it('maps anything else to INTERNAL without passing the server message on', () => {
    expect(fromServiceError(bare(GrpcStatus.DATA_LOSS))).toMatchObject({ code: 'TRUST_ERROR', status: 'INTERNAL', message: 'the trust service failed' });
  });
});
