import { createHash, type KeyObject, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

import {
  applyChanges,
  canonicalLine,
  changeFromJson,
  type DelistChange,
  type DelistEntry,
  isDelistingDomainError,
  keyIdOf,
  keysFromPublished,
  localListFromSnapshot,
  type Manifest,
  manifestFromJson,
  type ManifestJson,
  manifestToJson,
  parseVersion,
  publicKeyFromPem,
  type PublishedKey,
  publishedKey,
  verifyManifestSignature,
} from '@signal-mesh/delisting-domain';

import { ByteCounter, decoded, DELISTING_EXIT_FAILED, DELISTING_EXIT_VERIFY, type DelistingHttp, DelistingPullError, type DelistingResponse, nodeHttp, readText, responseError } from './delisting-http';

/** The sidecar `<file>.state.json`: what the local file is, and the key it was verified with. */
export interface PullState {
  format: typeof STATE_FORMAT;
  listId: string;
  version: number;
  etag: string;
  keyId: string;
  /** The key pinned on first use (absent when the caller passes --public-key). */
  publicKey?: PublishedKey;
  /** The signed manifest of `version`: lets every run re-verify the local file without a request. */
  manifest: ManifestJson;
}

const STATE_FORMAT = 'signal-mesh.delisting.pull.v1';

export interface PullTarget {
  /** e.g. http://127.0.0.1:8066 */
  baseUrl: string;
  apiKey: string;
}

export interface PullOptions {
  listId: string;
  out: string;
  /** A PEM public key to verify with instead of the published (pinned) one. */
  publicKeyPem?: string;
  forceSnapshot?: boolean;
  /** Accept (and pin) a signing key other than the pinned one, from the published key set. */
  trustNewKey?: boolean;
  /** Changes per request (the service's default when unset). */
  pageSize?: number;
}

export interface PullSummary {
  listId: string;
  out: string;
  status: 'snapshot' | 'updated' | 'up-to-date';
  fromVersion: number | null;
  toVersion: number;
  added: number;
  removed: number;
  updated: number;
  entryCount: number;
  requests: number;
  /** Response body bytes as they crossed the wire (compressed when the service gzipped them). */
  bytesTransferred: number;
  /** Why a snapshot was taken although a local copy existed. */
  fallback?: 'VERSION_EXPIRED' | 'VERSION_GAP' | 'FORCED';
}

export const statePath = (out: string): string => `${out}.state.json`;

const VERIFY_CODES = new Set(['BAD_SIGNATURE', 'UNKNOWN_KEY', 'DIGEST_MISMATCH', 'COUNT_MISMATCH', 'LIST_MISMATCH', 'INVALID_MANIFEST', 'INVALID_KEY', 'INVALID_ENTRY', 'INVALID_LINE', 'UNSORTED_SNAPSHOT']);

/** Domain verification failures keep their code and exit 3; anything else passes through. */
function asPullError(err: unknown): unknown {
  if (isDelistingDomainError(err) && VERIFY_CODES.has(err.code)) return new DelistingPullError(err.code, err.message, DELISTING_EXIT_VERIFY);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') {
    return new DelistingPullError('DELISTING_UNAVAILABLE', `the delisting service cannot be reached (${code})`, DELISTING_EXIT_FAILED);
  }
  return err;
}

/**
 * `signal-mesh delisting pull`: keeps `out` equal to the list's canonical NDJSON snapshot at its latest version.
 * First run: snapshot + manifest, verified, then renamed into place. Later runs: one `changes?since=V` request when
 * nothing is new, else all change pages + the new version's manifest, merged into a new file that is verified before
 * it replaces the old one. Every run first re-verifies the local file against the signed manifest kept in the sidecar.
 */
export async function pullList(target: PullTarget, options: PullOptions, http: DelistingHttp = nodeHttp, notice: (message: string) => void = () => undefined): Promise<PullSummary> {
  try {
    return await new Pull(target, options, http, notice).run();
  } catch (err) {
    throw asPullError(err);
  }
}

class Pull {
  private readonly counter = new ByteCounter();
  private publishedKeys: Map<string, KeyObject> | undefined;

  constructor(
    private readonly target: PullTarget,
    private readonly options: PullOptions,
    private readonly http: DelistingHttp,
    private readonly notice: (message: string) => void,
  ) {}

  async run(): Promise<PullSummary> {
    if (this.options.forceSnapshot) return this.forcedSnapshot();
    const state = await this.readState();
    if (state === undefined) return this.snapshot(undefined);
    await this.verifyLocal(state);
    return this.changes(state);
  }

  /** --force-snapshot: what repairs a tampered copy, so a broken sidecar is ignored (and its key re-pinned). */
  private async forcedSnapshot(): Promise<PullSummary> {
    let state: PullState | undefined;
    try {
      state = await this.readState();
    } catch (err) {
      if (!(err instanceof DelistingPullError && err.code === 'LOCAL_STATE_TAMPERED')) throw err;
    }
    if (state?.publicKey !== undefined) {
      try {
        pinnedKeys(state);
      } catch {
        this.notice('the pinned key in the state file is unreadable: pinning the published key again');
        state = { ...state, publicKey: undefined };
      }
    }
    return this.snapshot(state, 'FORCED', false);
  }

  // ---- local state ----

  private async readState(): Promise<PullState | undefined> {
    let text: string;
    try {
      text = await readFile(statePath(this.options.out), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new DelistingPullError('STATE_UNREADABLE', `cannot read ${statePath(this.options.out)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, DELISTING_EXIT_FAILED);
    }
    // A list file without its sidecar cannot be trusted, nor can a missing list file be updated: start over.
    if (!(await exists(this.options.out))) {
      this.notice(`${this.options.out} is missing: taking a snapshot`);
      return undefined;
    }
    let state: PullState;
    try {
      state = JSON.parse(text) as PullState;
    } catch {
      throw tampered('LOCAL_STATE_TAMPERED', `${statePath(this.options.out)} is not valid JSON`);
    }
    if (state?.format !== STATE_FORMAT || typeof state.listId !== 'string' || typeof state.version !== 'number' || typeof state.manifest !== 'object' || state.manifest === null) {
      throw tampered('LOCAL_STATE_TAMPERED', `${statePath(this.options.out)} is not a delisting pull state file`);
    }
    if (state.listId !== this.options.listId) {
      throw new DelistingPullError('STATE_MISMATCH', `${this.options.out} holds list ${state.listId.slice(0, 64)}, not ${this.options.listId}`, DELISTING_EXIT_FAILED, { hint: 'use another --out file' });
    }
    return state;
  }

  /** The local file must still be exactly what the signed manifest of its recorded version covers. */
  private async verifyLocal(state: PullState): Promise<void> {
    let manifest: Manifest;
    let keys: Map<string, KeyObject>;
    try {
      manifest = manifestFromJson(state.manifest);
      keys = this.options.publicKeyPem === undefined ? pinnedKeys(state) : this.explicitKeys();
      verifyManifestSignature(manifest, keys);
    } catch (err) {
      if (err instanceof DelistingPullError) throw err;
      throw tampered('LOCAL_STATE_TAMPERED', `the manifest recorded in ${statePath(this.options.out)} does not verify (${isDelistingDomainError(err) ? err.code : 'invalid'})`);
    }
    if (manifest.listId !== state.listId || manifest.version !== state.version || manifest.keyId !== state.keyId) {
      throw tampered('LOCAL_STATE_TAMPERED', `${statePath(this.options.out)} records version ${state.version}, its manifest is for version ${manifest.version}`);
    }
    const digest = await fileDigest(this.options.out);
    if (digest.sha256 !== manifest.snapshotSha256 || digest.entryCount !== manifest.entryCount) {
      throw tampered('LOCAL_LIST_TAMPERED', `${this.options.out} no longer matches the signed manifest of version ${state.version} (${digest.entryCount} lines, manifest ${manifest.entryCount}; digest ${digest.sha256 === manifest.snapshotSha256 ? 'equal' : 'differs'})`);
    }
  }

  // ---- changes ----

  private async changes(state: PullState): Promise<PullSummary> {
    const collected: DelistChange[] = [];
    let since = state.version;
    for (;;) {
      const page = await this.get(`changes?since=${since}${this.options.pageSize === undefined ? '' : `&pageSize=${this.options.pageSize}`}`, 'application/json');
      if (page.res.status === 410) {
        const error = await responseError(page.res, page.body);
        this.notice(`the change log no longer reaches version ${state.version} (${error.code}): taking a snapshot`);
        return this.snapshot(state, 'VERSION_EXPIRED');
      }
      const body = await this.json<{ currentVersion?: unknown; hasMore?: unknown; changes?: unknown }>(page);
      if (!Array.isArray(body.changes) || typeof body.hasMore !== 'boolean') throw new DelistingPullError('INVALID_RESPONSE', 'the changes response lacks changes or hasMore', DELISTING_EXIT_FAILED);
      const changes = body.changes.map(changeFromJson);
      collected.push(...changes);
      const last = changes.at(-1);
      if (!body.hasMore || last === undefined) break;
      since = last.version;
    }
    if (collected.length === 0) {
      return this.summary(state, { status: 'up-to-date', toVersion: state.version, added: 0, removed: 0, updated: 0, entryCount: state.manifest.entryCount });
    }
    // The domain applies the changes (version order, gaps) to the touched entries only; the file is merged below.
    let touched;
    try {
      touched = applyChanges(localListFromSnapshot(state.listId, state.version, []), collected);
    } catch (err) {
      if (isDelistingDomainError(err) && err.code === 'VERSION_GAP') {
        this.notice(`${err.message}: taking a snapshot`);
        return this.snapshot(state, 'VERSION_GAP');
      }
      throw err;
    }
    const net = new Map<string, DelistEntry | undefined>();
    for (const change of collected) net.set(change.entry.signalId, touched.entries.get(change.entry.signalId));
    const manifest = await this.manifest(touched.version);
    const keys = await this.keysFor(manifest, state);
    verifyManifestSignature(manifest, keys);
    const temp = tempPath(this.options.out);
    try {
      const merged = await mergeFile(this.options.out, net, temp);
      checkDigest(merged, manifest);
      await this.commit(temp, manifest, keys);
      return this.summary(state, { status: 'updated', toVersion: manifest.version, added: merged.added, removed: merged.removed, updated: merged.updated, entryCount: merged.entryCount });
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  // ---- snapshot ----

  /** `previousVerified`: the local file was verified, so the summary can count what changed against it. */
  private async snapshot(previous: PullState | undefined, fallback?: PullSummary['fallback'], previousVerified = true): Promise<PullSummary> {
    const { res, body } = await this.get('snapshot?format=ndjson', 'application/x-ndjson', { 'accept-encoding': 'gzip' });
    if (res.status !== 200) throw await responseError(res, body);
    const version = versionOf(res);
    const temp = tempPath(this.options.out);
    try {
      await mkdir(dirname(this.options.out), { recursive: true });
      const digest = await writeHashed(decoded(res, body), temp);
      const manifest = await this.manifest(version);
      const keys = await this.keysFor(manifest, previous);
      verifyManifestSignature(manifest, keys);
      checkDigest(digest, manifest);
      const diff = previous === undefined || !previousVerified ? { added: digest.entryCount, removed: 0 } : await diffIds(this.options.out, temp);
      await this.commit(temp, manifest, keys);
      return this.summary(previous, { status: 'snapshot', toVersion: version, added: diff.added, removed: diff.removed, updated: 0, entryCount: digest.entryCount, ...(fallback ? { fallback } : {}) });
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  // ---- keys ----

  private explicitKeys(): Map<string, KeyObject> {
    const key = publicKeyFromPem(this.options.publicKeyPem ?? '');
    return new Map([[keyIdOf(key), key]]);
  }

  /**
   * --public-key when given; else the key pinned on first use; else (first use) the published key set, whose key that
   * signed this manifest gets pinned. A manifest signed by another key than the pinned one is refused unless
   * --trust-new-key: a silently accepted new key would defeat the pin.
   */
  private async keysFor(manifest: Manifest, state: PullState | undefined): Promise<Map<string, KeyObject>> {
    if (this.options.publicKeyPem !== undefined) return this.explicitKeys();
    if (state?.publicKey !== undefined && !this.options.trustNewKey) {
      const pinned = pinnedKeys(state);
      if (!pinned.has(manifest.keyId)) {
        throw new DelistingPullError('SIGNING_KEY_CHANGED', `the manifest is signed by key ${manifest.keyId.slice(0, 64)}, not by the pinned key ${state.keyId.slice(0, 64)}`, DELISTING_EXIT_VERIFY, {
          hint: 'check the new key out of band, then rerun with --trust-new-key (or --public-key <file>)',
        });
      }
      return pinned;
    }
    this.publishedKeys ??= keysFromPublished(await this.json(await this.get('/.well-known/signal-mesh/delisting-keys.json', 'application/json', {}, false)));
    return this.publishedKeys;
  }

  // ---- writing ----

  /** Renames the verified file into place, then writes the sidecar (also via rename: never half-written). */
  private async commit(temp: string, manifest: Manifest, keys: Map<string, KeyObject>): Promise<void> {
    const key = keys.get(manifest.keyId);
    const state: PullState = {
      format: STATE_FORMAT,
      listId: manifest.listId,
      version: manifest.version,
      etag: `"${manifest.version}"`,
      keyId: manifest.keyId,
      ...(this.options.publicKeyPem === undefined && key ? { publicKey: publishedKey(key) } : {}),
      manifest: manifestToJson(manifest),
    };
    const stateTemp = tempPath(statePath(this.options.out));
    await writeWhole(stateTemp, `${JSON.stringify(state, null, 2)}\n`);
    await rename(temp, this.options.out);
    await rename(stateTemp, statePath(this.options.out));
  }

  private summary(previous: PullState | undefined, result: Pick<PullSummary, 'status' | 'toVersion' | 'added' | 'removed' | 'updated' | 'entryCount' | 'fallback'>): PullSummary {
    return {
      listId: this.options.listId,
      out: this.options.out,
      fromVersion: previous?.version ?? null,
      ...result,
      requests: this.counter.requests,
      bytesTransferred: this.counter.bytes,
    };
  }

  // ---- HTTP ----

  private url(path: string): URL {
    const base = this.target.baseUrl.endsWith('/') ? this.target.baseUrl : `${this.target.baseUrl}/`;
    if (path.startsWith('/')) return new URL(path.slice(1), base);
    return new URL(`v1/lists/${encodeURIComponent(this.options.listId)}/${path}`, base);
  }

  private async get(path: string, accept: string, headers: Record<string, string> = {}, authenticated = true): Promise<{ res: DelistingResponse; body: Readable }> {
    this.counter.requests += 1;
    const res = await this.http(this.url(path), { accept, ...(authenticated ? { 'x-api-key': this.target.apiKey } : {}), ...headers });
    return { res, body: this.counter.count(res.body) };
  }

  private async json<T = unknown>({ res, body }: { res: DelistingResponse; body: Readable }): Promise<T> {
    if (res.status !== 200) throw await responseError(res, body);
    const text = await readText(decoded(res, body));
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new DelistingPullError('INVALID_RESPONSE', 'the delisting service answered with invalid JSON', DELISTING_EXIT_FAILED);
    }
  }

  private async manifest(version: number): Promise<Manifest> {
    const manifest = manifestFromJson(await this.json(await this.get(`manifest?version=${version}`, 'application/json')));
    // `version=0` means "current": a list still at 0 may have moved on meanwhile.
    if (manifest.listId !== this.options.listId || manifest.version !== version) {
      throw new DelistingPullError('LIST_MISMATCH', `asked for the manifest of ${this.options.listId} v${version}, got ${manifest.listId.slice(0, 64)} v${manifest.version}`, DELISTING_EXIT_VERIFY, {
        hint: 'run pull again',
      });
    }
    return manifest;
  }
}

function tampered(code: string, message: string): DelistingPullError {
  return new DelistingPullError(code, message, DELISTING_EXIT_VERIFY, { hint: 'the local copy cannot be trusted: rerun with --force-snapshot to replace it' });
}

function pinnedKeys(state: PullState): Map<string, KeyObject> {
  if (state.publicKey === undefined) throw new DelistingPullError('LOCAL_STATE_TAMPERED', 'the state file pins no key (it was written with --public-key): pass --public-key again', DELISTING_EXIT_VERIFY);
  return keysFromPublished({ keys: [state.publicKey] });
}

function versionOf(res: DelistingResponse): number {
  const etag = String(res.headers['etag'] ?? '');
  const match = /^"(\d{1,16})"$/.exec(etag);
  const text = match?.[1] ?? String(res.headers['x-list-version'] ?? '');
  try {
    return parseVersion(text, 'snapshot version');
  } catch {
    throw new DelistingPullError('INVALID_RESPONSE', 'the snapshot response carries no version (ETag / X-List-Version)', DELISTING_EXIT_FAILED);
  }
}

function checkDigest(actual: { sha256: string; entryCount: number }, manifest: Manifest): void {
  if (actual.entryCount !== manifest.entryCount) throw new DelistingPullError('COUNT_MISMATCH', `the list has ${actual.entryCount} entries, the signed manifest says ${manifest.entryCount}`, DELISTING_EXIT_VERIFY);
  if (actual.sha256 !== manifest.snapshotSha256) throw new DelistingPullError('DIGEST_MISMATCH', 'the list digest differs from the signed manifest', DELISTING_EXIT_VERIFY);
}

const tempPath = (path: string): string => `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;

async function exists(path: string): Promise<boolean> {
  try {
    await (await open(path, 'r')).close();
    return true;
  } catch {
    return false;
  }
}

async function writeWhole(path: string, text: string): Promise<void> {
  const handle = await open(path, 'w', 0o644);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** SHA-256 and line count, as digestOfBytes computes them, over a stream (the file is never held whole). */
class StreamDigest {
  private readonly hash = createHash('sha256');
  entryCount = 0;

  add(chunk: Buffer): void {
    this.hash.update(chunk);
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) this.entryCount += 1;
  }

  digest(): { sha256: string; entryCount: number } {
    return { sha256: this.hash.digest('hex'), entryCount: this.entryCount };
  }
}

async function fileDigest(path: string): Promise<{ sha256: string; entryCount: number }> {
  const digest = new StreamDigest();
  for await (const chunk of createReadStream(path)) digest.add(chunk as Buffer);
  return digest.digest();
}

/** Writes a stream to `path` while hashing it. */
async function writeHashed(body: Readable, path: string): Promise<{ sha256: string; entryCount: number }> {
  const digest = new StreamDigest();
  const handle = await open(path, 'w', 0o644);
  try {
    for await (const chunk of body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      digest.add(buffer);
      await handle.write(buffer);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return digest.digest();
}

/** Buffered writes through one file handle, hashed as they go. */
class HashedWriter {
  private readonly digest = new StreamDigest();
  private pending: string[] = [];
  private size = 0;

  constructor(private readonly handle: FileHandle) {}

  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.size += text.length;
    if (this.size >= 1 << 16) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const buffer = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.size = 0;
    this.digest.add(buffer);
    await this.handle.write(buffer);
  }

  result(): { sha256: string; entryCount: number } {
    return this.digest.digest();
  }
}

const LINE_PREFIX = '{"signal_id":"';

/** The signal id of a canonical line (the file was verified against a signed digest, so its lines are canonical). */
function idOfLine(line: string): string {
  if (!line.startsWith(LINE_PREFIX)) throw new DelistingPullError('LOCAL_LIST_TAMPERED', 'a local line is not canonical', DELISTING_EXIT_VERIFY);
  const end = line.indexOf('"', LINE_PREFIX.length);
  return line.slice(LINE_PREFIX.length, end);
}

async function* linesOf(path: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) yield line;
}

interface Merged {
  sha256: string;
  entryCount: number;
  added: number;
  removed: number;
  updated: number;
}

/**
 * The canonical snapshot after the changes, written to `temp`: unchanged lines are copied byte for byte, changed
 * entries are written with the domain's canonicalLine, both in signal id order (a sorted merge, so memory holds the
 * changes, not the list).
 */
async function mergeFile(path: string, net: ReadonlyMap<string, DelistEntry | undefined>, temp: string): Promise<Merged> {
  const ids = [...net.keys()].sort();
  const handle = await open(temp, 'w', 0o644);
  const out = new HashedWriter(handle);
  const counts = { added: 0, removed: 0, updated: 0 };
  let i = 0;
  const writeNew = async (id: string) => {
    const entry = net.get(id);
    if (entry !== undefined) await out.write(canonicalLine(entry));
  };
  try {
    for await (const line of linesOf(path)) {
      const id = idOfLine(line);
      for (; i < ids.length && (ids[i] ?? '') < id; i++) {
        const newId = ids[i] ?? '';
        if (net.get(newId) !== undefined) counts.added += 1;
        await writeNew(newId);
      }
      if (ids[i] === id) {
        const entry = net.get(id);
        if (entry === undefined) counts.removed += 1;
        else {
          const next = canonicalLine(entry);
          if (next !== `${line}\n`) counts.updated += 1;
          await out.write(next);
        }
        i += 1;
      } else {
        await out.write(`${line}\n`);
      }
    }
    for (; i < ids.length; i++) {
      const newId = ids[i] ?? '';
      if (net.get(newId) !== undefined) counts.added += 1;
      await writeNew(newId);
    }
    await out.flush();
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { ...out.result(), ...counts };
}

/** Entries added and removed between two canonical files (both sorted by signal id). */
async function diffIds(oldPath: string, newPath: string): Promise<{ added: number; removed: number }> {
  const older = linesOf(oldPath);
  const newer = linesOf(newPath);
  let a = await older.next();
  let b = await newer.next();
  let added = 0;
  let removed = 0;
  while (!a.done || !b.done) {
    const idA = a.done ? undefined : idOfLine(a.value);
    const idB = b.done ? undefined : idOfLine(b.value);
    if (idB === undefined || (idA !== undefined && idA < idB)) {
      removed += 1;
      a = await older.next();
    } else if (idA === undefined || idB < idA) {
      added += 1;
      b = await newer.next();
    } else {
      a = await older.next();
      b = await newer.next();
    }
  }
  return { added, removed };
}
