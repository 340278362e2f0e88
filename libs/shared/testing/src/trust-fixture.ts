import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  ApiKeyScope,
  type CreateOrganisationResponse,
  type CreateSharingGroupResponse,
  type IssueApiKeyResponse,
  OrganisationKind,
  TrustServiceClient,
} from '@signal-mesh/contracts';
import { grpcCredentials, Metadata, type ServiceError } from '@signal-mesh/transport-grpc';

import type { IntegrationEnv } from './env';
import { uniqueName } from './env';
import { type ServiceProcess, startServiceProcess } from './service-process';

type Unary = (req: object, metadata: Metadata, cb: (err: ServiceError | null, res: unknown) => void) => unknown;

export interface TestOrg {
  readonly orgId: string;
  /** A key with the scopes asked for (CONTRIBUTE by default). */
  readonly key: string;
}

/** A real trust service (built app, child process) in a database of its own, with operator helpers for tests. */
export interface TrustFixture {
  readonly service: ServiceProcess;
  readonly address: string;
  readonly operatorKey: string;
  readonly operatorKeyFile: string;
  readonly database: string;
  /** Any TrustService RPC with the operator key (or `apiKey`). */
  rpc<Res>(name: keyof TrustServiceClient, request: object, apiKey?: string): Promise<Res>;
  createOrg(options?: { kind?: OrganisationKind; tier?: number; scopes?: ApiKeyScope[]; name?: string }): Promise<TestOrg>;
  issueKey(orgId: string, scopes: ApiKeyScope[]): Promise<string>;
  createGroup(memberOrgIds: string[]): Promise<string>;
  close(): Promise<void>;
}

export async function startTrustFixture(stack: IntegrationEnv, env: Record<string, string> = {}): Promise<TrustFixture> {
  const operatorKeyFile = join(await mkdtemp(join(tmpdir(), 'trust-fixture-')), 'operator-key');
  const database = uniqueName('trust_fixture').replace(/-/g, '_');
  const service = await startServiceProcess('trust', {
    KAFKA_BROKERS: stack.kafkaBrokers.join(','),
    MONGODB_URI: stack.mongoUri,
    MONGODB_DATABASE: database,
    TRUST_OPERATOR_KEY_FILE: operatorKeyFile,
    TRUST_KEY_USE_FLUSH_MS: '600000',
    ...env,
  });
  const client = new TrustServiceClient(service.grpcAddress, grpcCredentials.createInsecure());
  const operatorKey = (await readFile(operatorKeyFile, 'utf8')).trim();

  function rpc<Res>(name: keyof TrustServiceClient, request: object, apiKey = operatorKey): Promise<Res> {
    const metadata = new Metadata();
    metadata.set('x-api-key', apiKey);
    const method = client[name] as unknown as Unary;
    return new Promise((resolve, reject) => method.call(client, request, metadata, (err, res) => (err ? reject(err) : resolve(res as Res))));
  }
  const issueKey = async (orgId: string, scopes: ApiKeyScope[]) => (await rpc<IssueApiKeyResponse>('issueApiKey', { orgId, label: 'test', scopes })).secret;

  return {
    service,
    address: service.grpcAddress,
    operatorKey,
    operatorKeyFile,
    database,
    rpc,
    issueKey,
    async createOrg({ kind = OrganisationKind.ORGANISATION_KIND_NGO, tier = 3, scopes = [ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE], name = uniqueName('Example Org') } = {}) {
      const { organisation } = await rpc<CreateOrganisationResponse>('createOrganisation', { name, kind, tier });
      const orgId = organisation?.orgId ?? '';
      return { orgId, key: await issueKey(orgId, scopes) };
    },
    async createGroup(memberOrgIds) {
      const { sharingGroup } = await rpc<CreateSharingGroupResponse>('createSharingGroup', { name: uniqueName('group'), description: 'test', memberOrgIds });
      return sharingGroup?.groupId ?? '';
    },
    async close() {
      client.close();
      await service.stop();
    },
  };
}
