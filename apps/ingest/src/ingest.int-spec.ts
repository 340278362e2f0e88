import { setTimeout as sleep } from 'node:timers/promises';

import {
  ApiKeyScope,
  type DisputeResponse,
  IngestServiceClient,
  OrganisationKind,
  type RevokeResponse,
  SignalType,
  SubmissionEvent,
  type SubmitRequest,
  type SubmitResponse,
  type SubmitStreamResponse,
  TlpMarking,
  Topics,
  UrlMatchScope,
} from '@signal-mesh/contracts';
import { MongoConnection } from '@signal-mesh/data-access-mongo';
import { IdempotencyRepository } from '@signal-mesh/ingest-data-access';
import { SignalRepository } from '@signal-mesh/signals-data-access';
import { contributionIdFor, validateContribution } from '@signal-mesh/signals-domain';
import { eventually, integrationEnv, startTrustFixture, testLogger, type TestOrg, type TrustFixture, uniqueName } from '@signal-mesh/testing';
import { grpcCredentials, GrpcStatus, Metadata, readErrorDetail, type ServiceError } from '@signal-mesh/transport-grpc';
import { type ConsumedRecord, createKafka, KafkaConsumerRunner, KafkaProducer } from '@signal-mesh/transport-kafka';
import { startTelemetry, type Telemetry } from '@signal-mesh/util-otel';

import { loadIngestConfig } from './config';
import { storedRecord } from './fakes.fixtures';
import { RETRY_AFTER_TRAILER } from './ingest.grpc-service';
import { createIngestApp, type IngestApp } from './ingest-app';

type Unary = (req: object, metadata: Metadata, cb: (err: ServiceError | null, res: unknown) => void) => unknown;

const FUTURE = '2099-01-01T00:00:00Z';
const hex = (n: number) => [...crypto.getRandomValues(new Uint8Array(n))].map((b) => b.toString(16).padStart(2, '0')).join('');
/** A fresh nudify-style URL per call, so every test's signals are its own. */
const url = () => `https://nudify-${hex(4)}.example.com/app`;
const urlItem = (overrides: Record<string, unknown> = {}) => ({ type: 'url', value: url(), scope: 'host', categories: ['service.nudify'], marking: 'GREEN', confidence: 80, ...overrides });

describe('ingest service (in-process, real Kafka, FerretDB and trust service)', () => {
  const env = integrationEnv();
  const database = uniqueName('ingest_int').replace(/-/g, '_');
  let trust: TrustFixture;
  let app: IngestApp;
  let grpc: IngestServiceClient;
  let org: TestOrg;
  let mongo: MongoConnection;
  let signals: SignalRepository;
  const events: ConsumedRecord<SubmissionEvent>[] = [];
  let consumer: KafkaConsumerRunner<SubmissionEvent>;
  let dlq: KafkaProducer;
  let telemetry: Telemetry;

  const configFor = (overrides: Record<string, string> = {}) =>
    loadIngestConfig({
      KAFKA_BROKERS: env.kafkaBrokers.join(','),
      MONGODB_URI: env.mongoUri,
      MONGODB_DATABASE: database,
      GRPC_PORT: '0',
      HTTP_PORT: '0',
      SHUTDOWN_GRACE_MS: '1000',
      INGEST_TRUST_ADDRESS: trust.address,
      INGEST_TRUST_SERVICE_KEY: trust.operatorKey,
      ...overrides,
    });

  const http = (path: string, init: { key?: string; body?: unknown; type?: string; headers?: Record<string, string>; method?: string; port?: number } = {}) =>
    fetch(`http://127.0.0.1:${init.port ?? app.httpPort}${path}`, {
      method: init.method ?? 'POST',
      headers: { ...(init.body === undefined ? {} : { 'content-type': init.type ?? 'application/json' }), ...(init.key ? { 'x-api-key': init.key } : {}), ...init.headers },
      body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    });

  function rpc<Res>(client: IngestServiceClient, name: 'submit' | 'revoke' | 'dispute', req: object, apiKey?: string): Promise<Res> {
    const metadata = new Metadata();
    if (apiKey) metadata.set('x-api-key', apiKey);
    const method = client[name] as unknown as Unary;
    return new Promise((resolve, reject) => method.call(client, req, metadata, (err, res) => (err ? reject(err) : resolve(res as Res))));
  }
  const grpcFailure = async (promise: Promise<unknown>) => {
    const err = (await promise.then(() => undefined, (e: ServiceError) => e)) as ServiceError | undefined;
    if (!err) throw new Error('expected the call to fail');
    return { code: err.code, detail: readErrorDetail(err)?.code, retryAfter: err.metadata?.get(RETRY_AFTER_TRAILER)[0] };
  };
  const submitRequest = (value: string, idempotencyKey = '', confidence = 70): SubmitRequest => ({
    contribution: {
      signal: { type: SignalType.SIGNAL_TYPE_URL, value, urlMatchScope: UrlMatchScope.URL_MATCH_SCOPE_EXACT, patternKind: 0, hashAlgorithm: 0 },
      relatedIdentifiers: [],
      categories: ['service.nudify'],
      marking: TlpMarking.TLP_MARKING_GREEN,
      sharingGroupIds: [],
      namedOrgIds: [],
      confidence,
      opinion: 0,
      validUntil: undefined,
      evidenceNote: 'seen in placeholder case',
      externalRefs: [],
    },
    idempotencyKey,
  });

  const eventsOf = (orgId: string) => events.filter((e) => e.value.submitterOrgId === orgId);
  const contributionIds = (orgId: string) => eventsOf(orgId).map((e) => (e.value.action?.$case === 'contribution' ? e.value.action.value.contribution?.contributionId : e.value.action?.value.contributionId));
  /** Every success is durable before it is answered; this waits for the consumer to see `count`, then for stragglers. */
  const settled = async (orgId: string, count: number) => {
    await eventually(async () => (eventsOf(orgId).length >= count ? true : undefined), { what: `${count} events of ${orgId}` });
    await sleep(1_000);
    return eventsOf(orgId);
  };

  beforeAll(async () => {
    // What each service's instrumentation.ts does: without an SDK no trace context is propagated.
    telemetry = startTelemetry({ serviceName: 'ingest-int' });
    trust = await startTrustFixture(env);
    app = await createIngestApp(configFor(), testLogger('ingest'));
    org = await trust.createOrg();
    mongo = await MongoConnection.connect({ uri: env.mongoUri, database, appName: 'ingest-int', logger: testLogger() });
    signals = await SignalRepository.create(mongo, testLogger());

    const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: uniqueName('ingest-int'), logger: testLogger() });
    dlq = await KafkaProducer.connect(kafka, testLogger());
    consumer = new KafkaConsumerRunner(kafka, {
      groupId: uniqueName('ingest-int'),
      topics: [Topics.submissions.name],
      fromBeginning: true,
      decode: (value) => SubmissionEvent.decode(value ?? Buffer.alloc(0)),
      handle: async (record) => {
        events.push(record);
      },
      deadLetters: dlq,
      logger: testLogger(),
    });
    await consumer.start();
  }, 90_000);

  afterAll(async () => {
    grpc?.close();
    await app?.close();
    await consumer?.stop();
    await dlq?.disconnect();
    await mongo?.db.dropDatabase();
    await mongo?.close();
    await trust?.close();
    await telemetry?.shutdown();
  }, 60_000);

  it('answers /healthz at once and /readyz 503 until started, then serves the OpenAPI document', async () => {
    expect((await http('/healthz', { method: 'GET' })).status).toBe(200);
    expect((await http('/readyz', { method: 'GET' })).status).toBe(503);
    expect((await http('/v1/contributions', { key: org.key, body: urlItem() })).status).toBe(503);
    await app.start();
    grpc = new IngestServiceClient(`127.0.0.1:${app.runtime.grpcPort}`, grpcCredentials.createInsecure());
    const ready = await http('/readyz', { method: 'GET' });
    expect(await ready.json()).toEqual({ ready: true, mongo: true, grpc: true });
    const doc = (await (await http('/v1/openapi.json', { method: 'GET' })).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/v1/contributions:batch');
  }, 60_000);

  it('makes an accepted contribution durable on the submissions topic, keyed by its signal id, continuing the caller’s trace', async () => {
    const traceId = hex(16);
    const traceparent = `00-${traceId}-${hex(8)}-01`;
    const res = await http('/v1/contributions', { key: org.key, body: urlItem({ evidenceNote: 'seen in placeholder case', validUntil: FUTURE }), headers: { traceparent } });
    expect(res.status).toBe(201);
    const { result } = (await res.json()) as { result: { contributionId: string; signalId: string; type: string; replayed: boolean } };
    expect(result).toMatchObject({ type: 'url', replayed: false });
    const record = await eventually(async () => events.find((e) => e.key === result.signalId));
    expect(record.value).toMatchObject({
      submitterOrgId: org.orgId,
      idempotencyKey: result.contributionId,
      action: { $case: 'contribution', value: { type: SignalType.SIGNAL_TYPE_URL, contribution: { contributionId: result.contributionId, signalId: result.signalId, contributorOrgId: org.orgId, evidenceNote: 'seen in placeholder case' } } },
    });
    expect(record.headers['traceparent']).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });

  describe('authentication and authorisation', () => {
    it('refuses calls without a valid key, on both transports', async () => {
      const missing = await http('/v1/contributions', { body: urlItem() });
      expect([missing.status, ((await missing.json()) as { error: { code: string } }).error.code]).toEqual([401, 'API_KEY_MISSING']);
      const wrong = await http('/v1/contributions:batch', { key: 'smk_000000000000_placeholderplaceholderplaceholder000000', body: [urlItem()] });
      expect(wrong.status).toBe(401);
      expect(await grpcFailure(rpc(grpc, 'submit', submitRequest(url())))).toMatchObject({ code: GrpcStatus.UNAUTHENTICATED, detail: 'API_KEY_MISSING' });
    });

    it('accepts the key as a bearer token too', async () => {
      expect((await http('/v1/contributions', { headers: { authorization: `Bearer ${org.key}` }, body: urlItem() })).status).toBe(201);
    });

    it('refuses what the trust service does not allow, with its code, and produces nothing', async () => {
      const lowTier = await trust.createOrg({ kind: OrganisationKind.ORGANISATION_KIND_NGO, tier: 2 });
      const pattern = { type: 'prompt-pattern', value: 'placeholder phrase', categories: ['prompt.aig-csam'], marking: 'GREEN', confidence: 50 };
      const tooLow = await http('/v1/contributions', { key: lowTier.key, body: pattern });
      expect([tooLow.status, ((await tooLow.json()) as { error: { code: string } }).error.code]).toEqual([403, 'TIER_TOO_LOW']);

      const searchEngine = await trust.createOrg({ kind: OrganisationKind.ORGANISATION_KIND_SEARCH_ENGINE, tier: 3 });
      const hash = { type: 'model-hash', value: `sha256:${hex(32)}`, categories: ['model.2c'], marking: 'GREEN', confidence: 50 };
      expect(await grpcFailure(rpc(grpc, 'submit', { ...submitRequest(''), contribution: { ...submitRequest('').contribution, signal: { type: SignalType.SIGNAL_TYPE_MODEL_HASH, value: hash.value, urlMatchScope: 0, patternKind: 0, hashAlgorithm: 0 }, categories: ['model.2c'] } }, searchEngine.key))).toMatchObject({
        code: GrpcStatus.PERMISSION_DENIED,
        detail: 'NOT_ENTITLED',
      });
      const redWithoutAudience = await http('/v1/contributions', { key: org.key, body: urlItem({ marking: 'RED' }) });
      expect(((await redWithoutAudience.json()) as { error: { code: string; field: string } }).error).toMatchObject({ code: 'NAMED_ORG_REQUIRED', field: 'namedOrgIds' });

      const subscribeOnly = await trust.issueKey(org.orgId, [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE]);
      const wrongScope = await http('/v1/contributions', { key: subscribeOnly, body: urlItem() });
      expect([wrongScope.status, ((await wrongScope.json()) as { error: { code: string } }).error.code]).toEqual([403, 'API_KEY_WRONG_SCOPE']);
      await sleep(1_000);
      expect(eventsOf(lowTier.orgId).concat(eventsOf(searchEngine.orgId))).toEqual([]);
    });
  });

  describe('idempotency', () => {
    it('replays a resubmission with the same key without creating anything new (REST)', async () => {
      const sender = await trust.createOrg();
      const body = urlItem({ idempotencyKey: 'case-42/item-1' });
      const first = await http('/v1/contributions', { key: sender.key, body });
      expect(first.status).toBe(201);
      const second = await http('/v1/contributions', { key: sender.key, body: { ...body, idempotencyKey: undefined }, headers: { 'idempotency-key': 'case-42/item-1' } });
      expect(second.status).toBe(200);
      const [a, b] = [(await first.json()) as { result: object }, (await second.json()) as { result: object }];
      expect(b.result).toEqual({ ...a.result, replayed: true });
      // At most a duplicate record of the same contribution, which dedup ignores.
      const seen = await settled(sender.orgId, 1);
      expect(new Set(contributionIds(sender.orgId))).toEqual(new Set([contributionIdFor(sender.orgId, 'case-42/item-1')]));
      expect(seen.length).toBeLessThanOrEqual(2);
    });

    it('refuses the same key with a different body (409 / ALREADY_EXISTS) and produces nothing for it', async () => {
      const sender = await trust.createOrg();
      const value = url();
      const ok = await rpc<SubmitResponse>(grpc, 'submit', submitRequest(value, 'k-1', 70), sender.key);
      expect(ok.result?.replayed).toBe(false);
      expect((await rpc<SubmitResponse>(grpc, 'submit', submitRequest(value, 'k-1', 70), sender.key)).result?.replayed).toBe(true);
      expect(await grpcFailure(rpc(grpc, 'submit', submitRequest(value, 'k-1', 71), sender.key))).toMatchObject({ code: GrpcStatus.ALREADY_EXISTS, detail: 'IDEMPOTENCY_KEY_REUSED' });
      const conflict = await http('/v1/contributions', { key: sender.key, body: { type: 'url', value, categories: ['service.nudify'], marking: 'GREEN', confidence: 72, idempotencyKey: 'k-1' } });
      expect([conflict.status, ((await conflict.json()) as { error: { code: string } }).error.code]).toEqual([409, 'IDEMPOTENCY_KEY_REUSED']);
      const seen = await settled(sender.orgId, 1);
      expect(seen.map((e) => (e.value.action?.$case === 'contribution' ? e.value.action.value.contribution?.confidence : undefined)).every((c) => c === 70)).toBe(true);
    });
  });

  describe('batches', () => {
    it('stores exactly the valid items of a mixed JSON batch and reports each invalid one with its code', async () => {
      const sender = await trust.createOrg();
      const items = [
        urlItem({ clientItemId: 'a' }),
        urlItem({ value: 'notaurl://', clientItemId: 'b' }),
        urlItem({ categories: ['model.2c'] }),
        { type: 'prompt-pattern', value: 'placeholder phrase', kind: 'regex', categories: ['prompt.aig-csam'], marking: 'AMBER_STRICT', namedOrgIds: [sender.orgId], confidence: 40 },
        urlItem({ confidence: 'high' }),
        urlItem({ colour: 'red' }),
        urlItem({ marking: 'CLEAR' }),
      ];
      const res = await http('/v1/contributions:batch', { key: sender.key, body: items, headers: { 'idempotency-key': `upload-${hex(4)}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { accepted: number; rejected: number; results: { index: number; clientItemId?: string; status: string; result?: { contributionId: string }; error?: { code: string } }[] };
      expect(body.results.map((r) => [r.index, r.status === 'accepted' ? 'ACCEPTED' : r.error?.code])).toEqual([
        [0, 'ACCEPTED'],
        [1, 'UNSUPPORTED_SCHEME'],
        [2, 'CATEGORY_TYPE_MISMATCH'],
        [3, 'ACCEPTED'],
        [4, 'INVALID_FIELD'],
        [5, 'UNKNOWN_FIELD'],
        [6, 'ACCEPTED'],
      ]);
      expect(body.results.slice(0, 2).map((r) => r.clientItemId)).toEqual(['a', 'b']);
      expect({ accepted: body.accepted, rejected: body.rejected }).toEqual({ accepted: 3, rejected: 4 });
      await settled(sender.orgId, 3);
      expect(contributionIds(sender.orgId).sort()).toEqual(body.results.filter((r) => r.result).map((r) => r.result?.contributionId).sort());
    });

    it('does the same for a CSV upload, numbering rows by line', async () => {
      const sender = await trust.createOrg();
      const csv = [
        'type,value,scope,categories,marking,named_orgs,confidence,valid_until,evidence_note',
        `url,${url()},domain,service.nudify;service.nudify.tutorial,GREEN,,90,${FUTURE},"seen in ""placeholder"" case"`,
        `url,${url()},,service.nudify,RED,,90,,`,
        `model-hash,sha256:${hex(32)},,model.2c,AMBER+STRICT,${sender.orgId},95,,`,
        `model-hash,sha256:abc,,model.2c,GREEN,,95,,`,
        `prompt-pattern,"placeholder phrase, with comma",,prompt.aig-csam,GREEN,,60,,`,
        `url,${url()},exact,service.nudify,GREEN,,ninety,,`,
        '',
      ].join('\r\n');
      const res = await http('/v1/contributions:batch', { key: sender.key, body: csv, type: 'text/csv; charset=utf-8' });
      const body = (await res.json()) as { results: { clientItemId: string; status: string; error?: { code: string } }[] };
      expect(body.results.map((r) => [r.clientItemId, r.status === 'accepted' ? 'ACCEPTED' : r.error?.code])).toEqual([
        ['2', 'ACCEPTED'],
        ['3', 'NAMED_ORG_REQUIRED'],
        ['4', 'ACCEPTED'],
        ['5', 'INVALID_HASH_LENGTH'],
        ['6', 'ACCEPTED'],
        ['7', 'INVALID_FIELD'],
      ]);
      expect(await settled(sender.orgId, 3)).toHaveLength(3);
    });

    it('refuses unreadable and oversized batches as a whole', async () => {
      const malformed = await http('/v1/contributions:batch', { key: org.key, body: 'type,value,colour\r\n', type: 'text/csv' });
      expect([malformed.status, ((await malformed.json()) as { error: { code: string } }).error.code]).toEqual([400, 'MALFORMED_CSV']);
      const json = await http('/v1/contributions:batch', { key: org.key, body: '[{"type":', type: 'application/json' });
      expect(((await json.json()) as { error: { code: string } }).error.code).toBe('MALFORMED_JSON');
      const xml = await http('/v1/contributions:batch', { key: org.key, body: '<items/>', type: 'application/xml' });
      expect(xml.status).toBe(415);
      const big = await http('/v1/contributions', { key: org.key, body: urlItem({ evidenceNote: 'x'.repeat(200_000) }) });
      expect([big.status, ((await big.json()) as { error: { code: string } }).error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    });

    it('streams results per item over gRPC, in request order', async () => {
      const sender = await trust.createOrg();
      const call = grpc.submitStream((() => {
        const metadata = new Metadata();
        metadata.set('x-api-key', sender.key);
        return metadata;
      })());
      const answers: SubmitStreamResponse[] = [];
      const done = new Promise<void>((resolve, reject) => {
        call.on('data', (r: SubmitStreamResponse) => answers.push(r));
        call.on('end', resolve);
        call.on('error', reject);
      });
      for (let i = 0; i < 20; i++) call.write({ ...submitRequest(i === 7 ? 'mailto:x@example.com' : url()), clientItemId: `row-${i}` });
      call.end();
      await done;
      expect(answers.map((a) => a.index)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
      expect(answers.filter((a) => a.outcome?.$case === 'rejected').map((a) => [a.clientItemId, a.outcome?.value && 'code' in a.outcome.value ? a.outcome.value.code : ''])).toEqual([['row-7', 'UNSUPPORTED_SCHEME']]);
      expect(await settled(sender.orgId, 19)).toHaveLength(19);
    });

    it('keeps order and answers every item of a stream longer than one chunk (backpressure between chunks)', async () => {
      const sender = await trust.createOrg();
      const metadata = new Metadata();
      metadata.set('x-api-key', sender.key);
      const call = grpc.submitStream(metadata);
      const answers: SubmitStreamResponse[] = [];
      const done = new Promise<void>((resolve, reject) => {
        call.on('data', (r: SubmitStreamResponse) => answers.push(r));
        call.on('end', resolve);
        call.on('error', reject);
      });
      const total = 1_200;
      for (let i = 0; i < total; i++) {
        // Respect the client side's flow control as a well-behaved bulk client does.
        if (!call.write({ ...submitRequest(url()), clientItemId: String(i) })) await new Promise((r) => call.once('drain', r));
      }
      call.end();
      await done;
      expect(answers.map((a) => Number(a.index))).toEqual(Array.from({ length: total }, (_, i) => i));
      expect(answers.every((a) => a.outcome?.$case === 'accepted' && a.clientItemId === a.index)).toBe(true);
      expect(await settled(sender.orgId, total)).toHaveLength(total);
    }, 60_000);

    it('refuses a batch of more than 10,000 items as a whole', async () => {
      const items = Array.from({ length: 10_001 }, () => ({ type: 'url', value: 'https://example.com/', categories: ['service.nudify'], marking: 'GREEN', confidence: 1 }));
      const res = await http('/v1/contributions:batch', { key: org.key, body: items });
      expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([413, 'BATCH_TOO_LARGE']);
    });
  });

  describe('revoke and dispute', () => {
    it('revokes an own stored contribution (durably) and refuses unknown ones with CONTRIBUTION_NOT_FOUND', async () => {
      const owner = await trust.createOrg();
      const contributionId = `ctb_${hex(16)}`;
      const record = storedRecord(validDraft(), { contributionId, contributorOrgId: owner.orgId });
      await signals.writeBatch([{ record, expectedVersion: undefined }]);

      const missing = await http(`/v1/contributions/ctb_${hex(16)}:revoke`, { key: owner.key, body: {} });
      expect([missing.status, ((await missing.json()) as { error: { code: string } }).error.code]).toEqual([404, 'CONTRIBUTION_NOT_FOUND']);
      const other = await trust.createOrg();
      expect(await grpcFailure(rpc(grpc, 'revoke', { contributionId, reason: '' }, other.key))).toMatchObject({ code: GrpcStatus.PERMISSION_DENIED });

      const res = await http(`/v1/contributions/${contributionId}:revoke`, { key: owner.key, body: { reason: 'false positive' } });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ contributionId, signalId: record.signalId });
      const revoked = await rpc<RevokeResponse>(grpc, 'revoke', { contributionId, reason: '' }, owner.key);
      expect(revoked.signalId).toBe(record.signalId);
      const seen = await settled(owner.orgId, 2);
      expect(seen.map((e) => [e.key, e.value.action?.$case])).toEqual([
        [record.signalId, 'revocation'],
        [record.signalId, 'revocation'],
      ]);
    });

    it('disputes a visible signal and answers SIGNAL_NOT_FOUND for one the caller may not see', async () => {
      const contributor = await trust.createOrg();
      const disputer = await trust.createOrg();
      const stranger = await trust.createOrg();
      const visible = storedRecord(validDraft({ marking: 'AMBER_STRICT', namedOrgIds: [disputer.orgId] }), { contributionId: `ctb_${hex(16)}`, contributorOrgId: contributor.orgId, marking: 'AMBER_STRICT', namedOrgIds: [disputer.orgId] });
      await signals.writeBatch([{ record: visible, expectedVersion: undefined }]);

      const hidden = await http(`/v1/signals/${visible.signalId}:dispute`, { key: stranger.key, body: { reason: 'a photo editor', marking: 'GREEN', confidence: 60 } });
      expect([hidden.status, ((await hidden.json()) as { error: { code: string } }).error.code]).toEqual([404, 'SIGNAL_NOT_FOUND']);
      const unknown = await http(`/v1/signals/url_${hex(16)}:dispute`, { key: disputer.key, body: { reason: 'a photo editor', marking: 'GREEN', confidence: 60 } });
      expect(unknown.status).toBe(404);
      const noReason = await http(`/v1/signals/${visible.signalId}:dispute`, { key: disputer.key, body: { marking: 'GREEN', confidence: 60 } });
      expect(((await noReason.json()) as { error: { code: string; field: string } }).error).toEqual(expect.objectContaining({ code: 'DISPUTE_REASON_REQUIRED', field: 'reason' }));

      const res = await http(`/v1/signals/${visible.signalId}:dispute`, { key: disputer.key, body: { reason: 'a photo editor', marking: 'GREEN', confidence: 60, idempotencyKey: 'dispute-1' } });
      expect(res.status).toBe(201);
      const replay = await rpc<DisputeResponse>(grpc, 'dispute', { signalId: visible.signalId, reason: 'a photo editor', marking: TlpMarking.TLP_MARKING_GREEN, sharingGroupIds: [], namedOrgIds: [], confidence: 60, idempotencyKey: 'dispute-1' }, disputer.key);
      expect(replay.contributionId).toBe(contributionIdFor(disputer.orgId, 'dispute-1'));
      const [event] = await settled(disputer.orgId, 1);
      expect(event.key).toBe(visible.signalId);
      expect(event.value.action).toMatchObject({ $case: 'contribution', value: { contribution: { opinion: 2, disputeReason: 'a photo editor', contributorOrgId: disputer.orgId } } });
    });
  });

  it('limits each organisation’s rate: 429 with Retry-After, RESOURCE_EXHAUSTED with a retry trailer', async () => {
    const limited = await createIngestApp(configFor({ INGEST_RATE_BURST: '2', INGEST_RATE_ITEMS_PER_SECOND: '0.2' }), testLogger('ingest-limited'));
    await limited.start();
    const client = new IngestServiceClient(`127.0.0.1:${limited.runtime.grpcPort}`, grpcCredentials.createInsecure());
    try {
      const sender = await trust.createOrg();
      const batch = await http('/v1/contributions:batch', { port: limited.httpPort, key: sender.key, body: [urlItem(), urlItem(), urlItem()] });
      expect(batch.status).toBe(200);
      // 0.2 items/s: the next item is about 5 s away (a little less if the calls were slow).
      expect(batch.headers.get('retry-after')).toMatch(/^[3-5]$/);
      expect(((await batch.json()) as { results: { error?: { code: string } }[] }).results.map((r) => r.error?.code ?? 'ACCEPTED')).toEqual(['ACCEPTED', 'ACCEPTED', 'RATE_LIMITED']);
      const single = await http('/v1/contributions', { port: limited.httpPort, key: sender.key, body: urlItem() });
      expect([single.status, ((await single.json()) as { error: { code: string } }).error.code]).toEqual([429, 'RATE_LIMITED']);
      expect(single.headers.get('retry-after')).toMatch(/^[3-5]$/);
      expect(await grpcFailure(rpc(client, 'submit', submitRequest(url()), sender.key))).toEqual({ code: GrpcStatus.RESOURCE_EXHAUSTED, detail: 'RATE_LIMITED', retryAfter: expect.stringMatching(/^[3-5]$/) });
      // Another organisation has its own bucket.
      expect((await http('/v1/contributions', { port: limited.httpPort, key: org.key, body: urlItem() })).status).toBe(201);
    } finally {
      client.close();
      await limited.close();
    }
  }, 60_000);

  it('removes idempotency keys past their retention (24 h by default) and keeps newer ones', async () => {
    const keys = await IdempotencyRepository.create(mongo);
    const result = { contributionId: `ctb_${hex(16)}`, signalId: `url_${hex(16)}`, type: 'url', canonical: 'example.com' };
    await keys.reserve('org_retention', { key: 'old', bodyHash: hex(32), result, createdAt: new Date(Date.now() - 25 * 60 * 60 * 1000) });
    await keys.reserve('org_retention', { key: 'new', bodyHash: hex(32), result, createdAt: new Date(Date.now() - 60 * 60 * 1000) });
    expect(await app.runtime.removeExpiredKeys()).toBeGreaterThanOrEqual(1);
    expect(await keys.find('org_retention', 'old')).toBeUndefined();
    expect(await keys.find('org_retention', 'new')).toBeDefined();
  });

  it('drains and stops: probes turn 503, calls answer UNAVAILABLE', async () => {
    const other = await createIngestApp(configFor(), testLogger('ingest-stop'));
    await other.start();
    await other.runtime.stop();
    expect((await http('/readyz', { method: 'GET', port: other.httpPort })).status).toBe(503);
    const late = await http('/v1/contributions', { port: other.httpPort, key: org.key, body: urlItem() });
    expect([late.status, ((await late.json()) as { error: { code: string } }).error.code]).toEqual([503, 'NOT_READY']);
    await other.close();
  }, 30_000);
});

function validDraft(overrides: Record<string, unknown> = {}) {
  const draft = { signal: { type: 'url', value: `https://nudify-${hex(4)}.example.com/`, scope: 'host' }, categories: ['service.nudify'], marking: 'GREEN', confidence: 80, ...overrides };
  // Fails fast if the fixture itself is invalid.
  validateContribution(draft, { now: new Date() });
  return draft;
}
