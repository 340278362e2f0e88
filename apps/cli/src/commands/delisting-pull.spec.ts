import { createPublicKey, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';

import {
  canonicalSnapshot,
  type DelistChange,
  type DelistEntry,
  entryToJson,
  generateSigningKeyPem,
  manifestToJson,
  publishedKey,
  type SigningKey,
  signingKeyFromPem,
  signManifest,
  snapshotDigest,
} from '@signal-mesh/delisting-domain';

import type { CliIo } from '../io';
import { run } from '../main';
import { type DelistingHttp, nodeHttp } from './delisting-http';
import { statePath } from './delisting-pull';

const LIST = 'nudify-services';
const KEY = 'sm_test_delisting_key_0123456789';

const entry = (n: number, host = `app-${n}.nudify.example.test`): DelistEntry => ({
  signalId: `url_${n.toString(16).padStart(32, '0')}`,
  canonicalUrl: `https://${host}/`,
  matchScope: 'HOST',
  registrableDomain: 'example.test',
  categories: ['service.nudify'],
  firstListedAt: new Date('2025-06-01T12:00:00.000Z'),
});

/**
 * An in-process stand-in for the delisting service's HTTP API (docs/delisting.md), built on the same domain
 * functions: every version's entries are kept, so manifests of older versions can be signed.
 */
class FakeDelisting {
  readonly versions: Map<string, DelistEntry>[] = [new Map()];
  readonly log: DelistChange[] = [];
  readonly paths: string[] = [];
  signingKey: SigningKey = signingKeyFromPem(generateSigningKeyPem());
  oldestChange = 1;
  gzip = true;
  tamperManifest = false;
  tamperSnapshot = false;
  private server: Server | undefined;
  url = '';

  get version(): number {
    return this.versions.length - 1;
  }

  current(): Map<string, DelistEntry> {
    return this.versions[this.version] ?? new Map();
  }

  change(kind: 'ADD' | 'REMOVE', e: DelistEntry): void {
    const next = new Map(this.current());
    if (kind === 'ADD') next.set(e.signalId, e);
    else next.delete(e.signalId);
    this.versions.push(next);
    this.log.push({ version: this.version, kind, entry: e });
  }

  snapshotText(version = this.version): string {
    return canonicalSnapshot((this.versions[version] ?? new Map()).values());
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      this.paths.push(`${url.pathname}${url.search}`);
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/.well-known/signal-mesh/delisting-keys.json') return send(200, { keys: [publishedKey(this.signingKey.publicKey)] });
      if (req.headers['x-api-key'] !== KEY) return send(401, { error: { code: 'API_KEY_INVALID', message: 'unknown key' } });
      const match = /^\/v1\/lists\/([^/]+)\/(snapshot|changes|manifest)$/.exec(url.pathname);
      if (!match || match[1] !== LIST) return send(403, { error: { code: 'LIST_NOT_AVAILABLE', message: 'no such list' } });
      if (match[2] === 'snapshot') {
        let body = Buffer.from(this.snapshotText());
        if (this.tamperSnapshot) body = Buffer.from(body.toString().replace('example.test', 'example.tesu'));
        const gzip = this.gzip && String(req.headers['accept-encoding']).includes('gzip');
        res.writeHead(200, { 'content-type': 'application/x-ndjson', etag: `"${this.version}"`, ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
        return res.end(gzip ? gzipSync(body) : body);
      }
      if (match[2] === 'changes') {
        const since = Number(url.searchParams.get('since'));
        const pageSize = Number(url.searchParams.get('pageSize') ?? 1000);
        if (since < this.oldestChange - 1) return send(410, { error: { code: 'VERSION_EXPIRED', message: 'too old', hint: 'take a snapshot' } });
        if (since > this.version) return send(404, { error: { code: 'VERSION_NOT_FOUND', message: 'beyond' } });
        const changes = this.log.filter((c) => c.version > since).slice(0, pageSize);
        const last = changes.at(-1);
        return send(200, { listId: LIST, currentVersion: this.version, hasMore: last !== undefined && last.version < this.version, changes: changes.map((c) => ({ version: c.version, kind: c.kind, entry: entryToJson(c.entry) })) });
      }
      const version = Number(url.searchParams.get('version') ?? 0) || this.version;
      const digest = snapshotDigest((this.versions[version] ?? new Map()).values());
      const json = manifestToJson(signManifest({ listId: LIST, version, entryCount: digest.entryCount, snapshotSha256: digest.sha256 }, this.signingKey, new Date()));
      // Tampered in transit: the digest changed after signing.
      return send(200, this.tamperManifest ? { ...json, snapshotSha256: 'f'.repeat(64) } : json);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

function fakeIo(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo & { out: string[]; err: string[] } = { stdin: Readable.from([]), stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env, out, err };
  return io;
}

describe('signal-mesh delisting pull (against an in-process HTTP double)', () => {
  let fake: FakeDelisting;
  let dir: string;
  let out: string;
  let wire: { requests: number; bytes: number };
  const counting: DelistingHttp = async (url, headers) => {
    const res = await nodeHttp(url, headers);
    wire.requests += 1;
    res.body.on('data', (chunk: Buffer) => {
      wire.bytes += chunk.length;
    });
    return res;
  };

  const pull = async (...extra: string[]) => {
    const io = fakeIo({ SIGNAL_MESH_API_KEY: KEY, SIGNAL_MESH_DELISTING_URL: fake.url });
    wire = { requests: 0, bytes: 0 };
    const pathsBefore = fake.paths.length;
    const code = await run(['delisting', 'pull', '--list', LIST, '--out', out, ...extra], io, { delistingHttp: counting });
    const output = JSON.parse(io.out.join('').trim() || '{}') as Record<string, unknown> & { error?: { code: string; hint?: string } };
    return { code, output, stderr: io.err.join(''), stdout: io.out.join(''), paths: fake.paths.slice(pathsBefore) };
  };

  beforeEach(async () => {
    fake = new FakeDelisting();
    for (let n = 1; n <= 20; n++) fake.change('ADD', entry(n));
    await fake.start();
    dir = await mkdtemp(join(tmpdir(), 'delisting-pull-'));
    out = join(dir, 'lists', 'nudify.ndjson');
  });
  afterEach(async () => {
    await fake.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('first pull: snapshot (gzip), verified, written with its sidecar; the summary counts what came over the wire', async () => {
    const first = await pull();
    expect(first.code).toBe(0);
    expect(first.output).toMatchObject({ listId: LIST, status: 'snapshot', fromVersion: null, toVersion: 20, added: 20, removed: 0, entryCount: 20, requests: 3 });
    expect(first.paths).toEqual([`/v1/lists/${LIST}/snapshot?format=ndjson`, `/v1/lists/${LIST}/manifest?version=20`, '/.well-known/signal-mesh/delisting-keys.json']);
    expect(await readFile(out, 'utf8')).toBe(fake.snapshotText());
    // gzip: fewer bytes than the NDJSON itself, and exactly what the transport saw.
    expect(first.output['bytesTransferred']).toBe(wire.bytes);
    expect(wire.requests).toBe(3);
    const state = JSON.parse(await readFile(statePath(out), 'utf8')) as Record<string, unknown>;
    expect(state).toMatchObject({ listId: LIST, version: 20, etag: '"20"', keyId: fake.signingKey.keyId, manifest: { version: 20 } });
    expect(first.stdout).not.toContain(KEY);
  });

  it('second pull after three changed signals transfers only the changes; the file equals a fresh snapshot; a third makes one request', async () => {
    await pull();
    const snapshotBytes = Buffer.byteLength(fake.snapshotText());
    fake.change('ADD', entry(100));
    fake.change('REMOVE', entry(3));
    fake.change('ADD', entry(7, 'moved.nudify.example.test'));
    const second = await pull();
    expect(second.code).toBe(0);
    expect(second.output).toMatchObject({ status: 'updated', fromVersion: 20, toVersion: 23, added: 1, removed: 1, updated: 1, entryCount: 20, requests: 2 });
    expect(second.paths).toEqual([`/v1/lists/${LIST}/changes?since=20`, `/v1/lists/${LIST}/manifest?version=23`]);
    expect(wire.bytes).toBeLessThan(snapshotBytes);
    expect(await readFile(out, 'utf8')).toBe(fake.snapshotText());

    const third = await pull();
    expect(third.code).toBe(0);
    expect(third.output).toMatchObject({ status: 'up-to-date', fromVersion: 23, toVersion: 23, requests: 1 });
    expect(third.paths).toEqual([`/v1/lists/${LIST}/changes?since=23`]);
    expect(third.stderr).toContain('up to date');
  });

  it('follows every page of changes', async () => {
    await pull();
    for (let n = 200; n < 205; n++) fake.change('ADD', entry(n));
    const res = await pull('--page-size', '2');
    expect(res.output).toMatchObject({ status: 'updated', toVersion: 25, added: 5, requests: 4 });
    expect(await readFile(out, 'utf8')).toBe(fake.snapshotText());
  });

  it('refuses a tampered local file (exit 3, LOCAL_LIST_TAMPERED, hint --force-snapshot) without replacing it; --force-snapshot repairs it', async () => {
    await pull();
    const tampered = (await readFile(out, 'utf8')).replace('app-5.', 'app-6.');
    await writeFile(out, tampered);
    fake.change('ADD', entry(300));
    const res = await pull();
    expect(res.code).toBe(3);
    expect(res.output.error).toMatchObject({ code: 'LOCAL_LIST_TAMPERED', hint: expect.stringContaining('--force-snapshot') });
    expect(res.paths).toEqual([]);
    expect(await readFile(out, 'utf8')).toBe(tampered);
    const repaired = await pull('--force-snapshot');
    expect(repaired.output).toMatchObject({ status: 'snapshot', fallback: 'FORCED', toVersion: 21 });
    expect(await readFile(out, 'utf8')).toBe(fake.snapshotText());
  });

  it('refuses a tampered sidecar: a manifest that no longer verifies, or a version that is not the manifest\'s', async () => {
    await pull();
    const original = await readFile(statePath(out), 'utf8');
    const state = JSON.parse(original) as { version: number; manifest: { snapshotSha256: string; version: number } };
    await writeFile(statePath(out), JSON.stringify({ ...state, manifest: { ...state.manifest, snapshotSha256: 'a'.repeat(64) } }));
    expect((await pull()).output.error?.code).toBe('LOCAL_STATE_TAMPERED');
    await writeFile(statePath(out), JSON.stringify({ ...state, version: 5 }));
    expect((await pull()).output.error?.code).toBe('LOCAL_STATE_TAMPERED');
    await writeFile(statePath(out), 'not json');
    const res = await pull();
    expect([res.code, res.output.error?.code]).toEqual([3, 'LOCAL_STATE_TAMPERED']);
  });

  it('a manifest whose signature does not verify, or snapshot bytes that do not match it, leave no file behind', async () => {
    fake.tamperManifest = true;
    const badManifest = await pull();
    expect([badManifest.code, badManifest.output.error?.code]).toEqual([3, 'BAD_SIGNATURE']);
    await expect(stat(out)).rejects.toThrow();
    fake.tamperManifest = false;
    fake.tamperSnapshot = true;
    const badBytes = await pull();
    expect([badBytes.code, badBytes.output.error?.code]).toEqual([3, 'DIGEST_MISMATCH']);
    await expect(stat(out)).rejects.toThrow();
    await expect(stat(statePath(out))).rejects.toThrow();
  });

  it('falls back to a snapshot on 410 VERSION_EXPIRED and says so', async () => {
    await pull();
    fake.change('REMOVE', entry(1));
    fake.change('ADD', entry(400));
    fake.oldestChange = 22;
    const res = await pull();
    expect(res.code).toBe(0);
    expect(res.output).toMatchObject({ status: 'snapshot', fallback: 'VERSION_EXPIRED', fromVersion: 20, toVersion: 22, added: 1, removed: 1 });
    expect(res.stderr).toContain('taking a snapshot');
    expect(await readFile(out, 'utf8')).toBe(fake.snapshotText());
  });

  it('pins the signing key on first use: a new key is refused until --trust-new-key', async () => {
    await pull();
    fake.signingKey = signingKeyFromPem(generateSigningKeyPem());
    fake.change('ADD', entry(500));
    const refused = await pull();
    expect([refused.code, refused.output.error?.code]).toEqual([3, 'SIGNING_KEY_CHANGED']);
    const accepted = await pull('--trust-new-key');
    expect(accepted.output).toMatchObject({ status: 'updated', toVersion: 21 });
    expect(JSON.parse(await readFile(statePath(out), 'utf8'))).toMatchObject({ keyId: fake.signingKey.keyId });
  });

  it('--public-key verifies with the given key and never fetches the key set; a different key fails UNKNOWN_KEY', async () => {
    const pem = join(dir, 'key.pem');
    await writeFile(pem, createPublicKey(fake.signingKey.privateKey).export({ format: 'pem', type: 'spki' }));
    const ok = await pull('--public-key', pem);
    expect(ok.output).toMatchObject({ status: 'snapshot', requests: 2 });
    expect(ok.paths.some((p) => p.includes('well-known'))).toBe(false);
    await writeFile(pem, createPublicKey(signingKeyFromPem(generateSigningKeyPem()).privateKey).export({ format: 'pem', type: 'spki' }));
    await rm(out);
    const wrong = await pull('--public-key', pem);
    expect([wrong.code, wrong.output.error?.code]).toEqual([3, 'UNKNOWN_KEY']);
  });

  it('uncompressed when the service does not gzip: bytes transferred equal the file size', async () => {
    fake.gzip = false;
    const res = await pull();
    const snapshotBytes = Buffer.byteLength(fake.snapshotText());
    expect(res.output['bytesTransferred']).toBeGreaterThan(snapshotBytes);
    expect((await stat(out)).size).toBe(snapshotBytes);
  });

  it('coded errors: no key (1), a key the service refuses (1), unreachable (1), a list of another id in the file (1)', async () => {
    const io = fakeIo({ SIGNAL_MESH_DELISTING_URL: fake.url });
    expect(await run(['delisting', 'pull', '--list', LIST, '--out', out], io)).toBe(1);
    expect(JSON.parse(io.out.join(''))).toMatchObject({ error: { code: 'API_KEY_MISSING' } });

    const keyFile = join(dir, 'key');
    await writeFile(keyFile, `sm_wrong_${randomBytes(4).toString('hex')}\n`);
    const refused = fakeIo({ SIGNAL_MESH_DELISTING_URL: fake.url });
    expect(await run(['delisting', 'pull', '--list', LIST, '--out', out, '--key-file', keyFile], refused)).toBe(1);
    expect(JSON.parse(refused.out.join(''))).toMatchObject({ error: { code: 'API_KEY_INVALID', status: 401 } });
    expect(refused.out.join('')).not.toContain('sm_wrong');

    const down = fakeIo({ SIGNAL_MESH_API_KEY: KEY });
    expect(await run(['delisting', 'pull', '--list', LIST, '--out', out, '--url', 'http://127.0.0.1:9'], down)).toBe(1);
    expect(JSON.parse(down.out.join(''))).toMatchObject({ error: { code: 'DELISTING_UNAVAILABLE' } });

    await pull();
    const state = JSON.parse(await readFile(statePath(out), 'utf8')) as Record<string, unknown>;
    await writeFile(statePath(out), JSON.stringify({ ...state, listId: 'other-list' }));
    const mismatch = await pull();
    expect([mismatch.code, mismatch.output.error?.code]).toEqual([1, 'STATE_MISMATCH']);
  });

  it('rejects a malformed list id and page size as usage errors', async () => {
    const io = fakeIo({ SIGNAL_MESH_API_KEY: KEY });
    expect(await run(['delisting', 'pull', '--list', 'Bad List', '--out', out], io)).not.toBe(0);
    expect(io.err.join('')).toContain('list id');
    expect(await run(['delisting', 'pull', '--list', LIST, '--out', out, '--page-size', '0'], fakeIo())).not.toBe(0);
  });
});
