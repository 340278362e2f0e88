import { context, SpanStatusCode } from '@opentelemetry/api';
import {
  type DisputeRequest,
  type DisputeResponse,
  type IngestServiceServer,
  type RevokeRequest,
  type RevokeResponse,
  type SubmitRequest,
  type SubmitResponse,
  type SubmitStreamRequest,
  type SubmitStreamResponse,
  TlpMarking,
  tlpMarkingToJSON,
} from '@signal-mesh/contracts';
import { GrpcStatus, Metadata, type ServiceError, serviceError } from '@signal-mesh/transport-grpc';
import type { Logger } from '@signal-mesh/util-logging';
import type { Carrier } from '@signal-mesh/util-otel';

import { apiKeyFrom } from './caller';
import { type Failure, IngestError, RejectedError, type Rejection, rejectionOf, toRejection } from './errors';
import type { IngestApi } from './ingest-api';
import type { Caller } from './ports';
import { draftFromProto, errorDetailOf, grpcField, resultToProto } from './proto-mapping';
import type { ItemInput, ItemOutcome } from './submit-contributions.usecase';
import { inServerSpan, startServerSpan } from './tracing';

const GRPC_STATUS: Record<Failure, GrpcStatus> = {
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
  PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  ALREADY_EXISTS: GrpcStatus.ALREADY_EXISTS,
  RESOURCE_EXHAUSTED: GrpcStatus.RESOURCE_EXHAUSTED,
  FAILED_PRECONDITION: GrpcStatus.FAILED_PRECONDITION,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  INTERNAL: GrpcStatus.INTERNAL,
};

/** Trailer with the seconds to wait, next to the ErrorDetail, when a call is rate limited. */
export const RETRY_AFTER_TRAILER = 'retry-after';

/** The one mapping from a rejection to a gRPC error: status, ErrorDetail trailer, retry-after trailer. */
export function grpcErrorOf(rejection: Rejection, field = grpcField(rejection.field)): ServiceError {
  const error = serviceError(GRPC_STATUS[rejection.failure], errorDetailOf(rejection, field));
  if (rejection.retryAfterSeconds !== undefined) error.metadata.set(RETRY_AFTER_TRAILER, String(rejection.retryAfterSeconds));
  return error;
}

function carrierOf(metadata: Metadata): Carrier {
  return metadata.getMap() as Carrier;
}

/** Where the caller's key is: `x-api-key` metadata, or `authorization: Bearer …`. */
function apiKeyOf(metadata: Metadata): string | undefined {
  return apiKeyFrom((name) => {
    const [value] = metadata.get(name);
    return typeof value === 'string' ? value : undefined;
  });
}

type CallOf<K extends 'submit' | 'revoke' | 'dispute'> = Parameters<IngestServiceServer[K]>[0];
type Reply<K extends 'submit' | 'revoke' | 'dispute'> = K extends 'submit' ? SubmitResponse : K extends 'revoke' ? RevokeResponse : DisputeResponse;

export interface IngestGrpcDeps {
  /** The API once the runtime started (throws NOT_READY before). */
  api(): IngestApi;
  logger: Logger;
}

/**
 * signalmesh.v1.IngestService. Each call authenticates the caller's own key from metadata; errors are mapped once
 * (grpcErrorOf): a coded ErrorDetail in the `signalmesh-error-bin` trailer, never a stack trace. SubmitStream answers
 * every item, in order, and is only failed as a whole when the caller cannot be authenticated.
 */
export function ingestGrpcService(deps: IngestGrpcDeps): IngestServiceServer {
  const logger = deps.logger.child({ component: 'ingest-grpc' });

  /** `fieldOf` turns a domain field path into the request's own (they differ per RPC). */
  function unary<K extends 'submit' | 'revoke' | 'dispute'>(rpc: K, fieldOf: (field: string | undefined) => string, handler: (caller: Caller, request: CallOf<K>['request']) => Promise<Reply<K>>) {
    return (call: CallOf<K>, callback: (err: ServiceError | null, res?: Reply<K>) => void): void => {
      inServerSpan(`signalmesh.v1.IngestService/${rpc[0].toUpperCase()}${rpc.slice(1)}`, carrierOf(call.metadata), async () => handler(await deps.api().caller(apiKeyOf(call.metadata)), call.request)).then(
          (res) => callback(null, res),
          (err: unknown) => {
            const rejection = rejectionOf(err);
            if (rejection.failure === 'INTERNAL') logger.error({ err, rpc }, 'call failed');
            else logger.info({ rpc, code: rejection.code }, 'call refused');
            callback(grpcErrorOf(rejection, fieldOf(rejection.field)));
          },
        );
    };
  }

  const submit = unary('submit', grpcField, async (caller, request: SubmitRequest) => {
    const item: ItemInput = { ...safeDraft(request.contribution), idempotencyKey: request.idempotencyKey };
    const [outcome] = await deps.api().submit.execute(caller, [item]);
    if (outcome.rejected) throw new RejectedError(outcome.rejected);
    return { result: resultToProto(outcome.accepted) };
  });

  const revoke = unary('revoke', (field) => field ?? '', async (caller, request: RevokeRequest) => {
    const revoked = await deps.api().revoke.execute(caller, { contributionId: request.contributionId, reason: request.reason });
    return { contributionId: revoked.contributionId, signalId: revoked.signalId, revokedAt: revoked.revokedAt };
  });

  const dispute = unary('dispute', disputeField, async (caller, request: DisputeRequest) => {
    const accepted = await deps.api().dispute.execute(caller, {
      signalId: request.signalId,
      reason: request.reason,
      marking: request.marking === TlpMarking.TLP_MARKING_UNSPECIFIED ? '' : tlpMarkingToJSON(request.marking),
      sharingGroupIds: request.sharingGroupIds,
      namedOrgIds: request.namedOrgIds,
      confidence: request.confidence,
      idempotencyKey: request.idempotencyKey || undefined,
    });
    return { contributionId: accepted.contributionId, signalId: accepted.signalId };
  });

  return { submit, submitStream: (call) => void submitStream(deps.api, call, logger), revoke, dispute } as IngestServiceServer;
}

/** A dispute's fields are top-level in DisputeRequest; its reason is the contribution's disputeReason. */
function disputeField(field: string | undefined): string {
  return field === 'disputeReason' ? 'reason' : (field ?? '');
}

function safeDraft(contribution: SubmitRequest['contribution']): Pick<ItemInput, 'draft' | 'error'> {
  try {
    return { draft: draftFromProto(contribution) };
  } catch (err) {
    return { error: err };
  }
}

type StreamCall = Parameters<IngestServiceServer['submitStream']>[0];

interface Pending {
  readonly index: number;
  readonly clientItemId: string;
  readonly item?: ItemInput;
  /** Set for items answered without the use case (past the item limit). */
  readonly rejection?: Rejection;
}

/** How long a partial chunk waits for more items before it is processed (interactive, one-at-a-time clients). */
const LINGER_MS = 20;

async function submitStream(apiOf: () => IngestApi, call: StreamCall, logger: Logger): Promise<void> {
  let api: IngestApi;
  let caller: Caller;
  // One span for the whole stream; the event handlers below run in its context, so every produce is its child.
  const { span, ctx } = startServerSpan('signalmesh.v1.IngestService/SubmitStream', carrierOf(call.metadata));
  let finished = false;
  const finish = () => {
    if (!finished) span.end();
    finished = true;
  };
  // Not reading until authenticated: an unauthenticated stream fails as a whole, before any item is looked at.
  call.pause();
  try {
    api = apiOf();
    caller = await context.with(ctx, () => api.caller(apiKeyOf(call.metadata)));
  } catch (err) {
    const rejection = rejectionOf(err);
    logger.info({ rpc: 'submitStream', code: rejection.code }, 'call refused');
    span.setStatus({ code: SpanStatusCode.ERROR, message: rejection.code });
    finish();
    call.emit('error', grpcErrorOf(rejection));
    return;
  }
  const { chunkItems, maxBatchItems } = api.limits;
  let buffered: Pending[] = [];
  let next = 0;
  let ended = false;
  let queued = 0;
  let cancelled = false;
  let failed = false;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();

  const write = async (response: SubmitStreamResponse): Promise<void> => {
    if (cancelled) return;
    if (!call.write(response)) await new Promise<void>((resolve) => call.once('drain', resolve));
  };

  const process = async (batch: Pending[]): Promise<void> => {
    const toSubmit = batch.filter((p) => p.item !== undefined);
    const outcomes: ItemOutcome[] = toSubmit.length > 0 ? await api.submit.execute(caller, toSubmit.map((p) => p.item as ItemInput)) : [];
    let k = 0;
    for (const pending of batch) {
      const outcome: ItemOutcome = pending.rejection ? { rejected: pending.rejection } : outcomes[k++];
      const base = { index: String(pending.index), clientItemId: pending.clientItemId };
      await write(outcome.accepted ? { ...base, outcome: { $case: 'accepted', value: resultToProto(outcome.accepted) } } : { ...base, outcome: { $case: 'rejected', value: errorDetailOf(outcome.rejected) } });
    }
  };

  const fail = (err: unknown) => {
    if (failed) return;
    failed = true;
    logger.error({ err, rpc: 'submitStream' }, 'stream failed');
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'INTERNAL' });
    finish();
    call.emit('error', grpcErrorOf(toRejection(err)));
  };

  /** Queues what is buffered as one chunk; reading pauses until every queued chunk is answered. */
  const flush = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    if (buffered.length === 0) return chain;
    const batch = buffered;
    buffered = [];
    queued++;
    call.pause();
    chain = chain
      .then(() => (failed || cancelled ? undefined : process(batch)))
      .then(() => {
        if (--queued === 0 && !ended) call.resume();
      });
    chain.catch(fail);
    return chain;
  };

  call.on('data', context.bind(ctx, (request: SubmitStreamRequest) => {
    const index = next++;
    const clientItemId = request.clientItemId;
    if (index >= maxBatchItems) {
      const rejection = toRejection(new IngestError('BATCH_TOO_LARGE', `at most ${maxBatchItems} items per stream; start a new stream for the rest`));
      buffered.push({ index, clientItemId, rejection });
    } else {
      buffered.push({ index, clientItemId, item: { ...safeDraft(request.contribution), idempotencyKey: request.idempotencyKey } });
    }
    if (buffered.length >= chunkItems) void flush();
    else timer ??= setTimeout(() => void flush(), LINGER_MS);
  }));
  call.on('end', context.bind(ctx, () => {
    ended = true;
    flush().then(() => {
      if (failed || cancelled) return;
      finish();
      call.end();
    }, fail);
  }));
  call.on('cancelled', () => {
    cancelled = true;
    clearTimeout(timer);
    finish();
  });
  call.on('error', (err: unknown) => {
    clearTimeout(timer);
    logger.debug({ err }, 'stream error');
  });
  call.resume();
}
