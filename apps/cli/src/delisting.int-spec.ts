import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import {
  ApiKeyScope,
  type Contribution,
  FeedEvent,
  FeedEventKind,
  Opinion,
  OrganisationKind,
  RetractReason,
  type Signal,
  SignalStatus,
  SignalType,
  TlpMarking,
  Topics,
  UrlMatchScope,
} from '@signal-mesh/contracts';
import { eventually, integrationEnv, type ServiceProcess, startServiceProcess, startTrustFixture, testLogger, type TestOrg, type TrustFixture, uniqueName } from '@signal-mesh/testing';
import { createKafka, ensureTopics, KafkaProducer } from '@signal-mesh/transport-kafka';

import { type DelistingHttp, nodeHttp } from './commands/delisting-http';
import { statePath } from './commands/delisting-pull';
import type { CliIo } from './io';
import { run } from './main';

// `signal-mesh delisting pull` against the REAL built delisting service (child process) with the real trust service,
// Kafka and FerretDB: FeedEvents produced by the test onto the suite's own feed topic make the list.
jest.setTimeout(120_000);

const LIST = 'nudify-services';
const bin = join(__dirname, '..', 'bin', 'signal-mesh.cjs');

function contribution(categories = ['service.nudify']): Contribution {
  return {
    contributionId: `ctb_${randomBytes(8).toString('hex')}`,
    signalId: '',
    contributorOrgId: `org_${randomBytes(8).toString('hex')}`,
    marking: TlpMarking.TLP_MARKING_GREEN,
    sharingGroupIds: [],
    namedOrgIds: [],
    confidence: 90,
    opinion: Opinion.OPINION_POSITIVE,
    categories,
    evidenceNote: '',
    externalRefs: [],
    createdAt: new Date('2025-06-01T12:00:00.000Z'),
    disputeReason: '',
    revocationReason: '',
  };
}

/** An organisation's view of a URL signal, as the fan-out puts it in a FeedEvent (synthetic *.test hosts). */
function urlView(options: { signalId?: string; scope?: UrlMatchScope; categories?: string[] } = {}): Signal {
  const signalId = options.signalId ?? `url_${randomBytes(16).toString('hex')}`;
  const host = `${randomBytes(4).toString('hex')}.nudify.test`;
  const contributions = [{ ...contribution(options.categories), signalId }];
  return {
    signalId,
    type: SignalType.SIGNAL_TYPE_URL,
    canonicalValue: `https://${host}/`,
    categories: [...(options.categories ?? ['service.nudify'])].sort(),
    status: SignalStatus.SIGNAL_STATUS_ACTIVE,
    details: { $case: 'url', value: { matchScope: options.scope ?? UrlMatchScope.URL_MATCH_SCOPE_HOST, host, registrableDomain: 'nudify.test' } },
    aggregates: { contributorCount: 1, confidence: 90, positiveCount: 1, negativeCount: 0 },
    firstSeenAt: new Date('2025-06-01T12:00:00.000Z'),
    updatedAt: new Date('2025-06-01T12:00:00.000Z'),
    contributions,
  };
}

const upsert = (orgId: string, view: Signal): FeedEvent =>
  FeedEvent.fromPartial({ kind: FeedEventKind.FEED_EVENT_KIND_UPSERT, orgId, signalId: view.signalId, signalType: view.type, canonicalValue: view.canonicalValue, view, emittedAt: new Date() });
const retract = (orgId: string, signalId: string): FeedEvent =>
  FeedEvent.fromPartial({ kind: FeedEventKind.FEED_EVENT_KIND_RETRACT, orgId, signalId, signalType: SignalType.SIGNAL_TYPE_URL, canonicalValue: '', retractReason: RetractReason.RETRACT_REASON_REVOKED, emittedAt: new Date() });

describe('signal-mesh delisting pull (real delisting service, trust, Kafka and FerretDB)', () => {
  const stack = integrationEnv();
  const logger = testLogger('cli-delisting-int-spec');
  const kafka = createKafka({ brokers: stack.kafkaBrokers, clientId: 'cli-delisting-int-spec', logger });
  const feedTopic = uniqueName('feeds-cli-delisting');
  const trustTopic = uniqueName('trust-cli-delisting');
  let trust: TrustFixture;
  let producer: KafkaProducer;
  let service: ServiceProcess;
  let search: TestOrg;
  let dir: string;
  let out: string;
  const views = Array.from({ length: 30 }, () => urlView());

  /** Every request the CLI makes, with the body bytes it received: counted outside the CLI's own summary. */
  let wire: { paths: string[]; bytes: number };
  const counting: DelistingHttp = async (url, headers) => {
    const res = await nodeHttp(url, headers);
    wire.paths.push(`${url.pathname}${url.search}`);
    res.body.on('data', (chunk: Buffer) => {
      wire.bytes += chunk.length;
    });
    return res;
  };

  const publish = (...events: FeedEvent[]) => producer.send(feedTopic, events.map((e) => ({ key: e.orgId, value: FeedEvent.encode(e).finish() })));
  const api = (path: string) => fetch(`${service.httpUrl}${path}`, { headers: { 'x-api-key': search.key } });
  const listVersion = async (): Promise<number> => {
    const { lists } = (await (await api('/v1/lists')).json()) as { lists: { listId: string; version: number }[] };
    return lists.find((l) => l.listId === LIST)?.version ?? -1;
  };
  const waitVersion = (version: number) => eventually(async () => ((await listVersion()) >= version ? true : undefined), { what: `list version ${version}`, timeoutMs: 60_000 });
  /** A fresh snapshot, uncompressed: what the local file must equal byte for byte. */
  const freshSnapshot = async () => Buffer.from(await (await api(`/v1/lists/${LIST}/snapshot?format=ndjson`)).arrayBuffer()).toString('utf8');

  const pull = async (...extra: string[]) => {
    const out_: string[] = [];
    const err: string[] = [];
    const io: CliIo = { stdin: Readable.from([]), stdout: { write: (s: string) => out_.push(s) }, stderr: { write: (s: string) => err.push(s) }, env: { SIGNAL_MESH_API_KEY: search.key, SIGNAL_MESH_DELISTING_URL: service.httpUrl } };
    wire = { paths: [], bytes: 0 };
    const code = await run(['delisting', 'pull', '--list', LIST, '--out', out, ...extra], io, { delistingHttp: counting });
    return { code, output: JSON.parse(out_.join('').trim()) as Record<string, unknown> & { error?: { code: string; hint?: string } }, stderr: err.join(''), stdout: out_.join('') };
  };

  beforeAll(async () => {
    await ensureTopics(kafka, [
      { ...Topics.feeds, name: feedTopic },
      { ...Topics.trustChanges, name: trustTopic },
    ]);
    trust = await startTrustFixture(stack, { TRUST_CHANGES_TOPIC: trustTopic });
    search = await trust.createOrg({ kind: OrganisationKind.ORGANISATION_KIND_SEARCH_ENGINE, scopes: [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE] });
    producer = await KafkaProducer.connect(kafka, logger);
    dir = await mkdtemp(join(tmpdir(), 'cli-delisting-int-'));
    out = join(dir, 'nudify-services.ndjson');
    service = await startServiceProcess(
      'delisting',
      {
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        MONGODB_URI: stack.mongoUri,
        MONGODB_DATABASE: uniqueName('cli_delisting_int').replace(/-/g, '_'),
        DELISTING_FEED_TOPIC: feedTopic,
        DELISTING_TRUST_TOPIC: trustTopic,
        DELISTING_GROUP_ID: uniqueName('cli-delisting'),
        DELISTING_TRUST_ADDRESS: trust.address,
        DELISTING_SIGNING_KEY_FILE: join(dir, 'signing.pem'),
        DELISTING_SESSION_TIMEOUT_MS: '10000',
        LOG_LEVEL: 'warn',
      },
      { readyTimeoutMs: 90_000 },
    );
    await publish(...views.map((v) => upsert(search.orgId, v)));
    await waitVersion(views.length);
  }, 180_000);

  afterAll(async () => {
    await service?.stop();
    await producer?.disconnect();
    await trust?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('first pull takes a verified snapshot: the file equals a fresh snapshot, the key id is pinned', async () => {
    const first = await pull();
    expect(first.code).toBe(0);
    expect(first.output).toMatchObject({ listId: LIST, status: 'snapshot', fromVersion: null, toVersion: 30, added: 30, entryCount: 30, requests: 3 });
    expect(wire.paths).toEqual([`/v1/lists/${LIST}/snapshot?format=ndjson`, `/v1/lists/${LIST}/manifest?version=30`, '/.well-known/signal-mesh/delisting-keys.json']);
    expect(first.output['bytesTransferred']).toBe(wire.bytes);
    expect(await readFile(out, 'utf8')).toBe(await freshSnapshot());
    const state = JSON.parse(await readFile(statePath(out), 'utf8')) as { version: number; keyId: string };
    expect(state.version).toBe(30);
    expect(state.keyId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.stdout).not.toContain(search.key);
  });

  it('after three signals change, the second pull transfers only the changes and the file equals a fresh snapshot', async () => {
    const snapshotBytes = Buffer.byteLength(await freshSnapshot());
    const [gone, moved] = [views[0], views[1]];
    if (!gone || !moved) throw new Error('fixture views missing');
    const added = urlView();
    await publish(retract(search.orgId, gone.signalId), upsert(search.orgId, urlView({ signalId: moved.signalId, scope: UrlMatchScope.URL_MATCH_SCOPE_DOMAIN })), upsert(search.orgId, added));
    await waitVersion(33);
    const second = await pull();
    expect(second.code).toBe(0);
    expect(second.output).toMatchObject({ status: 'updated', fromVersion: 30, toVersion: 33, added: 1, removed: 1, updated: 1, entryCount: 30, requests: 2 });
    // Only the changes and the new version's manifest: no snapshot, no key set.
    expect(wire.paths).toEqual([`/v1/lists/${LIST}/changes?since=30`, `/v1/lists/${LIST}/manifest?version=33`]);
    expect(wire.bytes).toBeLessThan(snapshotBytes);
    const local = await readFile(out, 'utf8');
    expect(local).toBe(await freshSnapshot());
    expect(local).toContain(added.signalId);
    expect(local).not.toContain(gone.signalId);
    // The replaced entry carries its new scope.
    expect(local).toMatch(new RegExp(`"signal_id":"${moved.signalId}","canonical_url":"[^"]+","match_scope":"DOMAIN"`));
  });

  it('nothing new: the real bin makes one cheap request and exits 0 with "up to date"', async () => {
    const before = await pull();
    expect(before.output).toMatchObject({ status: 'up-to-date', toVersion: 33, requests: 1 });
    expect(wire.paths).toEqual([`/v1/lists/${LIST}/changes?since=33`]);
    expect(wire.bytes).toBeLessThan(200);

    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, 'delisting', 'pull', '--list', LIST, '--out', out], {
        env: { ...process.env, SIGNAL_MESH_API_KEY: search.key, SIGNAL_MESH_DELISTING_URL: service.httpUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toMatchObject({ status: 'up-to-date', requests: 1, fromVersion: 33, toVersion: 33 });
    expect(result.stderr).toContain('up to date');
    expect(result.stdout + result.stderr).not.toContain(search.key);
  });

  it('a tampered local file is detected (exit 3, LOCAL_LIST_TAMPERED) before any request; --force-snapshot repairs it', async () => {
    const original = await readFile(out, 'utf8');
    const tampered = original.replace('.nudify.test/', '.nudify.tesu/');
    expect(tampered).not.toBe(original);
    await writeFile(out, tampered);
    const refused = await pull();
    expect(refused.code).toBe(3);
    expect(refused.output.error).toMatchObject({ code: 'LOCAL_LIST_TAMPERED', hint: expect.stringContaining('--force-snapshot') });
    expect(wire.paths).toEqual([]);
    expect(await readFile(out, 'utf8')).toBe(tampered);
    const repaired = await pull('--force-snapshot');
    expect(repaired.output).toMatchObject({ status: 'snapshot', fallback: 'FORCED', toVersion: 33 });
    expect(await readFile(out, 'utf8')).toBe(await freshSnapshot());
  });

  it('a tampered sidecar or recorded manifest is detected (exit 3, LOCAL_STATE_TAMPERED)', async () => {
    const original = await readFile(statePath(out), 'utf8');
    const state = JSON.parse(original) as { version: number; manifest: { entryCount: number; snapshotSha256: string } };
    for (const forged of [
      { ...state, manifest: { ...state.manifest, entryCount: state.manifest.entryCount + 1 } },
      { ...state, manifest: { ...state.manifest, snapshotSha256: '0'.repeat(64) } },
      { ...state, version: state.version - 1 },
    ]) {
      await writeFile(statePath(out), JSON.stringify(forged));
      const res = await pull();
      expect([res.code, res.output.error?.code]).toEqual([3, 'LOCAL_STATE_TAMPERED']);
    }
    await writeFile(statePath(out), original);
    expect((await pull()).output).toMatchObject({ status: 'up-to-date' });
  });
});
