import {
  FeedServiceClient,
  type GetSubscriptionResponse,
  type LookupRequest,
  type LookupResponse,
  type SetSubscriptionRequest,
  type SetSubscriptionResponse,
  type SignalType,
  type SnapshotRequest,
  type SnapshotResponse,
  type SubscribeRequest,
  type SubscribeResponse,
  type Subscription,
  type SubscriptionFilter,
} from '@signal-mesh/contracts';
import { grpcCredentials, GrpcStatus, Metadata, readErrorDetail, type ServiceError } from '@signal-mesh/transport-grpc';
import { ConfigError } from '@signal-mesh/util-config';
import { InvalidArgumentError } from 'commander';

import { loadFeedConfig } from '../config';
import type { CliIo } from '../io';
import { resolveApiKey } from './admin.command';
import { SUBMIT_TYPES, typeName } from './submit-request';

export { DEFAULT_FEED_ADDRESS } from '../config';

/**
 * Exit codes of the feed commands (subscribe, lookup, subscription). 1 and 2 mean what they mean for `submit`:
 * 1 the command could not be carried out, 2 the service refused the request itself.
 */
export const FEED_EXIT_OK = 0;
/** Usage, configuration, key, feed unreachable, authentication / permission, state file. */
export const FEED_EXIT_FAILED = 1;
/** The service refused the request (INVALID_ARGUMENT, FAILED_PRECONDITION other than CURSOR_EXPIRED, …). */
export const FEED_EXIT_REFUSED = 2;
/** NOT_FOUND: lookup of a signal that does not exist or is not visible; subscription get with none stored. */
export const FEED_EXIT_NOT_FOUND = 3;
/** subscribe: the cursor is older than the feed's retention; rerun with --snapshot. */
export const FEED_EXIT_CURSOR_EXPIRED = 4;

const DEADLINE_MS = 10_000;

/** A server stream as the CLI consumes it: async-iterable (with backpressure), cancellable. */
export interface FeedStream<T> extends AsyncIterable<T> {
  cancel(): void;
}

/** signalmesh.v1.FeedService as the CLI uses it; the caller's key is already attached. */
export interface FeedClient {
  subscribe(request: SubscribeRequest): FeedStream<SubscribeResponse>;
  snapshot(request: SnapshotRequest): FeedStream<SnapshotResponse>;
  lookup(request: LookupRequest): Promise<LookupResponse>;
  getSubscription(): Promise<GetSubscriptionResponse>;
  setSubscription(request: SetSubscriptionRequest): Promise<SetSubscriptionResponse>;
  close(): void;
}

export type ConnectFeed = (address: string, apiKey: string) => FeedClient;

/** A FeedClient over gRPC (plaintext, as the local stack serves it), sending the key as `x-api-key` on every call. */
export const connectFeed: ConnectFeed = (address, apiKey) => {
  // Keepalives so a silently dropped connection (NAT, load balancer) surfaces as UNAVAILABLE and is reconnected.
  const client = new FeedServiceClient(address, grpcCredentials.createInsecure(), { 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_timeout_ms': 10_000 });
  const metadata = () => {
    const m = new Metadata();
    m.set('x-api-key', apiKey);
    return m;
  };
  const deadline = () => ({ deadline: new Date(Date.now() + DEADLINE_MS) });
  const unary = <Res>(call: (callback: (err: ServiceError | null, res: Res) => void) => unknown): Promise<Res> =>
    new Promise((resolve, reject) => {
      call((err, res) => (err ? reject(err) : resolve(res)));
    });
  return {
    // Streams have no deadline: they are meant to stay open.
    subscribe: (request) => client.subscribe(request, metadata()) as unknown as FeedStream<SubscribeResponse>,
    snapshot: (request) => client.snapshot(request, metadata()) as unknown as FeedStream<SnapshotResponse>,
    lookup: (request) => unary((cb) => client.lookup(request, metadata(), deadline(), cb)),
    getSubscription: () => unary((cb) => client.getSubscription({}, metadata(), deadline(), cb)),
    setSubscription: (request) => unary((cb) => client.setSubscription(request, metadata(), deadline(), cb)),
    close: () => client.close(),
  };
};

export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as ServiceError).code === 'number' && 'metadata' in err;
}

export interface FeedError {
  code: string;
  message: string;
  status?: string;
  field?: string;
}

/**
 * The coded error printed for a failed call: the service's ErrorDetail code when it sent one, FEED_UNAVAILABLE
 * when it could not be reached, else GRPC_<STATUS>; local errors keep their own code.
 */
export function feedErrorOf(err: unknown): FeedError {
  if (err instanceof ConfigError) return { code: err.code, message: err.message };
  if (isServiceError(err)) {
    const status = GrpcStatus[err.code] ?? String(err.code);
    const detail = readErrorDetail(err);
    if (detail?.code) return { code: detail.code, message: detail.message || err.details, status, ...(detail.field ? { field: detail.field } : {}) };
    if (err.code === GrpcStatus.UNAVAILABLE || err.code === GrpcStatus.DEADLINE_EXCEEDED) return { code: 'FEED_UNAVAILABLE', message: err.details || err.message, status };
    return { code: `GRPC_${status}`, message: err.details || err.message, status };
  }
  const coded = err as { code?: unknown; message?: string };
  return { code: typeof coded.code === 'string' ? coded.code : 'INTERNAL', message: coded.message ?? String(err) };
}

/** The exit code for a failed unary call (lookup, subscription): see the FEED_EXIT_* constants. */
export function feedExitCodeOf(err: unknown): number {
  if (!isServiceError(err)) return FEED_EXIT_FAILED;
  if (err.code === GrpcStatus.NOT_FOUND) return FEED_EXIT_NOT_FOUND;
  if (err.code === GrpcStatus.FAILED_PRECONDITION && readErrorDetail(err)?.code === 'CURSOR_EXPIRED') return FEED_EXIT_CURSOR_EXPIRED;
  if (err.code === GrpcStatus.INVALID_ARGUMENT || err.code === GrpcStatus.FAILED_PRECONDITION || err.code === GrpcStatus.OUT_OF_RANGE) return FEED_EXIT_REFUSED;
  return FEED_EXIT_FAILED;
}

/** Where the feed commands connect: `--feed`, else SIGNAL_MESH_FEED_ADDRESS, else the default. */
export interface FeedTarget {
  address: string;
  apiKey: string;
}

/**
 * SIGNAL_MESH_API_KEY or `--key-file`, as `submit` takes it: an organisation key, never the operator key file
 * by default. Throws a coded error (API_KEY_MISSING, API_KEY_FILE_UNREADABLE, CONFIG_INVALID).
 */
export async function resolveFeedTarget(io: CliIo, options: { feed?: string; keyFile?: string }): Promise<FeedTarget> {
  const config = loadFeedConfig(io.env);
  if (options.keyFile === undefined && config.apiKey === undefined) {
    throw Object.assign(new Error('no API key: set SIGNAL_MESH_API_KEY or pass --key-file <path> (a file holding the key)'), { code: 'API_KEY_MISSING' });
  }
  return { address: options.feed ?? config.feed, apiKey: await resolveApiKey(io, options.keyFile) };
}

// ---- filter flags (--types, --categories, --min-confidence), shared by subscribe and subscription set ----

/** What the filter flags parse to; commander stores each option's value here. */
export interface FilterOptions {
  types?: SignalType[];
  categories?: string[];
  minConfidence?: number;
}

const splitList = (value: string): string[] => value.split(',').map((v) => v.trim());

/** `--types url,model-hash` (repeatable; lists add up): each entry must be a CLI type name. */
export function parseTypes(value: string, previous: SignalType[] | undefined): SignalType[] {
  const names = splitList(value);
  if (names.some((n) => n === '')) throw new InvalidArgumentError('must be a comma-separated list without empty entries, e.g. url,model-hash');
  const types = names.map((name) => {
    const type = SUBMIT_TYPES[name.toLowerCase()];
    if (type === undefined) throw new InvalidArgumentError(`unknown signal type "${name}": expected ${Object.keys(SUBMIT_TYPES).join(', ')}`);
    return type;
  });
  return [...new Set([...(previous ?? []), ...types])];
}

/** `--categories service.nudify,model.2c` (repeatable). Spelling and vocabulary are checked by the service. */
export function parseCategories(value: string, previous: string[] | undefined): string[] {
  const categories = splitList(value);
  if (categories.some((c) => c === '')) throw new InvalidArgumentError('must be a comma-separated list without empty entries, e.g. service.nudify,model.2c');
  return [...new Set([...(previous ?? []), ...categories])];
}

/** `--min-confidence N`: an integer 0–100. */
export function parseMinConfidence(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 100) throw new InvalidArgumentError(`must be an integer from 0 to 100, not "${value}"`);
  return n;
}

/** True when no filter flag was given (the request then carries no filter: the stored subscription applies). */
export function isEmptyFilter(options: FilterOptions): boolean {
  return options.types === undefined && options.categories === undefined && options.minConfidence === undefined;
}

export function toFilter(options: FilterOptions): SubscriptionFilter {
  return { types: options.types ?? [], categories: options.categories ?? [], minConfidence: options.minConfidence ?? 0 };
}

/** A filter as printed: every field present, types in the CLI spelling (`url`, `model-hash`, `prompt-pattern`). */
export function filterJson(filter: SubscriptionFilter | undefined): { types: string[]; categories: string[]; minConfidence: number } {
  return { types: (filter?.types ?? []).map(typeName), categories: [...(filter?.categories ?? [])], minConfidence: filter?.minConfidence ?? 0 };
}

export function subscriptionJson(subscription: Subscription | undefined): { filter: ReturnType<typeof filterJson>; updatedAt: string | null } | null {
  if (subscription === undefined) return null;
  return { filter: filterJson(subscription.filter), updatedAt: subscription.updatedAt?.toISOString() ?? null };
}
