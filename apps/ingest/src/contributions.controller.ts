import type { IncomingMessage } from 'node:http';

import { Controller, HttpStatus, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { SERVICE_RUNTIME } from '@signal-mesh/feature-service';
import { validateIdempotencyKey } from '@signal-mesh/signals-domain';

import { apiKeyFrom } from './caller';
import { IngestError, RejectedError } from './errors';
import { bodyKind, parseJson, readBody, utf8 } from './http-body';
import { errorBody } from './http-errors';
import type { IngestApi } from './ingest-api';
import { draftFromFlat, flatItemFromJson, itemsFromCsv, itemsFromJson } from './rest-items';
import type { Accepted } from './submit-contributions.usecase';
import { inServerSpan } from './tracing';

/** The runtime as the controllers see it: the API once started (NOT_READY before). */
export interface IngestApiSource {
  api(): IngestApi;
}

interface HttpResponse {
  setHeader(name: string, value: string): void;
  status(code: number): { json(body: unknown): void };
}

export interface RestResult {
  contributionId: string;
  signalId: string;
  type: string;
  canonicalValue: string;
  replayed: boolean;
}

export type BatchResult = { index: number; clientItemId?: string } & ({ status: 'accepted'; result: RestResult } | { status: 'rejected'; error: ReturnType<typeof errorBody>['error'] });

const restResult = (a: Accepted): RestResult => ({ contributionId: a.contributionId, signalId: a.signalId, type: a.type, canonicalValue: a.canonical, replayed: a.replayed });

const headerOf =
  (req: IncomingMessage) =>
  (name: string): string | undefined => {
    const value = req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(',') : value;
  };

/** Idempotency-Key header and body field: either, or both when equal. */
function idempotencyKeyOf(req: IncomingMessage, bodyKey: string | undefined): string | undefined {
  const headerKey = headerOf(req)('idempotency-key')?.trim() || undefined;
  if (headerKey && bodyKey && headerKey !== bodyKey) throw new IngestError('IDEMPOTENCY_KEY_MISMATCH', 'the Idempotency-Key header and the idempotencyKey field differ', 'idempotencyKey');
  return headerKey ?? bodyKey;
}

function onlyFields(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new IngestError('INVALID_REQUEST', 'the body is a JSON object');
  const unknown = Object.keys(body).find((k) => !allowed.includes(k));
  if (unknown !== undefined) throw new IngestError('UNKNOWN_FIELD', `unknown field "${unknown.slice(0, 64)}"`, unknown.slice(0, 64));
  return body as Record<string, unknown>;
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new IngestError('INVALID_FIELD', `${field} must be a string`, field);
  return value;
}

function stringList(body: Record<string, unknown>, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new IngestError('INVALID_FIELD', `${field} must be an array of strings`, field);
  return value as string[];
}

export const DISPUTE_FIELDS = ['reason', 'marking', 'sharingGroupIds', 'namedOrgIds', 'confidence', 'idempotencyKey'] as const;

/**
 * REST for contributors, next to gRPC and with the same rules: every route authenticates the caller's own key
 * (`x-api-key` or `Authorization: Bearer`) before reading the body; errors are `{ error: { code, message, field } }`
 * (HttpErrorFilter). Paths use Google's custom-method style (`…:batch`), hence the escaped colons.
 */
@Controller('v1')
export class ContributionsController {
  constructor(@Inject(SERVICE_RUNTIME) private readonly runtime: IngestApiSource) {}

  @Post('contributions')
  async submit(@Req() req: IncomingMessage, @Res() res: HttpResponse): Promise<void> {
    return inServerSpan('POST /v1/contributions', req.headers, async () => {
      const api = this.runtime.api();
      const caller = await api.caller(apiKeyFrom(headerOf(req)));
      bodyKind(req, ['json']);
      const flat = flatItemFromJson(parseJson(await readBody(req, api.limits.maxRequestBytes)));
      const idempotencyKey = idempotencyKeyOf(req, flat.idempotencyKey);
      const [outcome] = await api.submit.execute(caller, [{ draft: draftFromFlat(flat), idempotencyKey }]);
      if (outcome.rejected) throw new RejectedError(outcome.rejected);
      res.status(outcome.accepted.replayed ? HttpStatus.OK : HttpStatus.CREATED).json({ result: restResult(outcome.accepted) });
    });
  }

  @Post('contributions\\:batch')
  async batch(@Req() req: IncomingMessage, @Res() res: HttpResponse): Promise<void> {
    return inServerSpan('POST /v1/contributions:batch', req.headers, async () => {
      const api = this.runtime.api();
      const caller = await api.caller(apiKeyFrom(headerOf(req)));
      const kind = bodyKind(req, ['json', 'csv']);
      const rawKey = headerOf(req)('idempotency-key')?.trim();
      const batchKey = rawKey ? validateIdempotencyKey(rawKey) : undefined;
      const body = await readBody(req, api.limits.maxBatchBytes);
      const items = kind === 'json' ? itemsFromJson(parseJson(body), batchKey) : itemsFromCsv(utf8(body, 'MALFORMED_CSV'), batchKey);
      if (items.length === 0) throw new IngestError('INVALID_REQUEST', 'the batch has no items');
      if (items.length > api.limits.maxBatchItems) throw new IngestError('BATCH_TOO_LARGE', `at most ${api.limits.maxBatchItems} items per batch (got ${items.length}); split it`);

      const outcomes = await api.submit.execute(caller, items);
      // Nothing admitted at all: the whole request is rate limited (429), not a batch of refusals.
      const first = outcomes[0].rejected;
      if (first?.code === 'RATE_LIMITED' && outcomes.every((o) => o.rejected?.code === 'RATE_LIMITED')) throw new RejectedError(first);
      const retryAfter = Math.max(0, ...outcomes.map((o) => o.rejected?.retryAfterSeconds ?? 0));
      if (retryAfter > 0) res.setHeader('Retry-After', String(retryAfter));
      const results: BatchResult[] = outcomes.map((outcome, index) => {
        const clientItemId = items[index].clientItemId;
        const base = clientItemId === undefined ? { index } : { index, clientItemId };
        return outcome.accepted ? { ...base, status: 'accepted', result: restResult(outcome.accepted) } : { ...base, status: 'rejected', error: errorBody(outcome.rejected).error };
      });
      const accepted = results.filter((r) => r.status === 'accepted').length;
      res.status(HttpStatus.OK).json({ accepted, rejected: results.length - accepted, results });
    });
  }

  @Post('contributions/:contributionId\\:revoke')
  async revoke(@Param('contributionId') contributionId: string, @Req() req: IncomingMessage, @Res() res: HttpResponse): Promise<void> {
    return inServerSpan('POST /v1/contributions/{contributionId}:revoke', req.headers, async () => {
      const api = this.runtime.api();
      const caller = await api.caller(apiKeyFrom(headerOf(req)));
      const raw = await readBody(req, api.limits.maxRequestBytes);
      if (raw.length > 0) bodyKind(req, ['json']);
      const body = onlyFields(parseJson(raw, { optional: true }), ['reason']);
      const revoked = await api.revoke.execute(caller, { contributionId, reason: optionalString(body, 'reason') });
      res.status(HttpStatus.OK).json({ contributionId: revoked.contributionId, signalId: revoked.signalId, revokedAt: revoked.revokedAt.toISOString() });
    });
  }

  @Post('signals/:signalId\\:dispute')
  async dispute(@Param('signalId') signalId: string, @Req() req: IncomingMessage, @Res() res: HttpResponse): Promise<void> {
    return inServerSpan('POST /v1/signals/{signalId}:dispute', req.headers, async () => {
      const api = this.runtime.api();
      const caller = await api.caller(apiKeyFrom(headerOf(req)));
      bodyKind(req, ['json']);
      const body = onlyFields(parseJson(await readBody(req, api.limits.maxRequestBytes)), DISPUTE_FIELDS);
      const confidence = body['confidence'];
      if (typeof confidence !== 'number') throw new IngestError('INVALID_FIELD', 'confidence is required: an integer from 0 to 100', 'confidence');
      const accepted = await api.dispute.execute(caller, {
        signalId,
        reason: optionalString(body, 'reason') ?? '',
        marking: optionalString(body, 'marking') ?? '',
        sharingGroupIds: stringList(body, 'sharingGroupIds'),
        namedOrgIds: stringList(body, 'namedOrgIds'),
        confidence,
        idempotencyKey: idempotencyKeyOf(req, optionalString(body, 'idempotencyKey')),
      });
      res.status(accepted.replayed ? HttpStatus.OK : HttpStatus.CREATED).json({ result: restResult(accepted) });
    });
  }
}

