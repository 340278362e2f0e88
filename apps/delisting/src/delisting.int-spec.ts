import { randomBytes } from 'node:crypto';
import { mkdtemp, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import {
  ApiKeyScope,
  deadLetterTopicName,
  DelistChangeKind,
  type DelistEntry as ProtoEntry,
  DelistingServiceClient,
  type FeedEvent,
  type GetChangesResponse,
  type GetManifestResponse,
  type GetSnapshotResponse,
  type ListListsResponse,
  OrganisationKind,
  RetractReason,
  SignalType,
  TlpMarking,
  Topics,
  UrlMatchScope,
} from '@signal-mesh/contracts';
import {
  applyChanges,
  changeFromJson,
  DelistingDomainError,
  keysFromPublished,
  localListFromSnapshot,
  manifestFromJson,
  parseSnapshot,
  verifyLocalList,
  verifyManifestSignature,
  verifySnapshotBytes,
} from '@signal-mesh/delisting-domain';
import { encodeFeedEvent } from '@signal-mesh/feeds-event-mapping';
import { eventually, integrationEnv, readDeadLetters, type ServiceProcess, startServiceProcess, startTrustFixture, testLogger, type TestOrg, type TrustFixture, uniqueName } from '@signal-mesh/testing';
import { grpcCredentials, Metadata, readErrorDetail, type ServiceError } from '@signal-mesh/transport-grpc';
import { createKafka, ensureTopics, KafkaProducer } from '@signal-mesh/transport-kafka';

import { contribution, retract, upsert, urlViewSignal } from './fakes.fixtures';

jest.setTimeout(120_000);

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw GET (no automatic decompression, unlike fetch), to see exactly what the server sends. */
function get(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}
const json = (res: RawResponse) => JSON.parse(res.body.toString('utf8')) as Record<string, unknown> & { error?: { code: string; hint?: string } };

describe('delisting service (real trust, Kafka and FerretDB)', () => {
  const stack = integrationEnv();
  const logger = testLogger();
  const kafka = createKafka({ brokers: stack.kafkaBrokers, clientId: 'delisting-int-spec', logger });
  const feedTopic = uniqueName('feeds-delisting');
  const trustTopic = uniqueName('trust-delisting');
  const LIST = 'nudify-services';
  let trust: TrustFixture;
  let producer: KafkaProducer;
  let service: ServiceProcess;
  let grpc: InstanceType<typeof DelistingServiceClient>;
  let keyFile: string;
  let search: TestOrg;
  let otherSearch: TestOrg;
  let platform: TestOrg;
  const started = Date.now();

  const publish = async (...events: FeedEvent[]) => producer.send(feedTopic, events.map((e) => ({ key: e.orgId, value: encodeFeedEvent(e) })));
  const http = (path: string, key: string | undefined, headers: Record<string, string> = {}) => get(`${service.httpUrl}${path}`, { ...(key ? { 'x-api-key': key } : {}), ...headers });
  const listVersion = async (org: TestOrg): Promise<number> => {
    const res = await http('/v1/lists', org.key);
    const lists = json(res)['lists'] as { listId: string; version: number }[];
    return lists.find((l) => l.listId === LIST)?.version ?? -1;
  };
  const waitVersion = (org: TestOrg, version: number) => eventually(async () => ((await listVersion(org)) >= version ? true : undefined), { what: `list version ${version}`, timeoutMs: 60_000 });
  const snapshot = async (org: TestOrg) => {
    const res = await http(`/v1/lists/${LIST}/snapshot?format=ndjson`, org.key);
    expect(res.status).toBe(200);
    return { res, entries: parseSnapshot(res.body.toString('utf8')) };
  };
  const publishedKeys = async () => keysFromPublished(json(await http('/.well-known/signal-mesh/delisting-keys.json', undefined)));
  const manifest = async (org: TestOrg, version?: number) => manifestFromJson(json(await http(`/v1/lists/${LIST}/manifest${version === undefined ? '' : `?version=${version}`}`, org.key)));

  function rpc<Res>(name: 'listLists' | 'getChanges' | 'getManifest', req: object, key: string): Promise<Res> {
    const metadata = new Metadata();
    metadata.set('x-api-key', key);
    const method = grpc[name] as unknown as (r: object, m: Metadata, cb: (err: ServiceError | null, res: Res) => void) => void;
    return new Promise((resolve, reject) => method.call(grpc, req, metadata, (err, res) => (err ? reject(err) : resolve(res))));
  }
  function grpcSnapshot(key: string): Promise<GetSnapshotResponse[]> {
    const metadata = new Metadata();
    metadata.set('x-api-key', key);
    const chunks: GetSnapshotResponse[] = [];
    return new Promise((resolve, reject) => {
      const call = grpc.getSnapshot({ listId: LIST }, metadata);
      call.on('data', (chunk: GetSnapshotResponse) => chunks.push(chunk));
      call.on('error', reject);
      call.on('end', () => resolve(chunks));
    });
  }
  const grpcFailure = async (promise: Promise<unknown>) => promise.then(
    () => undefined,
    (err: ServiceError) => ({ status: err.code, code: readErrorDetail(err)?.code }),
  );

  // The search engine's expected list, built up by the tests.
  const green = urlViewSignal({ contributions: [contribution({ marking: TlpMarking.TLP_MARKING_GREEN, categories: ['service.nudify'] })] });
  const clearTutorial = urlViewSignal({ scope: UrlMatchScope.URL_MATCH_SCOPE_PATH_PREFIX, contributions: [contribution({ marking: TlpMarking.TLP_MARKING_CLEAR, categories: ['service.nudify.tutorial'] })] });
  const mixedRed = urlViewSignal({ scope: UrlMatchScope.URL_MATCH_SCOPE_DOMAIN, contributions: [contribution({ marking: TlpMarking.TLP_MARKING_AMBER }), contribution({ marking: TlpMarking.TLP_MARKING_RED, categories: ['service.nudify.red-only'] })] });
  const redOnly = urlViewSignal({ contributions: [contribution({ marking: TlpMarking.TLP_MARKING_RED })] });
  const otherCategory = urlViewSignal({ contributions: [contribution({ categories: ['model.2c'] })] });
  // Published last: once it is listed, every event before it has been processed (one partition per organisation).
  const sentinel = urlViewSignal();
  const patternSignalId = `pp_${randomBytes(16).toString('hex')}`;

  beforeAll(async () => {
    await ensureTopics(kafka, [
      { ...Topics.feeds, name: feedTopic },
      { ...Topics.trustChanges, name: trustTopic },
      { name: deadLetterTopicName(feedTopic), partitions: 1, cleanupPolicy: 'delete', key: 'original key', payload: 'signalmesh.v1.DeadLetter' },
    ]);
    trust = await startTrustFixture(stack, { TRUST_CHANGES_TOPIC: trustTopic });
    search = await trust.createOrg({ kind: OrganisationKind.ORGANISATION_KIND_SEARCH_ENGINE, scopes: [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE] });
    otherSearch = await trust.createOrg({ kind: OrganisationKind.ORGANISATION_KIND_SEARCH_ENGINE, scopes: [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE] });
    platform = await trust.createOrg({ kind: OrganisationKind.ORGANISATION_KIND_PLATFORM, scopes: [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE] });
    producer = await KafkaProducer.connect(kafka, logger);
    keyFile = join(await mkdtemp(join(tmpdir(), 'delisting-int-')), 'keys', 'signing.pem');
    service = await startServiceProcess(
      'delisting',
      {
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        MONGODB_URI: stack.mongoUri,
        MONGODB_DATABASE: uniqueName('delisting_int').replace(/-/g, '_'),
        DELISTING_FEED_TOPIC: feedTopic,
        DELISTING_TRUST_TOPIC: trustTopic,
        DELISTING_GROUP_ID: uniqueName('delisting'),
        DELISTING_TRUST_ADDRESS: trust.address,
        DELISTING_SIGNING_KEY_FILE: keyFile,
        DELISTING_PAGE_SIZE: '2',
        DELISTING_CHANGE_RETENTION_VERSIONS: '6',
        DELISTING_PRUNE_INTERVAL_MS: '300',
        DELISTING_SESSION_TIMEOUT_MS: '10000',
        LOG_LEVEL: 'info',
      },
      { readyTimeoutMs: 90_000 },
    );
    grpc = new DelistingServiceClient(service.grpcAddress, grpcCredentials.createInsecure());
  }, 180_000);

  afterAll(async () => {
    grpc?.close();
    await service?.kill();
    await producer?.disconnect();
    await trust?.close();
  }, 60_000);

  it("generates the dev signing key (0600) and publishes only its public half", async () => {
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const res = await http('/.well-known/signal-mesh/delisting-keys.json', undefined);
    expect(res.status).toBe(200);
    expect(res.body.toString()).not.toMatch(/PRIVATE|"d"/);
    expect((await publishedKeys()).size).toBe(1);
    expect(service.logs.join('\n')).not.toContain('BEGIN PRIVATE KEY');
  });

  it("a search engine's list holds exactly its entitled, visible URL signals — never RED, never prompt patterns or other orgs' views", async () => {
    await publish(
      upsert(search.orgId, green),
      upsert(search.orgId, clearTutorial),
      upsert(search.orgId, mixedRed),
      upsert(search.orgId, redOnly),
      upsert(search.orgId, otherCategory),
      retract(search.orgId, patternSignalId, RetractReason.RETRACT_REASON_REVOKED, SignalType.SIGNAL_TYPE_PROMPT_PATTERN),
      // A platform's views never make a list; nor do another search engine's.
      upsert(platform.orgId, urlViewSignal()),
      upsert(search.orgId, sentinel),
    );
    await waitVersion(search, 4);
    const { res, entries } = await snapshot(search);
    expect(res.headers['etag']).toBe('"4"');
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    const byId = new Map(entries.map((e) => [e.signalId, e]));
    expect([...byId.keys()].sort()).toEqual([green.signalId, clearTutorial.signalId, mixedRed.signalId, sentinel.signalId].sort());
    expect(byId.get(clearTutorial.signalId)).toMatchObject({ canonicalUrl: clearTutorial.canonicalValue, matchScope: 'PATH_PREFIX', registrableDomain: 'nudify.test', categories: ['service.nudify.tutorial'] });
    // The RED contribution's category is not in the entry, not even its name.
    expect(byId.get(mixedRed.signalId)).toMatchObject({ matchScope: 'DOMAIN', categories: ['service.nudify'] });
    expect(res.body.toString()).not.toContain('red-only');
    expect(res.body.toString()).not.toContain(redOnly.signalId);
    expect(await listVersion(otherSearch)).toBe(0);

    // The signed manifest covers exactly these bytes.
    const keys = await publishedKeys();
    const signed = await manifest(search);
    expect(signed).toMatchObject({ listId: LIST, version: 4, entryCount: 4 });
    expect(() => verifySnapshotBytes(res.body, signed, keys)).not.toThrow();

    // gRPC: the same entries at the same version, in chunks of the page size.
    const chunks = await grpcSnapshot(search.key);
    expect(new Set(chunks.map((c) => c.version))).toEqual(new Set(['4']));
    expect(chunks.flatMap((c) => c.entries.map((e: ProtoEntry) => e.signalId))).toEqual(entries.map((e) => e.signalId));
    const lists = await rpc<ListListsResponse>('listLists', {}, search.key);
    expect(lists.lists).toEqual([expect.objectContaining({ listId: LIST, version: '4', entryCount: '4' })]);
    const grpcManifest = (await rpc<GetManifestResponse>('getManifest', { listId: LIST, version: '0' }, search.key)).manifest;
    expect(grpcManifest?.snapshotSha256).toBe(signed.snapshotSha256);
    expect(Buffer.from(grpcManifest?.signature ?? []).equals(Buffer.from(signed.signature))).toBe(true);
  });

  it('serves CSV, hosts and gzip (when asked) from the same version', async () => {
    const csv = await http(`/v1/lists/${LIST}/snapshot?format=csv`, search.key);
    expect(csv.body.toString().split('\r\n')[0]).toBe('signal_id,canonical_url,match_scope,registrable_domain,categories,first_listed_at');
    expect(csv.body.toString().trim().split('\r\n')).toHaveLength(5);
    const hosts = await http(`/v1/lists/${LIST}/snapshot?format=hosts`, search.key);
    // HOST (green) and DOMAIN (mixedRed: registrable domain + host); the PATH_PREFIX entry is not a host.
    expect(hosts.body.toString()).toContain(`0.0.0.0 ${new URL(green.canonicalValue).hostname}\n`);
    expect(hosts.body.toString()).toContain('0.0.0.0 nudify.test\n');
    expect(hosts.body.toString()).not.toContain(new URL(clearTutorial.canonicalValue).hostname);
    const plain = await http(`/v1/lists/${LIST}/snapshot`, search.key);
    const gz = await http(`/v1/lists/${LIST}/snapshot`, search.key, { 'accept-encoding': 'gzip' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    expect((await http(`/v1/lists/${LIST}/snapshot?format=xml`, search.key)).status).toBe(400);
  });

  it('answers 304 while the version is unchanged, 200 for another version', async () => {
    const current = `"${await listVersion(search)}"`;
    const unchanged = await http(`/v1/lists/${LIST}/snapshot`, search.key, { 'if-none-match': current });
    expect(unchanged.status).toBe(304);
    expect(unchanged.body.length).toBe(0);
    expect(unchanged.headers['etag']).toBe(current);
    expect((await http(`/v1/lists/${LIST}/snapshot`, search.key, { 'if-none-match': '"0"' })).status).toBe(200);
  });

  it('another organisation cannot read the list: 403 over HTTP, PERMISSION_DENIED over gRPC', async () => {
    for (const path of ['/v1/lists', `/v1/lists/${LIST}/snapshot`, `/v1/lists/${LIST}/changes?since=0`, `/v1/lists/${LIST}/manifest`]) {
      const res = await http(path, platform.key);
      expect([path, res.status, json(res).error?.code]).toEqual([path, 403, 'NOT_SEARCH_ENGINE']);
    }
    expect((await grpcFailure(grpcSnapshot(platform.key)))?.code).toBe('NOT_SEARCH_ENGINE');
    expect(await grpcFailure(rpc('getChanges', { listId: LIST, sinceVersion: '0', pageSize: 0 }, platform.key))).toEqual({ status: 7, code: 'NOT_SEARCH_ENGINE' });
    // Another search engine reads its own (empty) list under the same id: nothing of the first one's.
    const other = await snapshot(otherSearch);
    expect(other.entries).toEqual([]);
    expect(other.res.headers['etag']).toBe('"0"');
    // A list id the organisation does not have is refused alike.
    const unknown = await http('/v1/lists/other-list/snapshot', search.key);
    expect([unknown.status, json(unknown).error?.code]).toEqual([403, 'LIST_NOT_AVAILABLE']);
    expect((await http(`/v1/lists/${LIST}/snapshot`, undefined)).status).toBe(401);
    expect((await http(`/v1/lists/${LIST}/snapshot`, 'sm_not-a-real-key')).status).toBe(401);
  });

  it('revoke → the next version removes the entry: in the changes (HTTP and gRPC) and no longer in the snapshot', async () => {
    const before = await listVersion(search);
    const local = localListFromSnapshot(LIST, before, (await snapshot(search)).entries);
    await publish(retract(search.orgId, green.signalId, RetractReason.RETRACT_REASON_REVOKED));
    await waitVersion(search, before + 1);
    const res = await http(`/v1/lists/${LIST}/changes?since=${before}`, search.key);
    const body = json(res) as { currentVersion: number; hasMore: boolean; changes: unknown[] };
    expect(body.currentVersion).toBe(before + 1);
    const changes = body.changes.map(changeFromJson);
    expect(changes.map((c) => [c.version, c.kind, c.entry.signalId])).toEqual([[before + 1, 'REMOVE', green.signalId]]);
    const grpcChanges = await rpc<GetChangesResponse>('getChanges', { listId: LIST, sinceVersion: String(before), pageSize: 0 }, search.key);
    expect(grpcChanges.changes.map((c) => [c.version, c.kind, c.entry?.signalId])).toEqual([[String(before + 1), DelistChangeKind.DELIST_CHANGE_KIND_REMOVE, green.signalId]]);
    const { res: after, entries } = await snapshot(search);
    expect(entries.map((e) => e.signalId)).not.toContain(green.signalId);
    expect(entries).toHaveLength(local.entries.size - 1);
    // The ETag the client held no longer matches: a full 200 with the new version.
    const changed = await http(`/v1/lists/${LIST}/snapshot`, search.key, { 'if-none-match': `"${before}"` });
    expect([changed.status, changed.headers['etag']]).toEqual([200, `"${before + 1}"`]);
    expect(changed.body.equals(after.body)).toBe(true);
    // The client's copy, updated with the changes, verifies against the new signed manifest.
    const updated = applyChanges(local, changes);
    const [signed, keys] = [await manifest(search), await publishedKeys()];
    expect(() => verifyLocalList(updated, signed, keys)).not.toThrow();
  });

  it('detects a tampered manifest or snapshot with the domain verification functions', async () => {
    const { res } = await snapshot(search);
    const keys = await publishedKeys();
    const signed = await manifest(search);
    const tamperedBytes = Buffer.from(res.body.toString().replace('nudify.test', 'nudify.tesu'));
    const codes: string[] = [];
    for (const check of [
      () => verifySnapshotBytes(tamperedBytes, signed, keys),
      () => verifySnapshotBytes(res.body, { ...signed, entryCount: signed.entryCount + 1 }, keys),
      () => verifyManifestSignature({ ...signed, snapshotSha256: 'f'.repeat(64) }, keys),
      () => verifyManifestSignature({ ...signed, version: signed.version + 1 }, keys),
    ]) {
      try {
        check();
        codes.push('accepted');
      } catch (err) {
        codes.push(err instanceof DelistingDomainError ? err.code : 'other');
      }
    }
    expect(codes).toEqual(['DIGEST_MISMATCH', 'BAD_SIGNATURE', 'BAD_SIGNATURE', 'BAD_SIGNATURE']);
  });

  it('reprocessing-safe and retention-bound: a version older than the kept change log answers 410 / VERSION_EXPIRED', async () => {
    const before = await listVersion(search);
    // Eight more changes, twice (the second round is the same events: no new version).
    const extra = Array.from({ length: 4 }, () => urlViewSignal());
    const round = [...extra.map((v) => upsert(search.orgId, v, new Date('2025-06-02T00:00:00.000Z'))), ...extra.map((v) => retract(search.orgId, v.signalId))];
    await publish(...round);
    await waitVersion(search, before + 8);
    await publish(...round.slice(0, 4));
    await waitVersion(search, before + 12);
    await publish(upsert(search.orgId, green));
    await waitVersion(search, before + 13);
    const current = await listVersion(search);
    expect(current).toBe(before + 13);
    // Retention keeps 6 changes; the job runs every 300 ms. Wait for the prune that follows the last change (an
    // earlier run already answers 410 for version 0, but not yet for current - 7).
    const gone = await eventually(
      async () => {
        const res = await http(`/v1/lists/${LIST}/changes?since=${current - 7}`, search.key);
        return res.status === 410 ? res : undefined;
      },
      { what: 'change log pruned up to the last change', timeoutMs: 30_000 },
    );
    expect(json(gone).error).toMatchObject({ code: 'VERSION_EXPIRED', hint: expect.stringContaining('snapshot') });
    expect((await http(`/v1/lists/${LIST}/changes?since=0`, search.key)).status).toBe(410);
    expect(await grpcFailure(rpc('getChanges', { listId: LIST, sinceVersion: '0', pageSize: 0 }, search.key))).toEqual({ status: 9, code: 'VERSION_EXPIRED' });
    const recent = await http(`/v1/lists/${LIST}/changes?since=${current - 6}&pageSize=4`, search.key);
    const page = json(recent) as { hasMore: boolean; changes: { version: number }[] };
    expect([recent.status, page.changes.map((c) => c.version), page.hasMore]).toEqual([200, [current - 5, current - 4, current - 3, current - 2], true]);
  });

  it('dead-letters an undecodable feed record and keeps going', async () => {
    await producer.send(feedTopic, [{ key: search.orgId, value: Buffer.from('not a feed event') }]);
    const [letter] = await readDeadLetters(kafka, deadLetterTopicName(feedTopic), 1);
    expect(letter?.letter.errorCode).toBe('UNDECODABLE');
    const before = await listVersion(search);
    await publish(upsert(search.orgId, urlViewSignal()));
    await waitVersion(search, before + 1);
  });

  it('shuts down gracefully', async () => {
    expect(await service.stop()).toBe(0);
    logger.info({ ms: Date.now() - started }, 'delisting int-spec duration');
  });
});
