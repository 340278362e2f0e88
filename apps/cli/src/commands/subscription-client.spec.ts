import { SignalType } from '@signal-mesh/contracts';
import { GrpcStatus, serviceError } from '@signal-mesh/transport-grpc';
import { ConfigError } from '@signal-mesh/util-config';

import { backoffDelay, isTransient, subscribeExitCodeOf } from './subscribe-follow';
import {
  FEED_EXIT_CURSOR_EXPIRED,
  FEED_EXIT_FAILED,
  FEED_EXIT_NOT_FOUND,
  FEED_EXIT_REFUSED,
  feedErrorOf,
  feedExitCodeOf,
  filterJson,
  isEmptyFilter,
  parseCategories,
  parseMinConfidence,
  parseTypes,
  subscriptionJson,
  toFilter,
} from './subscription-client';

describe('filter flags', () => {
  it('parses --types as comma-separated CLI names, adding up repeats without duplicates', () => {
    expect(parseTypes('url, Model-Hash', undefined)).toEqual([SignalType.SIGNAL_TYPE_URL, SignalType.SIGNAL_TYPE_MODEL_HASH]);
    expect(parseTypes('prompt-pattern,url', [SignalType.SIGNAL_TYPE_URL])).toEqual([SignalType.SIGNAL_TYPE_URL, SignalType.SIGNAL_TYPE_PROMPT_PATTERN]);
  });

  it('refuses unknown types and empty entries with a message naming the valid ones', () => {
    expect(() => parseTypes('url,domain', undefined)).toThrow('unknown signal type "domain": expected url, model-hash, prompt-pattern');
    expect(() => parseTypes('url,', undefined)).toThrow('without empty entries');
  });

  it('parses --categories, leaving the vocabulary to the service', () => {
    expect(parseCategories('service.nudify, model.2c', ['service.nudify'])).toEqual(['service.nudify', 'model.2c']);
    expect(() => parseCategories('a,,b', undefined)).toThrow('without empty entries');
  });

  it('accepts --min-confidence 0 to 100 only, as an integer', () => {
    expect(parseMinConfidence('0')).toBe(0);
    expect(parseMinConfidence('100')).toBe(100);
    for (const bad of ['101', '-1', '50.5', 'high', '']) expect(() => parseMinConfidence(bad)).toThrow('must be an integer from 0 to 100');
  });

  it('builds the request filter and prints it with every field and CLI type names', () => {
    expect(isEmptyFilter({})).toBe(true);
    expect(isEmptyFilter({ minConfidence: 0 })).toBe(false);
    const filter = toFilter({ types: [SignalType.SIGNAL_TYPE_MODEL_HASH], minConfidence: 40 });
    expect(filter).toEqual({ types: [SignalType.SIGNAL_TYPE_MODEL_HASH], categories: [], minConfidence: 40 });
    expect(filterJson(filter)).toEqual({ types: ['model-hash'], categories: [], minConfidence: 40 });
    expect(subscriptionJson({ filter, updatedAt: new Date('2026-01-02T03:04:05Z') })).toEqual({ filter: { types: ['model-hash'], categories: [], minConfidence: 40 }, updatedAt: '2026-01-02T03:04:05.000Z' });
    expect(subscriptionJson(undefined)).toBeNull();
  });
});

describe('feed errors and exit codes', () => {
  it('keeps the service code, names unreachable FEED_UNAVAILABLE, else GRPC_<STATUS>', () => {
    expect(feedErrorOf(serviceError(GrpcStatus.INVALID_ARGUMENT, { code: 'UNKNOWN_CATEGORY', message: 'no such category', field: 'filter.categories' }))).toEqual({
      code: 'UNKNOWN_CATEGORY',
      message: 'no such category',
      status: 'INVALID_ARGUMENT',
      field: 'filter.categories',
    });
    const bare = (code: number, details: string) => Object.assign(new Error(details), { code, details, metadata: { get: () => [] } });
    expect(feedErrorOf(bare(GrpcStatus.UNAVAILABLE, 'No connection established'))).toEqual({ code: 'FEED_UNAVAILABLE', message: 'No connection established', status: 'UNAVAILABLE' });
    expect(feedErrorOf(bare(GrpcStatus.UNIMPLEMENTED, 'unknown service'))).toEqual({ code: 'GRPC_UNIMPLEMENTED', message: 'unknown service', status: 'UNIMPLEMENTED' });
    expect(feedErrorOf(new ConfigError([{ variable: 'SIGNAL_MESH_FEED_ADDRESS', message: 'must be host:port' }]))).toMatchObject({ code: 'CONFIG_INVALID' });
    expect(feedErrorOf(Object.assign(new Error('cannot write'), { code: 'STATE_FILE_UNWRITABLE' }))).toEqual({ code: 'STATE_FILE_UNWRITABLE', message: 'cannot write' });
  });

  it('maps statuses to the documented exit codes', () => {
    const err = (status: number, code: string) => serviceError(status, { code, message: 'm' });
    expect(feedExitCodeOf(err(GrpcStatus.NOT_FOUND, 'SIGNAL_NOT_FOUND'))).toBe(FEED_EXIT_NOT_FOUND);
    expect(feedExitCodeOf(err(GrpcStatus.INVALID_ARGUMENT, 'URL_INVALID'))).toBe(FEED_EXIT_REFUSED);
    expect(feedExitCodeOf(err(GrpcStatus.UNAUTHENTICATED, 'API_KEY_INVALID'))).toBe(FEED_EXIT_FAILED);
    expect(feedExitCodeOf(err(GrpcStatus.PERMISSION_DENIED, 'SCOPE_MISSING'))).toBe(FEED_EXIT_FAILED);
    expect(feedExitCodeOf(new Error('local'))).toBe(FEED_EXIT_FAILED);
    expect(subscribeExitCodeOf(err(GrpcStatus.FAILED_PRECONDITION, 'CURSOR_EXPIRED'))).toBe(FEED_EXIT_CURSOR_EXPIRED);
    expect(subscribeExitCodeOf(err(GrpcStatus.FAILED_PRECONDITION, 'OTHER'))).toBe(FEED_EXIT_REFUSED);
    expect(subscribeExitCodeOf(err(GrpcStatus.INVALID_ARGUMENT, 'CURSOR_MALFORMED'))).toBe(FEED_EXIT_REFUSED);
    expect(subscribeExitCodeOf(err(GrpcStatus.UNAUTHENTICATED, 'API_KEY_REVOKED'))).toBe(FEED_EXIT_FAILED);
  });

  it('reconnects on transient statuses only', () => {
    const err = (status: number) => serviceError(status, { code: 'X', message: 'm' });
    for (const status of [GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.INTERNAL, GrpcStatus.RESOURCE_EXHAUSTED]) expect(isTransient(err(status))).toBe(true);
    for (const status of [GrpcStatus.UNAUTHENTICATED, GrpcStatus.PERMISSION_DENIED, GrpcStatus.INVALID_ARGUMENT, GrpcStatus.FAILED_PRECONDITION]) expect(isTransient(err(status))).toBe(false);
    expect(isTransient(new Error('local'))).toBe(false);
  });

  it('backs off exponentially with jitter, capped', () => {
    const backoff = { initialMs: 100, maxMs: 1_000 };
    expect([0, 1, 2, 3, 10].map((a) => backoffDelay(a, backoff, () => 1))).toEqual([100, 200, 400, 800, 1_000]);
    expect(backoffDelay(2, backoff, () => 0)).toBe(200);
  });
});
