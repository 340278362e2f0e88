import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import {
  ApiKeyScope,
  type AuthenticateResponse,
  type CreateOrganisationResponse,
  type IssueApiKeyResponse,
  OrganisationKind,
  Topics,
  TrustChangeEvent,
  TrustChangeKind,
  TrustServiceClient,
} from '@signal-mesh/contracts';
import { MongoConnection } from '@signal-mesh/data-access-mongo';
import { eventually, integrationEnv, testLogger, uniqueName } from '@signal-mesh/testing';
import { grpcCredentials, Metadata, readErrorDetail, type ServiceError } from '@signal-mesh/transport-grpc';
import { createKafka, KafkaConsumerRunner, KafkaProducer } from '@signal-mesh/transport-kafka';
import { AuditLogRepository } from '@signal-mesh/trust-data-access';
import { generateApiKey } from '@signal-mesh/trust-domain';
import { createLogger } from '@signal-mesh/util-logging';

import { loadTrustConfig } from './config';
import { createTrustApp, type TrustApp } from './trust-app';

const GRPC_UNAUTHENTICATED = 16;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_RESOURCE_EXHAUSTED = 8;

type Rpc = 'authenticate' | 'createOrganisation' | 'issueApiKey' | 'revokeApiKey' | 'suspendOrganisation' | 'reinstateOrganisation' | 'setTrustTier';
type Unary = (req: object, metadata: Metadata, cb: (err: ServiceError | null, res: unknown) => void) => unknown;

describe('trust service (in-process, real Kafka and FerretDB)', () => {
  const stackEnv = integrationEnv();
  const database = uniqueName('trust-int').replace(/-/g, '_');
  const logLines: string[] = [];
  const secrets: string[] = [];
  let keyFile: string;
  let app: TrustApp;
  let client: TrustServiceClient;
  let operatorKey: string;
  const events: TrustChangeEvent[] = [];
  let consumer: KafkaConsumerRunner<TrustChangeEvent>;
  let dlqProducer: KafkaProducer;
  let closed = false;

  const http = (path: string) => fetch(`http://127.0.0.1:${app.httpPort}${path}`);

  function rpc<Res = unknown>(name: Rpc, req: object, apiKey?: string): Promise<Res> {
    const metadata = new Metadata();
    if (apiKey) metadata.set('x-api-key', apiKey);
    const method = client[name] as unknown as Unary;
    return new Promise((resolve, reject) => method.call(client, req, metadata, (err, res) => (err ? reject(err) : resolve(res as Res))));
  }
  const failure = async (promise: Promise<unknown>) => {
    const err = (await promise.then(() => undefined, (e: ServiceError) => e)) as ServiceError | undefined;
    if (!err) throw new Error('expected the call to fail');
    return { code: err.code, detail: readErrorDetail(err)?.code };
  };
  const authenticate = (caller: string, presented: string) => rpc<AuthenticateResponse>('authenticate', { apiKey: presented }, caller);
  const createOrg = (caller: string, name = uniqueName('org')) => rpc<CreateOrganisationResponse>('createOrganisation', { name, kind: OrganisationKind.ORGANISATION_KIND_PLATFORM, tier: 2 }, caller);
  const issueKey = async (caller: string, orgId: string, scopes: ApiKeyScope[]) => {
    const res = await rpc<IssueApiKeyResponse>('issueApiKey', { orgId, label: 'test', scopes, expiresAt: undefined }, caller);
    secrets.push(res.secret);
    return res;
  };

  beforeAll(async () => {
    keyFile = join(await mkdtemp(join(tmpdir(), 'trust-int-')), 'keys', 'operator-key');
    const config = loadTrustConfig({
      KAFKA_BROKERS: stackEnv.kafkaBrokers.join(','),
      MONGODB_URI: stackEnv.mongoUri,
      MONGODB_DATABASE: database,
      GRPC_PORT: '0',
      HTTP_PORT: '0',
      SHUTDOWN_GRACE_MS: '2000',
      LOG_LEVEL: 'debug',
      TRUST_OPERATOR_KEY_FILE: keyFile,
      TRUST_AUTH_FAILURE_BURST: '3',
      TRUST_KEY_USE_FLUSH_MS: '600000',
    });
    const destination = new Writable({
      write(chunk, _enc, done) {
        logLines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    app = await createTrustApp(config, createLogger({ service: 'trust', level: 'debug', destination }));

    const kafka = createKafka({ brokers: stackEnv.kafkaBrokers, clientId: uniqueName('trust-int'), logger: testLogger() });
    dlqProducer = await KafkaProducer.connect(kafka, testLogger());
    consumer = new KafkaConsumerRunner(kafka, {
      groupId: uniqueName('trust-int'),
      topics: [Topics.trustChanges.name],
      fromBeginning: true,
      decode: (value) => TrustChangeEvent.decode(value ?? Buffer.alloc(0)),
      handle: async (record) => {
        events.push(record.value);
      },
      deadLetters: dlqProducer,
      logger: testLogger(),
    });
    await consumer.start();
  }, 60_000);

  afterAll(async () => {
    client?.close();
    if (!closed) await app?.close();
    await consumer?.stop();
    await dlqProducer?.disconnect();
  }, 60_000);

  it('answers /healthz at once and /readyz 503 until started, then 200', async () => {
    expect((await http('/healthz')).status).toBe(200);
    const before = await http('/readyz');
    expect(before.status).toBe(503);
    expect(await before.json()).toMatchObject({ ready: false, grpc: false });

    await app.start();
    client = new TrustServiceClient(`127.0.0.1:${app.runtime.grpcPort}`, grpcCredentials.createInsecure());
    const after = await http('/readyz');
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ ready: true, mongo: true, grpc: true });
  }, 60_000);

  it('bootstraps an operator whose ADMIN key is in a 0600 file, and logs only the path', async () => {
    operatorKey = (await readFile(keyFile, 'utf8')).trim();
    secrets.push(operatorKey);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const { principal } = await authenticate(operatorKey, operatorKey);
    expect(principal).toMatchObject({ orgKind: OrganisationKind.ORGANISATION_KIND_OPERATOR, scopes: [ApiKeyScope.API_KEY_SCOPE_ADMIN], tier: 4 });
    expect(logLines.some((line) => line.includes(keyFile))).toBe(true);
  });

  it('refuses calls without a caller key in metadata, even when the request carries a good key', async () => {
    expect(await failure(authenticate('', operatorKey))).toEqual({ code: GRPC_UNAUTHENTICATED, detail: 'API_KEY_MISSING' });
  });

  it('creates an organisation and publishes its TrustChangeEvent after the write', async () => {
    const { organisation } = await createOrg(operatorKey);
    const orgId = organisation?.orgId ?? '';
    expect(orgId).toMatch(/^org_/);
    const event = await eventually(async () => events.find((e) => e.entityId === `organisation/${orgId}`), { what: 'the TrustChangeEvent' });
    expect(event).toMatchObject({ change: TrustChangeKind.TRUST_CHANGE_KIND_CREATED, entity: { $case: 'organisation', value: { orgId, tier: 2 } } });
    expect(event.actorOrgId).not.toBe('');
  });

  it('lets only ADMIN keys of an OPERATOR organisation administer', async () => {
    const { organisation } = await createOrg(operatorKey);
    const memberAdmin = await issueKey(operatorKey, organisation?.orgId ?? '', [ApiKeyScope.API_KEY_SCOPE_ADMIN]);
    expect(memberAdmin.apiKey?.keyId).toHaveLength(12);
    expect(await failure(createOrg(memberAdmin.secret))).toEqual({ code: GRPC_PERMISSION_DENIED, detail: 'NOT_OPERATOR' });

    const operatorOrgId = (await authenticate(operatorKey, operatorKey)).principal?.orgId ?? '';
    const operatorContributor = await issueKey(operatorKey, operatorOrgId, [ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE]);
    expect(await failure(createOrg(operatorContributor.secret))).toEqual({ code: GRPC_PERMISSION_DENIED, detail: 'API_KEY_WRONG_SCOPE' });
    // A non-admin may still authenticate itself: only administration is refused.
    expect((await authenticate(memberAdmin.secret, memberAdmin.secret)).principal?.orgId).toBe(organisation?.orgId);
  });

  it('answers UNAUTHENTICATED with the coded reason for wrong and revoked keys', async () => {
    const { organisation } = await createOrg(operatorKey);
    const issued = await issueKey(operatorKey, organisation?.orgId ?? '', [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE]);
    const wrongSecret = `${issued.secret.slice(0, -43)}${generateApiKey().secret}`;
    expect(await failure(authenticate(operatorKey, wrongSecret))).toEqual({ code: GRPC_UNAUTHENTICATED, detail: 'API_KEY_INVALID' });
    expect(await failure(authenticate(operatorKey, 'not-a-key'))).toEqual({ code: GRPC_UNAUTHENTICATED, detail: 'API_KEY_MALFORMED' });

    await rpc('revokeApiKey', { keyId: issued.apiKey?.keyId ?? '' }, operatorKey);
    expect(await failure(authenticate(operatorKey, issued.secret))).toEqual({ code: GRPC_UNAUTHENTICATED, detail: 'API_KEY_REVOKED' });
    expect(await failure(authenticate(issued.secret, operatorKey))).toEqual({ code: GRPC_UNAUTHENTICATED, detail: 'API_KEY_REVOKED' });
  });

  it('cuts a suspended organisation off at once and restores it on reinstatement', async () => {
    const { organisation } = await createOrg(operatorKey);
    const orgId = organisation?.orgId ?? '';
    const issued = await issueKey(operatorKey, orgId, [ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE]);
    expect((await authenticate(operatorKey, issued.secret)).principal?.orgId).toBe(orgId);

    await rpc('suspendOrganisation', { orgId, reason: 'unreliable contributions' }, operatorKey);
    expect(await failure(authenticate(operatorKey, issued.secret))).toEqual({ code: GRPC_UNAUTHENTICATED, detail: 'ORGANISATION_SUSPENDED' });

    await rpc('reinstateOrganisation', { orgId }, operatorKey);
    expect((await authenticate(operatorKey, issued.secret)).principal?.orgId).toBe(orgId);
  });

  it('throttles repeated failures for one key id with RESOURCE_EXHAUSTED', async () => {
    const guessed = generateApiKey();
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await failure(authenticate(operatorKey, guessed.apiKey)));
    expect(results.slice(0, 3)).toEqual(Array(3).fill({ code: GRPC_UNAUTHENTICATED, detail: 'API_KEY_INVALID' }));
    expect(results.slice(3)).toEqual(Array(2).fill({ code: GRPC_RESOURCE_EXHAUSTED, detail: 'TOO_MANY_ATTEMPTS' }));
  });

  it('leaves the other RPCs UNIMPLEMENTED', async () => {
    expect((await failure(rpc('setTrustTier', { orgId: 'x', tier: 2 }, operatorKey))).code).toBe(12);
  });

  it('shuts down gracefully; the audit chain verifies and holds changes, denials and key uses', async () => {
    await app.close();
    closed = true;
    await expect(http('/healthz')).rejects.toThrow();

    const mongo = await MongoConnection.connect({ uri: stackEnv.mongoUri, database, appName: 'trust-int', logger: testLogger() });
    try {
      const audit = new AuditLogRepository(mongo);
      expect(await audit.verify()).toMatchObject({ ok: true });
      const records = await audit.tail(500);
      const actions = (outcome: string) => new Set(records.filter((r) => r.outcome === outcome).map((r) => r.action));
      expect([...actions('CHANGED')]).toEqual(expect.arrayContaining(['org.create', 'key.issue', 'key.revoke', 'org.suspend', 'org.reinstate']));
      expect([...actions('DENIED')]).toEqual(expect.arrayContaining(['rpc.Authenticate', 'rpc.CreateOrganisation', 'auth.authenticate']));
      const denialCodes = new Set(records.filter((r) => r.outcome === 'DENIED').map((r) => r.details?.['code']));
      expect([...denialCodes]).toEqual(expect.arrayContaining(['API_KEY_MISSING', 'NOT_OPERATOR', 'API_KEY_WRONG_SCOPE', 'API_KEY_INVALID', 'API_KEY_REVOKED', 'ORGANISATION_SUSPENDED', 'TOO_MANY_ATTEMPTS']));
      // Key uses are aggregated per key and use, and flushed on shutdown.
      const uses = records.filter((r) => r.action === 'key.use');
      const operatorKeyId = operatorKey.slice('smk_'.length, 'smk_'.length + 12);
      expect(uses.find((r) => r.keyId === operatorKeyId && r.subject === 'rpc.CreateOrganisation')?.details?.['count']).toBe(4);
      expect(JSON.stringify(records)).not.toMatch(/smk_/);
    } finally {
      await mongo.close();
    }
  }, 60_000);

  it('never writes an API key to the logs', () => {
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    const text = logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(10);
    for (const secret of secrets) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice(-43));
    }
    expect(text).not.toMatch(/smk_[a-z2-7]{12}_/);
  });
});
