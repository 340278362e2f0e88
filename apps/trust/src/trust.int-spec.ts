import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import {
  Action,
  ApiKeyScope,
  type AuthenticateResponse,
  type AuthorizeResponse,
  Contribution,
  type CreateOrganisationResponse,
  type CreateSharingGroupResponse,
  type GetViewResponse,
  type IssueApiKeyResponse,
  Opinion,
  OrganisationKind,
  Resource,
  type RotateApiKeyResponse,
  type SetEntitlementsResponse,
  type SetTrustTierResponse,
  Signal,
  SignalType,
  TlpMarking,
  Topics,
  TrustChangeEvent,
  TrustChangeKind,
  TrustServiceClient,
} from '@signal-mesh/contracts';
import { MongoConnection } from '@signal-mesh/data-access-mongo';
import { eventually, integrationEnv, testLogger, uniqueName } from '@signal-mesh/testing';
import { grpcCredentials, GrpcStatus, Metadata, readErrorDetail, type ServiceError } from '@signal-mesh/transport-grpc';
import { createKafka, KafkaConsumerRunner, KafkaProducer } from '@signal-mesh/transport-kafka';
import { AuditLogRepository } from '@signal-mesh/trust-data-access';
import { generateApiKey } from '@signal-mesh/trust-domain';
import { createLogger } from '@signal-mesh/util-logging';

import { loadTrustConfig } from './config';
import type { ImplementedRpc } from './trust.grpc-service';
import { createTrustApp, type TrustApp } from './trust-app';


type Rpc = ImplementedRpc;
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
  const eventFor = (entityId: string, version?: string) =>
    eventually(async () => events.find((e) => e.entityId === entityId && (version === undefined || e.version === version)), { what: `the event for ${entityId}` });
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
    expect(await failure(authenticate('', operatorKey))).toEqual({ code: GrpcStatus.UNAUTHENTICATED, detail: 'API_KEY_MISSING' });
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
    expect(await failure(createOrg(memberAdmin.secret))).toEqual({ code: GrpcStatus.PERMISSION_DENIED, detail: 'NOT_OPERATOR' });

    const operatorOrgId = (await authenticate(operatorKey, operatorKey)).principal?.orgId ?? '';
    const operatorContributor = await issueKey(operatorKey, operatorOrgId, [ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE]);
    expect(await failure(createOrg(operatorContributor.secret))).toEqual({ code: GrpcStatus.PERMISSION_DENIED, detail: 'API_KEY_WRONG_SCOPE' });
    // A non-admin may still authenticate itself: only administration is refused.
    expect((await authenticate(memberAdmin.secret, memberAdmin.secret)).principal?.orgId).toBe(organisation?.orgId);
  });

  it('answers UNAUTHENTICATED with the coded reason for wrong and revoked keys', async () => {
    const { organisation } = await createOrg(operatorKey);
    const issued = await issueKey(operatorKey, organisation?.orgId ?? '', [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE]);
    const wrongSecret = `${issued.secret.slice(0, -43)}${generateApiKey().secret}`;
    expect(await failure(authenticate(operatorKey, wrongSecret))).toEqual({ code: GrpcStatus.UNAUTHENTICATED, detail: 'API_KEY_INVALID' });
    expect(await failure(authenticate(operatorKey, 'not-a-key'))).toEqual({ code: GrpcStatus.UNAUTHENTICATED, detail: 'API_KEY_MALFORMED' });

    await rpc('revokeApiKey', { keyId: issued.apiKey?.keyId ?? '' }, operatorKey);
    expect(await failure(authenticate(operatorKey, issued.secret))).toEqual({ code: GrpcStatus.UNAUTHENTICATED, detail: 'API_KEY_REVOKED' });
    expect(await failure(authenticate(issued.secret, operatorKey))).toEqual({ code: GrpcStatus.UNAUTHENTICATED, detail: 'API_KEY_REVOKED' });
  });

  it('cuts a suspended organisation off at once and restores it on reinstatement', async () => {
    const { organisation } = await createOrg(operatorKey);
    const orgId = organisation?.orgId ?? '';
    const issued = await issueKey(operatorKey, orgId, [ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE]);
    expect((await authenticate(operatorKey, issued.secret)).principal?.orgId).toBe(orgId);

    await rpc('suspendOrganisation', { orgId, reason: 'unreliable contributions' }, operatorKey);
    expect(await failure(authenticate(operatorKey, issued.secret))).toEqual({ code: GrpcStatus.UNAUTHENTICATED, detail: 'ORGANISATION_SUSPENDED' });

    await rpc('reinstateOrganisation', { orgId }, operatorKey);
    expect((await authenticate(operatorKey, issued.secret)).principal?.orgId).toBe(orgId);
  });

  it('throttles repeated failures for one key id with RESOURCE_EXHAUSTED', async () => {
    const guessed = generateApiKey();
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await failure(authenticate(operatorKey, guessed.apiKey)));
    expect(results.slice(0, 3)).toEqual(Array(3).fill({ code: GrpcStatus.UNAUTHENTICATED, detail: 'API_KEY_INVALID' }));
    expect(results.slice(3)).toEqual(Array(2).fill({ code: GrpcStatus.RESOURCE_EXHAUSTED, detail: 'TOO_MANY_ATTEMPTS' }));
  });

  describe('operator admin ops: tiers, sharing groups, entitlements', () => {
    it('changes a tier, audited and published, and refuses bad tiers and unknown organisations', async () => {
      const { organisation } = await createOrg(operatorKey);
      const orgId = organisation?.orgId ?? '';
      const res = await rpc<SetTrustTierResponse>('setTrustTier', { orgId, tier: 3 }, operatorKey);
      expect(res.organisation).toMatchObject({ orgId, tier: 3 });
      const event = await eventFor(`organisation/${orgId}`, String(res.organisation?.updatedAt?.getTime()));
      expect(event).toMatchObject({ change: TrustChangeKind.TRUST_CHANGE_KIND_UPDATED, entity: { $case: 'organisation', value: { orgId, tier: 3 } } });
      expect(await failure(rpc('setTrustTier', { orgId, tier: 0 }, operatorKey))).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, detail: 'INVALID_ARGUMENT' });
      expect(await failure(rpc('setTrustTier', { orgId, tier: 5 }, operatorKey))).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, detail: 'INVALID_ARGUMENT' });
      expect(await failure(rpc('setTrustTier', { orgId: 'org_missing', tier: 2 }, operatorKey))).toEqual({ code: GrpcStatus.NOT_FOUND, detail: 'ORGANISATION_NOT_FOUND' });
    });

    it('creates a sharing group and changes its members, each change published with the full group', async () => {
      const a = (await createOrg(operatorKey)).organisation?.orgId ?? '';
      const b = (await createOrg(operatorKey)).organisation?.orgId ?? '';
      const created = (await rpc<CreateSharingGroupResponse>('createSharingGroup', { name: uniqueName('group'), description: 'csam hotlines', memberOrgIds: [a] }, operatorKey)).sharingGroup;
      const groupId = created?.groupId ?? '';
      expect(created).toMatchObject({ memberOrgIds: [a], description: 'csam hotlines' });
      expect(await eventFor(`sharing-group/${groupId}`)).toMatchObject({ change: TrustChangeKind.TRUST_CHANGE_KIND_CREATED, entity: { $case: 'sharingGroup', value: { memberOrgIds: [a] } } });

      const added = (await rpc<CreateSharingGroupResponse>('addGroupMember', { groupId, orgId: b }, operatorKey)).sharingGroup;
      expect(added?.memberOrgIds).toEqual([a, b]);
      const removed = (await rpc<CreateSharingGroupResponse>('removeGroupMember', { groupId, orgId: a }, operatorKey)).sharingGroup;
      expect(removed?.memberOrgIds).toEqual([b]);
      const last = await eventFor(`sharing-group/${groupId}`, String(removed?.updatedAt?.getTime()));
      expect(last).toMatchObject({ change: TrustChangeKind.TRUST_CHANGE_KIND_UPDATED, entity: { $case: 'sharingGroup', value: { memberOrgIds: [b] } } });

      expect(await failure(rpc('addGroupMember', { groupId: 'grp_missing', orgId: b }, operatorKey))).toEqual({ code: GrpcStatus.NOT_FOUND, detail: 'SHARING_GROUP_NOT_FOUND' });
      expect(await failure(rpc('addGroupMember', { groupId, orgId: 'org_missing' }, operatorKey))).toEqual({ code: GrpcStatus.NOT_FOUND, detail: 'ORGANISATION_NOT_FOUND' });
      expect(await failure(rpc('createSharingGroup', { name: uniqueName('group'), description: '', memberOrgIds: ['org_missing'] }, operatorKey))).toEqual({ code: GrpcStatus.NOT_FOUND, detail: 'ORGANISATION_NOT_FOUND' });
      expect(await failure(rpc('createSharingGroup', { name: created?.name, description: '', memberOrgIds: [] }, operatorKey))).toMatchObject({ detail: 'DUPLICATE_KEY' });
    });

    it('replaces entitlements and publishes them keyed entitlements/<orgId>', async () => {
      const orgId = (await createOrg(operatorKey)).organisation?.orgId ?? '';
      const entitlements = { orgId, receive: [{ signalType: SignalType.SIGNAL_TYPE_URL, categories: ['service.nudify'] }], contribute: [] };
      const res = await rpc<SetEntitlementsResponse>('setEntitlements', { entitlements }, operatorKey);
      expect(res.entitlements).toEqual(entitlements);
      expect(await eventFor(`entitlements/${orgId}`)).toMatchObject({ entity: { $case: 'entitlements', value: entitlements } });
      const badType = { ...entitlements, receive: [{ signalType: SignalType.SIGNAL_TYPE_UNSPECIFIED, categories: [] }] };
      expect(await failure(rpc('setEntitlements', { entitlements: badType }, operatorKey))).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, detail: 'INVALID_ARGUMENT' });
      expect(await failure(rpc('setEntitlements', { entitlements: { ...entitlements, orgId: 'org_missing' } }, operatorKey))).toEqual({ code: GrpcStatus.NOT_FOUND, detail: 'ORGANISATION_NOT_FOUND' });
    });

    it('refuses every admin op to a member ADMIN key and to an operator key without ADMIN', async () => {
      const orgId = (await createOrg(operatorKey)).organisation?.orgId ?? '';
      const member = await issueKey(operatorKey, orgId, [ApiKeyScope.API_KEY_SCOPE_ADMIN]);
      const operatorOrgId = (await authenticate(operatorKey, operatorKey)).principal?.orgId ?? '';
      const subscriber = await issueKey(operatorKey, operatorOrgId, [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE]);
      const calls: [Rpc, object][] = [
        ['setTrustTier', { orgId, tier: 4 }],
        ['createSharingGroup', { name: uniqueName('group'), description: '', memberOrgIds: [orgId] }],
        ['addGroupMember', { groupId: 'grp_x', orgId }],
        ['removeGroupMember', { groupId: 'grp_x', orgId }],
        ['setEntitlements', { entitlements: { orgId, receive: [{ signalType: SignalType.SIGNAL_TYPE_URL, categories: [] }], contribute: [] } }],
      ];
      for (const [name, req] of calls) {
        expect(await failure(rpc(name, req, member.secret))).toEqual({ code: GrpcStatus.PERMISSION_DENIED, detail: 'NOT_OPERATOR' });
        expect(await failure(rpc(name, req, subscriber.secret))).toEqual({ code: GrpcStatus.PERMISSION_DENIED, detail: 'API_KEY_WRONG_SCOPE' });
        expect(await failure(rpc(name, req))).toEqual({ code: GrpcStatus.UNAUTHENTICATED, detail: 'API_KEY_MISSING' });
      }
    });
  });

  describe('RotateApiKey', () => {
    it("lets an organisation's ADMIN key rotate its own keys: new secret once, old key revoked at once", async () => {
      const orgId = (await createOrg(operatorKey)).organisation?.orgId ?? '';
      const admin = await issueKey(operatorKey, orgId, [ApiKeyScope.API_KEY_SCOPE_ADMIN]);
      const worker = await issueKey(operatorKey, orgId, [ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE]);
      const rotated = await rpc<RotateApiKeyResponse>('rotateApiKey', { keyId: worker.apiKey?.keyId }, admin.secret);
      secrets.push(rotated.secret);
      expect(rotated.newApiKey).toMatchObject({ orgId, label: 'test', scopes: [ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE] });
      expect(rotated.newApiKey?.keyId).not.toBe(worker.apiKey?.keyId);
      expect(rotated.oldApiKey?.revokedAt).toBeInstanceOf(Date);
      expect((await authenticate(operatorKey, rotated.secret)).principal?.keyId).toBe(rotated.newApiKey?.keyId);
      expect(await failure(authenticate(operatorKey, worker.secret))).toEqual({ code: GrpcStatus.UNAUTHENTICATED, detail: 'API_KEY_REVOKED' });
      expect(await eventFor(`api-key/${worker.apiKey?.keyId}`, '3')).toMatchObject({ change: TrustChangeKind.TRUST_CHANGE_KIND_UPDATED });
      expect(await eventFor(`api-key/${rotated.newApiKey?.keyId}`, '1')).toMatchObject({ change: TrustChangeKind.TRUST_CHANGE_KIND_CREATED });
      // A revoked key is not rotated again.
      expect(await failure(rpc('rotateApiKey', { keyId: worker.apiKey?.keyId }, operatorKey))).toEqual({ code: GrpcStatus.FAILED_PRECONDITION, detail: 'API_KEY_NOT_ROTATABLE' });
    });

    it('lets an operator rotate any key with a grace period, during which the old key still works', async () => {
      const orgId = (await createOrg(operatorKey)).organisation?.orgId ?? '';
      const worker = await issueKey(operatorKey, orgId, [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE]);
      const rotated = await rpc<RotateApiKeyResponse>('rotateApiKey', { keyId: worker.apiKey?.keyId, gracePeriod: { seconds: '3600', nanos: 0 } }, operatorKey);
      secrets.push(rotated.secret);
      expect(rotated.oldApiKey?.revokedAt).toBeUndefined();
      expect(rotated.oldApiKey?.expiresAt?.getTime()).toBeGreaterThan(Date.now() + 3_500_000);
      expect((await authenticate(operatorKey, worker.secret)).principal?.orgId).toBe(orgId);
      expect((await authenticate(operatorKey, rotated.secret)).principal?.orgId).toBe(orgId);
      expect(await failure(rpc('rotateApiKey', { keyId: worker.apiKey?.keyId, gracePeriod: { seconds: '-1', nanos: 0 } }, operatorKey))).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, detail: 'INVALID_ARGUMENT' });
      expect(await failure(rpc('rotateApiKey', { keyId: 'aaaaaaaaaaaa' }, operatorKey))).toEqual({ code: GrpcStatus.NOT_FOUND, detail: 'API_KEY_NOT_FOUND' });
    });

    it("refuses another organisation's ADMIN key (unknown keys alike) and non-ADMIN keys, even for their own keys", async () => {
      const mine = (await createOrg(operatorKey)).organisation?.orgId ?? '';
      const theirs = (await createOrg(operatorKey)).organisation?.orgId ?? '';
      const target = await issueKey(operatorKey, mine, [ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE]);
      const otherAdmin = await issueKey(operatorKey, theirs, [ApiKeyScope.API_KEY_SCOPE_ADMIN]);
      const keyId = target.apiKey?.keyId;
      expect(await failure(rpc('rotateApiKey', { keyId }, otherAdmin.secret))).toEqual({ code: GrpcStatus.PERMISSION_DENIED, detail: 'NOT_KEY_OWNER' });
      expect(await failure(rpc('rotateApiKey', { keyId: 'aaaaaaaaaaaa' }, otherAdmin.secret))).toEqual({ code: GrpcStatus.PERMISSION_DENIED, detail: 'NOT_KEY_OWNER' });
      expect(await failure(rpc('rotateApiKey', { keyId }, target.secret))).toEqual({ code: GrpcStatus.PERMISSION_DENIED, detail: 'API_KEY_WRONG_SCOPE' });
      // Refusals changed nothing.
      expect((await authenticate(operatorKey, target.secret)).principal?.keyId).toBe(keyId);
    });
  });

  describe("Authorize (decided for the caller's own key)", () => {
    const authorize = (caller: string, action: Action, resource: object = {}, keyId = '') =>
      rpc<AuthorizeResponse>('authorize', { keyId, action, resource: Resource.fromPartial(resource) }, caller).then((r) => (r.allowed ? 'ALLOWED' : r.denial?.code));
    const url = { signalType: SignalType.SIGNAL_TYPE_URL, categories: ['service.nudify'], marking: TlpMarking.TLP_MARKING_GREEN };

    it('grants and denies by scope and by the trust domain policy', async () => {
      const orgId = (await createOrg(operatorKey)).organisation?.orgId ?? '';
      const contributor = await issueKey(operatorKey, orgId, [ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE]);
      const subscriber = await issueKey(operatorKey, orgId, [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE]);
      expect(await authorize(contributor.secret, Action.ACTION_CONTRIBUTE, url)).toBe('ALLOWED');
      expect(await authorize(contributor.secret, Action.ACTION_CONTRIBUTE, url, contributor.apiKey?.keyId)).toBe('ALLOWED');
      expect(await authorize(subscriber.secret, Action.ACTION_CONTRIBUTE, url)).toBe('API_KEY_WRONG_SCOPE');
      expect(await authorize(contributor.secret, Action.ACTION_CONTRIBUTE, { ...url, signalType: SignalType.SIGNAL_TYPE_PROMPT_PATTERN, categories: [] })).toBe('TIER_TOO_LOW');
      expect(await authorize(contributor.secret, Action.ACTION_CONTRIBUTE, { ...url, marking: TlpMarking.TLP_MARKING_RED, namedOrgIds: ['org_missing'] })).toBe('UNKNOWN_NAMED_ORG');
      expect(await authorize(subscriber.secret, Action.ACTION_LOOKUP)).toBe('ALLOWED');
      expect(await authorize(subscriber.secret, Action.ACTION_SUBSCRIBE, { targetOrgId: 'org_other' })).toBe('NOT_OWN_FEED');
      expect(await authorize(contributor.secret, Action.ACTION_SUBSCRIBE)).toBe('API_KEY_WRONG_SCOPE');
      expect(await authorize(subscriber.secret, Action.ACTION_PULL_DELISTING)).toBe('NOT_SEARCH_ENGINE');
      expect(await authorize(subscriber.secret, Action.ACTION_UNSPECIFIED)).toBe('UNKNOWN_ACTION');

      // Tier and entitlement changes apply on the next call.
      await rpc('setTrustTier', { orgId, tier: 3 }, operatorKey);
      expect(await authorize(contributor.secret, Action.ACTION_CONTRIBUTE, { ...url, signalType: SignalType.SIGNAL_TYPE_PROMPT_PATTERN, categories: [] })).toBe('ALLOWED');
      await rpc('setEntitlements', { entitlements: { orgId, receive: [], contribute: [{ signalType: SignalType.SIGNAL_TYPE_MODEL_HASH, categories: [] }] } }, operatorKey);
      expect(await authorize(contributor.secret, Action.ACTION_CONTRIBUTE, url)).toBe('NOT_ENTITLED');
    });

    it('grants PULL_DELISTING to a search engine SUBSCRIBE key only, and refuses to decide for another key', async () => {
      const engine = (await rpc<CreateOrganisationResponse>('createOrganisation', { name: uniqueName('engine'), kind: OrganisationKind.ORGANISATION_KIND_SEARCH_ENGINE, tier: 2 }, operatorKey)).organisation;
      const subscriber = await issueKey(operatorKey, engine?.orgId ?? '', [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE]);
      const contributor = await issueKey(operatorKey, engine?.orgId ?? '', [ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE]);
      expect(await authorize(subscriber.secret, Action.ACTION_PULL_DELISTING)).toBe('ALLOWED');
      expect(await authorize(contributor.secret, Action.ACTION_PULL_DELISTING)).toBe('API_KEY_WRONG_SCOPE');
      expect(await failure(authorize(subscriber.secret, Action.ACTION_PULL_DELISTING, {}, contributor.apiKey?.keyId))).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, detail: 'INVALID_ARGUMENT' });
      expect(await failure(authorize('', Action.ACTION_LOOKUP))).toEqual({ code: GrpcStatus.UNAUTHENTICATED, detail: 'API_KEY_MISSING' });
    });
  });

  describe('GetView', () => {
    const contribution = (c: object) =>
      Contribution.fromPartial({ signalId: 'sig_1', opinion: Opinion.OPINION_POSITIVE, confidence: 50, categories: ['service.nudify'], createdAt: new Date('2025-01-01T00:00:00Z'), ...c });

    it("gives an outsider only the GREEN contribution and a named org both; only the org itself or an operator may ask", async () => {
      const [a, b, named, outsider] = await Promise.all([createOrg(operatorKey), createOrg(operatorKey), createOrg(operatorKey), createOrg(operatorKey)]).then((r) => r.map((x) => x.organisation?.orgId ?? ''));
      const signal = Signal.fromPartial({
        signalId: 'sig_1',
        type: SignalType.SIGNAL_TYPE_URL,
        canonicalValue: 'https://nudify.example/',
        categories: ['service.nudify', 'service.hidden'],
        contributions: [
          contribution({ contributionId: 'green', contributorOrgId: a, marking: TlpMarking.TLP_MARKING_GREEN, confidence: 40 }),
          contribution({ contributionId: 'red', contributorOrgId: b, marking: TlpMarking.TLP_MARKING_RED, namedOrgIds: [named, a], confidence: 90, categories: ['service.hidden'] }),
        ],
      });
      const getView = (caller: string, orgId: string) => rpc<GetViewResponse>('getView', { orgId, signal }, caller).then((r) => r.view);

      const own = await issueKey(operatorKey, outsider, [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE]);
      const outsiderView = await getView(own.secret, outsider);
      expect(outsiderView?.contributions.map((c) => c.contributionId)).toEqual(['green']);
      expect(outsiderView).toMatchObject({ categories: ['service.nudify'], aggregates: { contributorCount: 1, confidence: 40 } });

      const namedView = await getView(operatorKey, named);
      expect(namedView?.contributions.map((c) => c.contributionId)).toEqual(['green', 'red']);
      expect(namedView?.contributions[1]?.namedOrgIds).toEqual([named]);

      // Suspending the RED contributor hides its contribution from the named org at once.
      await rpc('suspendOrganisation', { orgId: b, reason: 'test' }, operatorKey);
      expect((await getView(operatorKey, named))?.contributions.map((c) => c.contributionId)).toEqual(['green']);
      await rpc('suspendOrganisation', { orgId: a, reason: 'test' }, operatorKey);
      expect(await getView(operatorKey, named)).toBeUndefined();

      const contributor = await issueKey(operatorKey, outsider, [ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE]);
      expect(await failure(getView(own.secret, named))).toEqual({ code: GrpcStatus.PERMISSION_DENIED, detail: 'NOT_OWN_VIEW' });
      expect(await failure(getView(contributor.secret, outsider))).toEqual({ code: GrpcStatus.PERMISSION_DENIED, detail: 'API_KEY_WRONG_SCOPE' });
      expect(await failure(getView(operatorKey, 'org_missing'))).toEqual({ code: GrpcStatus.NOT_FOUND, detail: 'ORGANISATION_NOT_FOUND' });
      expect(await failure(rpc('getView', { orgId: outsider }, own.secret))).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, detail: 'INVALID_ARGUMENT' });
    });
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
      expect([...actions('CHANGED')]).toEqual(expect.arrayContaining(['org.create', 'key.issue', 'key.revoke', 'org.suspend', 'org.reinstate', 'org.tier', 'group.create', 'group.member.add', 'group.member.remove', 'entitlements.set', 'key.rotate']));
      expect([...actions('DENIED')]).toEqual(expect.arrayContaining(['rpc.Authenticate', 'rpc.CreateOrganisation', 'auth.authenticate', 'rpc.SetTrustTier', 'rpc.CreateSharingGroup', 'rpc.AddGroupMember', 'rpc.RemoveGroupMember', 'rpc.SetEntitlements', 'rpc.RotateApiKey', 'authz.contribute', 'authz.subscribe', 'authz.pull_delisting', 'rpc.GetView']));
      const denialCodes = new Set(records.filter((r) => r.outcome === 'DENIED').map((r) => r.details?.['code']));
      expect([...denialCodes]).toEqual(expect.arrayContaining(['API_KEY_MISSING', 'NOT_OPERATOR', 'API_KEY_WRONG_SCOPE', 'API_KEY_INVALID', 'API_KEY_REVOKED', 'ORGANISATION_SUSPENDED', 'TOO_MANY_ATTEMPTS', 'NOT_KEY_OWNER', 'TIER_TOO_LOW', 'NOT_ENTITLED', 'NOT_SEARCH_ENGINE', 'NOT_OWN_VIEW']));
      expect(records.find((r) => r.action === 'key.rotate')?.details?.['rotatedFrom']).toMatch(/^[a-z2-7]{12}$/);
      // Key uses are aggregated per key and use, and flushed on shutdown.
      const uses = records.filter((r) => r.action === 'key.use');
      const operatorKeyId = operatorKey.slice('smk_'.length, 'smk_'.length + 12);
      expect(uses.find((r) => r.keyId === operatorKeyId && r.subject === 'rpc.CreateOrganisation')?.details?.['count']).toBe(19);
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
