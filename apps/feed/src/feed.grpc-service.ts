import { once } from 'node:events';

import { context, type Link, trace } from '@opentelemetry/api';
import { type FeedServiceServer, type GetSubscriptionResponse, type LookupResponse, type SetSubscriptionResponse, type Subscription } from '@signal-mesh/contracts';
import type { StoredSubscription } from '@signal-mesh/feeds-data-access';
import { filterToProto } from '@signal-mesh/feeds-event-mapping';
import { Metadata, type ServiceError } from '@signal-mesh/transport-grpc';
import { abortable } from '@signal-mesh/transport-kafka';
import type { Logger } from '@signal-mesh/util-logging';

import { grpcErrorOf, type Rejection, toRejection } from './errors';
import type { Caller, FeedApi } from './feed-api';
import type { StreamRegistry } from './streams';
import { createFeedMetrics, deliver, type FeedMetrics } from './telemetry';

export interface FeedGrpcDeps {
  /** The API once the runtime started (throws NOT_READY before and while stopping). */
  api(): FeedApi;
  readonly streams: StreamRegistry;
  readonly keyRecheckMs: number;
  readonly logger: Logger;
  /** Default: instruments of the global MeterProvider. */
  readonly metrics?: FeedMetrics;
}

type SubscribeCall = Parameters<FeedServiceServer['subscribe']>[0];
type SnapshotCall = Parameters<FeedServiceServer['snapshot']>[0];
type StreamCall = SubscribeCall | SnapshotCall;

function apiKeyOf(metadata: Metadata): string | undefined {
  const [value] = metadata.get('x-api-key');
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function subscriptionToProto(stored: StoredSubscription): Subscription {
  return { filter: filterToProto(stored.filter), updatedAt: stored.updatedAt };
}

/**
 * signalmesh.v1.FeedService. Every call authenticates the caller's own key (x-api-key) through the trust service and
 * acts on the caller's organisation only; errors are mapped once (grpcErrorOf), never a stack trace. Streams write
 * one message at a time and wait for 'drain' when the transport buffer is full, so nothing is buffered without bound.
 */
export function feedGrpcService(deps: FeedGrpcDeps): FeedServiceServer {
  const logger = deps.logger.child({ component: 'feed-grpc' });
  const metrics = deps.metrics ?? createFeedMetrics();

  const refused = (rpc: string, err: unknown): ServiceError => {
    const rejection = toRejection(err);
    if (rejection.failure === 'INTERNAL') logger.error({ err, rpc }, 'call failed');
    else logger.info({ rpc, code: rejection.code }, 'call refused');
    return grpcErrorOf(rejection);
  };

  function unary<Req, Res>(rpc: string, action: 'SUBSCRIBE' | 'LOOKUP', handler: (caller: Caller, request: Req) => Promise<Res>) {
    return (call: { metadata: Metadata; request: Req }, callback: (err: ServiceError | null, res?: Res) => void): void => {
      (async () => handler(await deps.api().caller(apiKeyOf(call.metadata), action), call.request))().then(
        (res) => callback(null, res),
        (err: unknown) => callback(refused(rpc, err)),
      );
    };
  }

  /**
   * The frame of both streaming RPCs: registration (limit, shutdown), cancellation, the end with a coded error or
   * success, and a write that waits for 'drain'. `body` runs until it returns or `signal` aborts.
   */
  async function stream(rpc: string, call: StreamCall, body: (ctx: { signal: AbortSignal; write: (message: object) => Promise<void>; fail: (rejection: Rejection) => void }) => Promise<void>): Promise<void> {
    const controller = new AbortController();
    let finished = false;
    const finish = (error?: ServiceError) => {
      if (finished) return;
      finished = true;
      controller.abort(new Error('stream ended'));
      if (error) call.emit('error', error);
      else call.end();
    };
    const fail = (rejection: Rejection) => {
      logger.info({ rpc, code: rejection.code }, 'stream ended');
      finish(grpcErrorOf(rejection));
    };
    call.on('cancelled', () => {
      finished = true;
      controller.abort(new Error('cancelled by the client'));
    });
    call.on('error', (err: unknown) => logger.debug({ err, rpc }, 'stream error'));
    let release: (() => void) | undefined;
    try {
      release = deps.streams.add({ end: fail });
      const write = async (message: object): Promise<void> => {
        if (controller.signal.aborted) throw controller.signal.reason as Error;
        // Backpressure: the next message is taken only once the transport took this one.
        if (!(call as { write(m: object): boolean }).write(message)) await once(call, 'drain', { signal: controller.signal });
      };
      await body({ signal: controller.signal, write, fail });
      finish();
    } catch (err) {
      if (!controller.signal.aborted) finish(refused(rpc, err));
    } finally {
      release?.();
    }
  }

  const subscribe = (call: SubscribeCall): void =>
    void stream('subscribe', call, async ({ signal, write, fail }) => {
      const api = deps.api();
      const caller = await api.caller(apiKeyOf(call.metadata), 'SUBSCRIBE');
      const orgId = caller.principal.orgId;
      const filter = await api.filterFor(orgId, call.request.filter);
      const { follower, partition } = await api.follow(caller, call.request.cursor);
      logger.info({ orgId, partition, from: follower.position.toString(), keyId: caller.principal.keyId }, 'subscription opened');
      metrics.subscribers.add(1);
      // Each delivery's span belongs to its event's trace; the stream's own span (gRPC instrumentation) is a link.
      const streamSpan = trace.getSpanContext(context.active());
      const links: Link[] = streamSpan ? [{ context: streamSpan }] : [];
      // The key is re-checked for as long as the stream is open (trust answers are cached ≤ 1 s).
      let checking = false;
      const timer = setInterval(() => {
        if (checking) return;
        checking = true;
        api
          .recheck(caller)
          .catch((err: unknown) => fail(toRejection(err)))
          .finally(() => {
            checking = false;
          });
      }, deps.keyRecheckMs);
      try {
        for (;;) {
          const record = await follower.next(signal);
          const event = api.eventFor(record, orgId, filter);
          if (event) await deliver(metrics, record, event, links, () => write({ event }));
        }
      } finally {
        metrics.subscribers.add(-1);
        clearInterval(timer);
        await follower.close();
        logger.info({ orgId, partition, position: follower.position.toString() }, 'subscription closed');
      }
    });

  const snapshot = (call: SnapshotCall): void =>
    void stream('snapshot', call, async ({ signal, write }) => {
      const api = deps.api();
      const caller = await api.caller(apiKeyOf(call.metadata), 'SUBSCRIBE');
      const filter = await api.filterFor(caller.principal.orgId, call.request.filter);
      const views = api.snapshot(caller, filter);
      try {
        for (;;) {
          const next = await abortable(views.next(), signal);
          if (next.done) {
            await write({ item: { $case: 'end', value: { cursor: next.value.cursor, signalCount: String(next.value.signalCount) } } });
            logger.info({ orgId: caller.principal.orgId, signalCount: next.value.signalCount }, 'snapshot sent');
            return;
          }
          await write({ item: { $case: 'view', value: next.value } });
        }
      } finally {
        // A cancelled snapshot stops reading MongoDB at its current page.
        void views.return({ cursor: '', signalCount: 0 }).catch(() => undefined);
      }
    });

  const lookup = unary('lookup', 'LOOKUP', async (caller, request: Parameters<FeedServiceServer['lookup']>[0]['request']): Promise<LookupResponse> => ({ view: await deps.api().lookup(caller, request.signal) }));
  const getSubscription = unary('getSubscription', 'SUBSCRIBE', async (caller): Promise<GetSubscriptionResponse> => ({ subscription: subscriptionToProto(await deps.api().getSubscription(caller)) }));
  const setSubscription = unary('setSubscription', 'SUBSCRIBE', async (caller, request: Parameters<FeedServiceServer['setSubscription']>[0]['request']): Promise<SetSubscriptionResponse> => ({
    subscription: subscriptionToProto(await deps.api().setSubscription(caller, request.filter)),
  }));

  return { subscribe, snapshot, lookup, getSubscription, setSubscription } as FeedServiceServer;
}
