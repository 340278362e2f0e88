import { type IncomingHttpHeaders, type IncomingMessage,request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** A coded failure of `delisting pull`; `exitCode` is one of the DELISTING_EXIT_* codes. */
export class DelistingPullError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number,
    readonly extra: { status?: number; hint?: string } = {},
  ) {
    super(message);
    this.name = 'DelistingPullError';
  }
}

/** Exit codes of `signal-mesh delisting pull` (1 and 2 as for the feed commands). */
export const DELISTING_EXIT_OK = 0;
/** Usage, key, configuration, service unreachable, authentication / permission, local file unwritable. */
export const DELISTING_EXIT_FAILED = 1;
/** The service refused the request itself (400, 404, other 4xx). */
export const DELISTING_EXIT_REFUSED = 2;
/** Verification failed: a tampered local file or sidecar, a bad manifest signature, digest or count mismatch, an unpinned key. */
export const DELISTING_EXIT_VERIFY = 3;

/** One GET as the pull sees it: status, headers and the body as it came over the wire (not decompressed). */
export interface DelistingResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
}

/** The transport of `delisting pull`; tests wrap it to count requests and bytes. */
export type DelistingHttp = (url: URL, headers: Record<string, string>) => Promise<DelistingResponse>;

const TIMEOUT_MS = 30_000;

/**
 * GET over node:http(s) without automatic decompression (unlike fetch), so the pull can count the bytes that really
 * crossed the wire and decompress itself.
 */
export const nodeHttp: DelistingHttp = (url, headers) =>
  new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, { method: 'GET', headers, timeout: TIMEOUT_MS }, (res: IncomingMessage) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }));
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer from ${url.origin} within ${TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });

/** Counts what flows through (wire bytes). */
export class ByteCounter {
  bytes = 0;
  requests = 0;

  /** The body, counted as it is read. */
  count(body: Readable): Readable {
    const counted = new PassThrough();
    body.on('data', (chunk: Buffer) => {
      this.bytes += chunk.length;
    });
    body.on('error', (err) => counted.destroy(err));
    body.pipe(counted);
    return counted;
  }
}

/** The body decompressed when the server gzip-encoded it. */
export function decoded(res: DelistingResponse, body: Readable): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
  if (encoding === 'gzip' || encoding === 'x-gzip') {
    const gunzip = createGunzip();
    body.on('error', (err) => gunzip.destroy(err));
    return body.pipe(gunzip);
  }
  if (encoding !== '' && encoding !== 'identity') throw new DelistingPullError('UNSUPPORTED_ENCODING', `the service answered with Content-Encoding ${encoding.slice(0, 40)}`, DELISTING_EXIT_FAILED);
  return body;
}

const MAX_JSON_BYTES = 256 << 20;

export async function readText(body: Readable, limit = MAX_JSON_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += buffer.length;
    if (size > limit) throw new DelistingPullError('RESPONSE_TOO_LARGE', `a JSON response exceeded ${limit} bytes`, DELISTING_EXIT_FAILED);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The coded error of a non-2xx answer: the service's `{ error: { code, message, hint } }`, else HTTP_<status>. */
export async function responseError(res: DelistingResponse, body: Readable): Promise<DelistingPullError> {
  let code = `HTTP_${res.status}`;
  let message = `the delisting service answered ${res.status}`;
  let hint: string | undefined;
  try {
    const parsed = JSON.parse(await readText(body, 1 << 20)) as { error?: { code?: unknown; message?: unknown; hint?: unknown } };
    if (typeof parsed.error?.code === 'string') code = parsed.error.code;
    if (typeof parsed.error?.message === 'string') message = parsed.error.message;
    if (typeof parsed.error?.hint === 'string') hint = parsed.error.hint;
  } catch {
    // Not our JSON (a proxy's page): keep HTTP_<status>.
  }
  const exitCode = res.status === 401 || res.status === 403 || res.status >= 500 ? DELISTING_EXIT_FAILED : DELISTING_EXIT_REFUSED;
  return new DelistingPullError(code, message, exitCode, { status: res.status, ...(hint ? { hint } : {}) });
}
