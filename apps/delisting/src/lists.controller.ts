import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

import { Controller, Get, Header, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { entryToJson, manifestToJson, parseVersion, type PublishedKeys } from '@signal-mesh/delisting-domain';
import { SERVICE_RUNTIME } from '@signal-mesh/feature-service';
import type { Logger } from '@signal-mesh/util-logging';

import { apiKeyFrom } from './caller';
import type { DelistingApi } from './delisting-api';
import { DelistingError } from './errors';
import { acceptsGzip, etagMatches, SNAPSHOT_CONTENT_TYPES, snapshotFormat, snapshotText, withFirst } from './snapshot-stream';
import { inServerSpan } from './tracing';

/** The runtime as the controllers see it: the API once started (NOT_READY before). */
export interface DelistingApiSource {
  api(): DelistingApi;
  readonly logger: Logger;
}

type JsonResponse = ServerResponse & { status(code: number): { json(body: unknown): void } };

const headerOf =
  (req: IncomingMessage) =>
  (name: string): string | undefined => {
    const value = req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(',') : value;
  };

/** A single query parameter; repeated ones are refused rather than guessed at. */
function single(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new DelistingError('INVALID_REQUEST', `${name} must be given once`, name);
  return value;
}

function versionParam(value: unknown, name: string): number | undefined {
  const text = single(value, name);
  if (text === undefined) return undefined;
  try {
    return parseVersion(text, name);
  } catch {
    throw new DelistingError('INVALID_VERSION', `${name} must be a non-negative decimal integer`, name);
  }
}

/**
 * The delisting HTTP API (docs/delisting.md). Every /v1 route authenticates the caller's own key (`x-api-key` or
 * `Authorization: Bearer`) and has trust authorise PULL_DELISTING; errors are `{ error: { code, message } }`
 * (HttpErrorFilter), 410 for VERSION_EXPIRED.
 */
@Controller()
export class ListsController {
  constructor(@Inject(SERVICE_RUNTIME) private readonly runtime: DelistingApiSource) {}

  @Get('v1/lists')
  async lists(@Req() req: IncomingMessage, @Res() res: JsonResponse): Promise<void> {
    return inServerSpan('GET /v1/lists', req.headers, async () => {
      const api = this.runtime.api();
      const caller = await api.caller(apiKeyFrom(headerOf(req)));
      const lists = await api.lists(caller);
      res.status(200).json({
        lists: lists.map((l) => ({ listId: l.listId, description: l.description, version: l.version, entryCount: l.entryCount, oldestChangeVersion: l.changesFrom, ...(l.updatedAt ? { updatedAt: l.updatedAt.toISOString() } : {}) })),
      });
    });
  }

  /** The whole list at one version, streamed; ETag = the version, so If-None-Match answers 304 while unchanged. */
  @Get('v1/lists/:listId/snapshot')
  async snapshot(@Param('listId') listId: string, @Query('format') format: unknown, @Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return inServerSpan('GET /v1/lists/{listId}/snapshot', req.headers, async () => {
      const api = this.runtime.api();
      const caller = await api.caller(apiKeyFrom(headerOf(req)), listId);
      const kind = snapshotFormat(single(format, 'format'));
      const list = await api.list(caller, listId);
      const etag = `"${list.version}"`;
      res.setHeader('ETag', etag);
      res.setHeader('Cache-Control', 'no-cache');
      res.setHeader('Vary', 'Accept-Encoding');
      res.setHeader('X-List-Version', String(list.version));
      res.setHeader('X-Entry-Count', String(list.entryCount));
      if (etagMatches(headerOf(req)('if-none-match'), etag)) {
        res.statusCode = 304;
        res.end();
        return;
      }
      const pages = api.entries(caller, listId, list.version);
      // Read the first page before any byte is sent, so a failing store still gets a proper error status.
      const body = snapshotText(withFirst(await pages.next(), pages), kind);
      const gzip = acceptsGzip(headerOf(req)('accept-encoding'));
      res.setHeader('Content-Type', SNAPSHOT_CONTENT_TYPES[kind]);
      if (gzip) res.setHeader('Content-Encoding', 'gzip');
      res.statusCode = 200;
      try {
        await (gzip ? pipeline(body, createGzip(), res) : pipeline(body, res));
      } catch (err) {
        // Headers are gone: the connection is cut (pipeline destroyed it), the client sees a truncated body.
        if (res.writableFinished) return;
        this.runtime.logger.warn({ err, listId, version: list.version }, 'snapshot stream ended early');
      }
    });
  }

  @Get('v1/lists/:listId/changes')
  async changes(@Param('listId') listId: string, @Query('since') since: unknown, @Query('pageSize') pageSize: unknown, @Req() req: IncomingMessage, @Res() res: JsonResponse): Promise<void> {
    return inServerSpan('GET /v1/lists/{listId}/changes', req.headers, async () => {
      const api = this.runtime.api();
      const caller = await api.caller(apiKeyFrom(headerOf(req)), listId);
      const from = versionParam(since, 'since');
      if (from === undefined) throw new DelistingError('INVALID_REQUEST', 'since is required: the version the client holds (0 for none)', 'since');
      const size = versionParam(pageSize, 'pageSize');
      const page = await api.changes(caller, listId, from, size);
      res.status(200).json({ listId, currentVersion: page.currentVersion, hasMore: page.hasMore, changes: page.changes.map((c) => ({ version: c.version, kind: c.kind, entry: entryToJson(c.entry) })) });
    });
  }

  @Get('v1/lists/:listId/manifest')
  async manifest(@Param('listId') listId: string, @Query('version') version: unknown, @Req() req: IncomingMessage, @Res() res: JsonResponse): Promise<void> {
    return inServerSpan('GET /v1/lists/{listId}/manifest', req.headers, async () => {
      const api = this.runtime.api();
      const caller = await api.caller(apiKeyFrom(headerOf(req)), listId);
      const at = versionParam(version, 'version');
      res.status(200).json(manifestToJson(await api.manifest(caller, listId, at === 0 ? undefined : at)));
    });
  }

  /** Public keys only (no authentication): anyone holding a list must be able to verify it. */
  @Get('.well-known/signal-mesh/delisting-keys.json')
  @Header('Cache-Control', 'public, max-age=300')
  keys(): PublishedKeys {
    return this.runtime.api().publishedKeys();
  }
}
