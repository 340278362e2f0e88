import { FeedDomainError } from '@signal-mesh/feeds-domain';
import { SignalValidationError } from '@signal-mesh/signals-domain';
import { GrpcStatus, readErrorDetail } from '@signal-mesh/transport-grpc';
import { TrustClientError } from '@signal-mesh/trust-client';

import { FEED_CODES, FeedError, grpcErrorOf, toRejection } from './errors';

describe('feed error mapping', () => {
  it.each(Object.keys(FEED_CODES) as (keyof typeof FEED_CODES)[])('maps %s to its class', (code) => {
    expect(toRejection(new FeedError(code, 'm')).failure).toBe(FEED_CODES[code]);
  });

  it('maps domain, validation and trust errors with their own codes and fields', () => {
    expect(toRejection(new FeedDomainError('INVALID_FILTER', 'bad', 'filter.types'))).toEqual({ code: 'INVALID_FILTER', message: 'bad', field: 'filter.types', failure: 'INVALID_ARGUMENT' });
    expect(toRejection(new SignalValidationError('VALUE_REQUIRED', 'a value is required', 'value'))).toMatchObject({ code: 'VALUE_REQUIRED', field: 'signal.value', failure: 'INVALID_ARGUMENT' });
    expect(toRejection(new TrustClientError('API_KEY_REVOKED', 'UNAUTHENTICATED', 'revoked'))).toMatchObject({ code: 'API_KEY_REVOKED', failure: 'UNAUTHENTICATED' });
    // A suspended organisation's key is fine as a credential; its organisation may not read.
    expect(toRejection(new TrustClientError('ORGANISATION_SUSPENDED', 'UNAUTHENTICATED', 'suspended'))).toMatchObject({ failure: 'PERMISSION_DENIED' });
  });

  it('never passes an unknown error on', () => {
    const err = grpcErrorOf(toRejection(new Error('secret internals at line 42')));
    expect(err.code).toBe(GrpcStatus.INTERNAL);
    expect(err.message).toBe('internal error');
    expect(readErrorDetail(err)).toMatchObject({ code: 'INTERNAL', message: 'internal error' });
  });
});
