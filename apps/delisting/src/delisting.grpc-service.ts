import { DelistChangeKind, type DelistingServiceServer, type GetChangesResponse, type GetManifestResponse, type GetSnapshotResponse, type ListListsResponse } from '@signal-mesh/contracts';
import { parseVersion } from '@signal-mesh/delisting-domain';
import { GrpcStatus, Metadata, type ServiceError, serviceError } from '@signal-mesh/transport-grpc';
import type { Logger } from '@signal-mesh/util-logging';
import type { Carrier } from '@signal-mesh/util-otel';

import { apiKeyFrom } from './caller';
import type { DelistingApi, ListCaller } from './delisting-api';
import { type Failure, type Rejection, toRejection } from './errors';
import { inServerSpan } from './tracing';
import { entryToProto } from './view-mapping';

const GRPC_STATUS: Record<Failure, GrpcStatus> = {
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
  PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  FAILED_PRECONDITION: GrpcStatus.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: GrpcStatus.RESOURCE_EXHAUSTED,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  INTERNAL: GrpcStatus.INTERNAL,
};

/** The one mapping from a rejection to a gRPC error: status plus the coded ErrorDetail trailer. */
export function grpcErrorOf(rejection: Rejection): ServiceError {
  return serviceError(GRPC_STATUS[rejection.failure], { code: rejection.code, message: rejection.message, field: rejection.field ?? '' });
}

const apiKeyOf = (metadata: Metadata): string | undefined =>
  apiKeyFrom((name) => {
    const [value] = metadata.get(name);
    return typeof value === 'string' ? value : undefined;
  });

const carrierOf = (metadata: Metadata): Carrier => metadata.getMap() as Carrier;

export interface DelistingGrpcDeps {
  /** The API once the runtime started (throws NOT_READY before). */
  api(): DelistingApi;
  logger: Logger;
}

type UnaryCall<Req> = { request: Req; metadata: Metadata };

/**
 * signalmesh.v1.DelistingService, the twin of the HTTP API: the same authentication and authorisation per call
 * (`x-api-key` metadata), the same codes, mapped once (grpcErrorOf). GetSnapshot streams chunks of the page size,
 * all at one version, waiting for the client when the stream's buffer is full.
 */
export function delistingGrpcService(deps: DelistingGrpcDeps): DelistingServiceServer {
  const logger = deps.logger.child({ component: 'delisting-grpc' });

  const refused = (rpc: string, err: unknown): ServiceError => {
    const rejection = toRejection(err);
    if (rejection.failure === 'INTERNAL') logger.error({ err, rpc }, 'call failed');
    else logger.info({ rpc, code: rejection.code }, 'call refused');
    return grpcErrorOf(rejection);
  };

  function unary<Req, Res>(rpc: string, listIdOf: (req: Req) => string | undefined, handler: (api: DelistingApi, caller: ListCaller, request: Req) => Promise<Res>) {
    return (call: UnaryCall<Req>, callback: (err: ServiceError | null, res?: Res) => void): void => {
      inServerSpan(`signalmesh.v1.DelistingService/${rpc}`, carrierOf(call.metadata), async () => {
        const api = deps.api();
        return handler(api, await api.caller(apiKeyOf(call.metadata), listIdOf(call.request)), call.request);
      }).then(
        (res) => callback(null, res),
        (err: unknown) => callback(refused(rpc, err)),
      );
    };
  }

  const listLists = unary('ListLists', () => undefined, async (api, caller): Promise<ListListsResponse> => ({
    lists: (await api.lists(caller)).map((l) => ({ listId: l.listId, description: l.description, version: String(l.version), entryCount: String(l.entryCount), updatedAt: l.updatedAt })),
  }));

  const getChanges = unary(
    'GetChanges',
    (req: { listId: string }) => req.listId,
    async (api, caller, request: { listId: string; sinceVersion: string; pageSize: number }): Promise<GetChangesResponse> => {
      const page = await api.changes(caller, request.listId, parseVersion(request.sinceVersion || '0', 'since_version'), request.pageSize);
      return {
        changes: page.changes.map((c) => ({ version: String(c.version), kind: c.kind === 'ADD' ? DelistChangeKind.DELIST_CHANGE_KIND_ADD : DelistChangeKind.DELIST_CHANGE_KIND_REMOVE, entry: entryToProto(c.entry) })),
        currentVersion: String(page.currentVersion),
        hasMore: page.hasMore,
      };
    },
  );

  const getManifest = unary(
    'GetManifest',
    (req: { listId: string }) => req.listId,
    async (api, caller, request: { listId: string; version: string }): Promise<GetManifestResponse> => {
      const version = parseVersion(request.version || '0', 'version');
      const m = await api.manifest(caller, request.listId, version === 0 ? undefined : version);
      return { manifest: { listId: m.listId, version: String(m.version), entryCount: String(m.entryCount), snapshotSha256: m.snapshotSha256, keyId: m.keyId, signature: Buffer.from(m.signature), createdAt: m.createdAt } };
    },
  );

  const getSnapshot: DelistingServiceServer['getSnapshot'] = (call) => {
    let cancelled = false;
    call.on('cancelled', () => {
      cancelled = true;
    });
    const write = async (chunk: GetSnapshotResponse): Promise<void> => {
      if (!call.write(chunk)) await new Promise<void>((resolve) => call.once('drain', resolve));
    };
    inServerSpan('signalmesh.v1.DelistingService/GetSnapshot', carrierOf(call.metadata), async () => {
      const api = deps.api();
      const caller = await api.caller(apiKeyOf(call.metadata), call.request.listId);
      const list = await api.list(caller, call.request.listId);
      const version = String(list.version);
      let sent = 0;
      for await (const page of api.entries(caller, call.request.listId, list.version)) {
        if (cancelled) return;
        await write({ version, entries: page.map(entryToProto) });
        sent += 1;
      }
      // An empty list still tells the client its version.
      if (sent === 0 && !cancelled) await write({ version, entries: [] });
    }).then(
      () => {
        if (!cancelled) call.end();
      },
      (err: unknown) => {
        if (!cancelled) call.emit('error', refused('GetSnapshot', err));
      },
    );
  };

  return { listLists, getSnapshot, getChanges, getManifest } as DelistingServiceServer;
}
