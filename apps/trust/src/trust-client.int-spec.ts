import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ApiKeyScope, type CreateOrganisationResponse, type IssueApiKeyResponse, OrganisationKind, TrustServiceClient } from '@signal-mesh/contracts';
import { integrationEnv, testLogger, uniqueName } from '@signal-mesh/testing';
import { grpcCredentials, Metadata, type ServiceError } from '@signal-mesh/transport-grpc';
import { MAX_CACHE_TTL_MS, TrustClient, type TrustClientError } from '@signal-mesh/trust-client';

import { loadTrustConfig } from './config';
import { createTrustApp, type TrustApp } from './trust-app';

type Unary = (req: object, metadata: Metadata, cb: (err: ServiceError | null, res: unknown) => void) => unknown;

/** Polls `probe` until it throws; returns the error and how long after `since` it first did. */
async function firstFailure(probe: () => Promise<unknown>, since: number, limitMs = 3_000): Promise<{ error: TrustClientError; afterMs: number }> {
  for (;;) {
    try {
      await probe();
    } catch (error) {
      return { error: error as TrustClientError, afterMs: performance.now() - since };
    }
    if (performance.now() - since > limitMs) throw new Error(`still accepted after ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('trust client (real trust service, Kafka and FerretDB)', () => {
  const stackEnv = integrationEnv();
  let app: TrustApp;
  let admin: TrustServiceClient;
  let operatorKey: string;
  let sut: TrustClient;

  function rpc<Res>(name: keyof TrustServiceClient, req: object): Promise<Res> {
    const metadata = new Metadata();
    metadata.set('x-api-key', operatorKey);
    const method = admin[name] as unknown as Unary;
    return new Promise((resolve, reject) => method.call(admin, req, metadata, (err, res) => (err ? reject(err) : resolve(res as Res))));
  }

  async function orgWithKey(scopes: ApiKeyScope[]) {
    const { organisation } = await rpc<CreateOrganisationResponse>('createOrganisation', { name: uniqueName('client-org'), kind: OrganisationKind.ORGANISATION_KIND_NGO, tier: 3 });
    const orgId = organisation?.orgId ?? '';
    const issued = await rpc<IssueApiKeyResponse>('issueApiKey', { orgId, label: 'client-spec', scopes });
    return { orgId, keyId: issued.apiKey?.keyId ?? '', secret: issued.secret };
  }

  beforeAll(async () => {
    const keyFile = join(await mkdtemp(join(tmpdir(), 'trust-client-int-')), 'operator-key');
    const config = loadTrustConfig({
      KAFKA_BROKERS: stackEnv.kafkaBrokers.join(','),
      MONGODB_URI: stackEnv.mongoUri,
      MONGODB_DATABASE: uniqueName('trust_client').replace(/-/g, '_'),
      GRPC_PORT: '0',
      HTTP_PORT: '0',
      TRUST_OPERATOR_KEY_FILE: keyFile,
      TRUST_KEY_USE_FLUSH_MS: '600000',
    });
    app = await createTrustApp(config, testLogger());
    await app.start();
    const address = `127.0.0.1:${app.runtime.grpcPort}`;
    admin = new TrustServiceClient(address, grpcCredentials.createInsecure());
    operatorKey = (await readFile(keyFile, 'utf8')).trim();
    sut = TrustClient.create({ address, logger: testLogger(), cacheTtlMs: 500 });
  }, 60_000);

  afterAll(async () => {
    sut?.close();
    admin?.close();
    await app?.close();
  }, 30_000);

  it('authenticates a key to its organisation and scopes', async () => {
    const { orgId, keyId, secret } = await orgWithKey([ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE]);
    await expect(sut.authenticate(secret)).resolves.toEqual({ orgId, orgKind: 'NGO', tier: 3, scopes: ['CONTRIBUTE'], keyId });
  });

  it('refuses a revoked key within 1 s of the revocation, although the answer was cached just before', async () => {
    const { keyId, secret } = await orgWithKey([ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE]);
    await sut.authenticate(secret);
    await rpc('revokeApiKey', { keyId });
    const revokedAt = performance.now();
    const { error, afterMs } = await firstFailure(() => sut.authenticate(secret), revokedAt);
    expect(error).toMatchObject({ code: 'API_KEY_REVOKED', status: 'UNAUTHENTICATED' });
    expect(afterMs).toBeLessThan(MAX_CACHE_TTL_MS);
  });

  it('refuses every call of a suspended organisation within 1 s, authorisations included', async () => {
    const { orgId, secret } = await orgWithKey([ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE]);
    const resource = { signalType: 'url', categories: ['service.nudify'], marking: 'GREEN' } as const;
    await sut.authorize(secret, 'CONTRIBUTE', resource);
    await rpc('suspendOrganisation', { orgId, reason: 'client spec' });
    const suspendedAt = performance.now();
    const auth = await firstFailure(() => sut.authenticate(secret), suspendedAt);
    const authz = await firstFailure(() => sut.authorize(secret, 'CONTRIBUTE', resource), suspendedAt);
    expect(auth.error).toMatchObject({ code: 'ORGANISATION_SUSPENDED', status: 'UNAUTHENTICATED' });
    expect(authz.error).toMatchObject({ code: 'ORGANISATION_SUSPENDED' });
    expect(Math.max(auth.afterMs, authz.afterMs)).toBeLessThan(MAX_CACHE_TTL_MS);
  });

  it('passes on coded denials: wrong scope, and a marking the organisation may not use', async () => {
    const subscriber = await orgWithKey([ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE]);
    await expect(sut.authorize(subscriber.secret, 'CONTRIBUTE', { signalType: 'url', categories: ['service.nudify'], marking: 'GREEN' })).rejects.toMatchObject({
      code: 'API_KEY_WRONG_SCOPE',
      status: 'PERMISSION_DENIED',
    });
    const contributor = await orgWithKey([ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE]);
    await expect(sut.authorize(contributor.secret, 'CONTRIBUTE', { signalType: 'url', categories: ['service.nudify'], marking: 'AMBER' })).rejects.toMatchObject({
      status: 'PERMISSION_DENIED',
    });
    await expect(sut.authorize(contributor.secret, 'REVOKE', { ownerOrgId: subscriber.orgId })).rejects.toMatchObject({ code: 'NOT_OWNER' });
  });

  it('refuses a wrong key with UNAUTHENTICATED and caches no refusal', async () => {
    const { secret } = await orgWithKey([ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE]);
    const wrong = `${secret.slice(0, -4)}AAAA`;
    await expect(sut.authenticate(wrong)).rejects.toMatchObject({ code: 'API_KEY_INVALID', status: 'UNAUTHENTICATED' });
    await expect(sut.authenticate('')).rejects.toMatchObject({ code: 'API_KEY_MISSING', status: 'UNAUTHENTICATED' });
    await expect(sut.authenticate(secret)).resolves.toMatchObject({ scopes: ['CONTRIBUTE'] });
  });

  it('fails closed with TRUST_UNAVAILABLE when the trust service cannot be reached', async () => {
    const unreachable = TrustClient.create({ address: '127.0.0.1:1', logger: testLogger(), deadlineMs: 500 });
    try {
      await expect(unreachable.authenticate('smk_000000000000_x')).rejects.toMatchObject({ code: 'TRUST_UNAVAILABLE', status: 'UNAVAILABLE' });
    } finally {
      unreachable.close();
    }
  });
});
