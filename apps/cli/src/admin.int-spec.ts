import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  Action,
  ApiKeyScope,
  Contribution,
  Opinion,
  type Principal,
  Resource,
  Signal,
  SignalType,
  TlpMarking,
  TrustServiceClient,
} from '@signal-mesh/contracts';
import { MongoConnection } from '@signal-mesh/data-access-mongo';
import { integrationEnv, type ServiceProcess, startServiceProcess, testLogger, uniqueName } from '@signal-mesh/testing';
import { grpcCredentials, Metadata, type ServiceError } from '@signal-mesh/transport-grpc';

import { adminErrorOf } from './commands/admin.command';
import type { DemoKeys } from './commands/demo-seed';

// Runs the real `signal-mesh` bin against a real trust service: its built app started as a child process (apps
// may not import each other) on the test stack's Kafka and FerretDB, in a database of its own.
const root = join(__dirname, '..', '..', '..');
const bin = join(__dirname, '..', 'bin', 'signal-mesh.cjs');
const logger = testLogger('cli-admin-int-spec');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

type Json = Record<string, unknown>;
const line = (s: string) => JSON.parse(s.trim()) as Json;
const field = (value: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (v as Json | undefined)?.[k], value);

describe('signal-mesh admin (against a real trust service)', () => {
  const stack = integrationEnv();
  const database = uniqueName('cli_admin').replace(/-/g, '_');
  let dir: string;
  let operatorKeyFile: string;
  let operatorKey: string;
  let trust: ServiceProcess | undefined;
  let address: string;
  let client: TrustServiceClient;
  /** Every secret seen, to check that the service never logs one. */
  const secrets: string[] = [];

  async function cli(args: string[], { key = operatorKeyFile, cwd = root }: { key?: string; cwd?: string } = {}): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, 'admin', '--trust', address, '--key-file', key, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
  }
  /** Runs a command that must succeed and returns its one JSON line. */
  async function ok(args: string[]): Promise<Json> {
    const res = await cli(args);
    if (res.code !== 0) throw new Error(`signal-mesh admin ${args.join(' ')} exited ${res.code}: ${res.stdout}${res.stderr}`);
    return line(res.stdout);
  }
  const createOrg = async (name: string, kind = 'platform', tier = '2') => String(field(await ok(['org', 'create', '--name', name, '--kind', kind, '--tier', tier]), 'organisation', 'orgId'));
  const issueKey = async (orgId: string, ...scopes: string[]) => {
    const out = await ok(['key', 'issue', '--org', orgId, '--scope', ...scopes, '--label', 'cli-admin-int']);
    secrets.push(String(out['secret']));
    return { keyId: String(field(out, 'apiKey', 'keyId')), secret: String(out['secret']) };
  };

  // Direct gRPC calls, to check what the CLI did from the outside.
  const metadataFor = (key: string) => {
    const metadata = new Metadata();
    metadata.set('x-api-key', key);
    return metadata;
  };
  const callback =
    <T>(resolve: (v: T) => void, reject: (e: unknown) => void) =>
    (err: ServiceError | null, res: T) =>
      err ? reject(err) : resolve(res);
  /** The presented key's principal, or the code it is refused with. */
  const authenticate = (presented: string) =>
    new Promise<{ principal?: Principal }>((resolve, reject) => client.authenticate({ apiKey: presented }, metadataFor(operatorKey), callback(resolve, reject))).then(
      (res) => res.principal,
      (err: unknown) => adminErrorOf(err).code,
    );
  const viewOf = (orgId: string, signal: Signal) =>
    new Promise<{ view?: Signal }>((resolve, reject) => client.getView({ orgId, signal }, metadataFor(operatorKey), callback(resolve, reject))).then((res) => res.view?.contributions.map((c) => c.contributionId) ?? []);
  const authorizeContribution = (key: string, resource: Partial<Resource>) =>
    new Promise<{ allowed: boolean; denial?: { code: string } }>((resolve, reject) =>
      client.authorize({ keyId: '', action: Action.ACTION_CONTRIBUTE, resource: Resource.fromPartial(resource) }, metadataFor(key), callback(resolve, reject)),
    ).then((res) => (res.allowed ? 'ALLOWED' : res.denial?.code));
  /** A URL signal with one AMBER contribution addressed to `groupId`. */
  const amberFor = (groupId: string, contributorOrgId: string) =>
    Signal.fromPartial({
      signalId: 'sig_1',
      type: SignalType.SIGNAL_TYPE_URL,
      canonicalValue: 'https://nudify.example.test/',
      categories: ['service.nudify'],
      contributions: [
        Contribution.fromPartial({
          contributionId: 'amber',
          signalId: 'sig_1',
          contributorOrgId,
          marking: TlpMarking.TLP_MARKING_AMBER,
          sharingGroupIds: [groupId],
          opinion: Opinion.OPINION_POSITIVE,
          confidence: 60,
          categories: ['service.nudify'],
          createdAt: new Date('2025-01-01T00:00:00Z'),
        }),
      ],
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cli-admin-int-'));
    operatorKeyFile = join(dir, 'operator-key');
    // The built app as a child process (the cli's integration target builds trust: implicitDependencies).
    trust = await startServiceProcess('trust', {
      KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      MONGODB_URI: stack.mongoUri,
      MONGODB_DATABASE: database,
      LOG_LEVEL: 'info',
      TRUST_OPERATOR_KEY_FILE: operatorKeyFile,
      TRUST_KEY_USE_FLUSH_MS: '600000',
    });
    address = trust.grpcAddress;
    operatorKey = readFileSync(operatorKeyFile, 'utf8').trim();
    client = new TrustServiceClient(address, grpcCredentials.createInsecure());
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await trust?.stop();
    const connection = await MongoConnection.connect({ uri: stack.mongoUri, database, appName: 'cli-admin-int-spec', logger });
    await connection.db.dropDatabase();
    await connection.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('org tier changes the tier; an unknown organisation is a coded NOT_FOUND and a bad tier a usage error', async () => {
    const orgId = await createOrg('Example Tier Platform', 'platform', '1');
    expect(await ok(['org', 'tier', '--org', orgId, '--tier', '3'])).toMatchObject({ organisation: { orgId, tier: 3 } });

    const missing = await cli(['org', 'tier', '--org', 'org_missing', '--tier', '2']);
    expect(missing.code).toBe(1);
    expect(line(missing.stdout)).toEqual({ error: { code: 'ORGANISATION_NOT_FOUND', message: 'no such organisation', status: 'NOT_FOUND' } });

    const usage = await cli(['org', 'tier', '--org', orgId, '--tier', '5']);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toContain('Usage: signal-mesh admin org tier');
  });

  it('key rotate with --grace keeps the old key working; without it the old key stops at once', async () => {
    const orgId = await createOrg('Example Rotation Platform');
    const original = await issueKey(orgId, 'contribute', 'subscribe');

    const graceful = await cli(['key', 'rotate', '--key-id', original.keyId, '--grace', '10m']);
    expect(graceful.code).toBe(0);
    expect(graceful.stderr).toContain('not shown again');
    const rotated = line(graceful.stdout);
    const second = { keyId: String(field(rotated, 'newApiKey', 'keyId')), secret: String(rotated['secret']) };
    secrets.push(second.secret);
    expect(rotated).toMatchObject({ newApiKey: { orgId, label: 'cli-admin-int', scopes: ['API_KEY_SCOPE_CONTRIBUTE', 'API_KEY_SCOPE_SUBSCRIBE'] }, oldApiKey: { keyId: original.keyId } });
    expect(field(rotated, 'oldApiKey', 'revokedAt')).toBeUndefined();
    const expiresIn = Date.parse(String(field(rotated, 'oldApiKey', 'expiresAt'))) - Date.now();
    expect(expiresIn).toBeGreaterThan(9 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(10 * 60_000);
    expect(await authenticate(original.secret)).toMatchObject({ keyId: original.keyId, orgId });
    expect(await authenticate(second.secret)).toMatchObject({ keyId: second.keyId, orgId });

    const immediate = await ok(['key', 'rotate', '--key-id', second.keyId]);
    secrets.push(String(immediate['secret']));
    expect(field(immediate, 'oldApiKey', 'revokedAt')).toEqual(expect.any(String));
    expect(await authenticate(second.secret)).toBe('API_KEY_REVOKED');
    expect(await authenticate(String(immediate['secret']))).toMatchObject({ keyId: field(immediate, 'newApiKey', 'keyId') });
    // The original is still inside its grace period.
    expect(await authenticate(original.secret)).toMatchObject({ keyId: original.keyId });

    const tooLong = await cli(['key', 'rotate', '--key-id', String(field(immediate, 'newApiKey', 'keyId')), '--grace', '31d']);
    expect(tooLong.code).toBe(1);
    expect(line(tooLong.stdout)).toMatchObject({ error: { code: 'INVALID_ARGUMENT', status: 'INVALID_ARGUMENT' } });
    const revoked = await cli(['key', 'rotate', '--key-id', second.keyId]);
    expect(line(revoked.stdout)).toMatchObject({ error: { code: 'API_KEY_NOT_ROTATABLE', status: 'FAILED_PRECONDITION' } });
  });

  it('group create, add and remove change who sees the group’s AMBER contributions', async () => {
    const [contributor, member, newcomer] = [await createOrg('Example Group NGO', 'ngo'), await createOrg('Example Group Platform'), await createOrg('Example Group Hotline', 'hotline')];
    const created = await ok(['group', 'create', '--name', 'example-watch', '--description', 'synthetic test group', '--member', contributor, member]);
    expect(created).toMatchObject({ sharingGroup: { name: 'example-watch', description: 'synthetic test group', memberOrgIds: [contributor, member] } });
    const groupId = String(field(created, 'sharingGroup', 'groupId'));
    const signal = amberFor(groupId, contributor);
    expect(await viewOf(member, signal)).toEqual(['amber']);
    expect(await viewOf(newcomer, signal)).toEqual([]);

    expect(await ok(['group', 'add', '--group', groupId, '--org', newcomer])).toMatchObject({ sharingGroup: { memberOrgIds: [contributor, member, newcomer] } });
    expect(await viewOf(newcomer, signal)).toEqual(['amber']);
    expect(await ok(['group', 'remove', '--group', groupId, '--org', member])).toMatchObject({ sharingGroup: { memberOrgIds: [contributor, newcomer] } });
    expect(await viewOf(member, signal)).toEqual([]);

    const duplicate = await cli(['group', 'create', '--name', 'example-watch']);
    expect(duplicate.code).toBe(1);
    expect(line(duplicate.stdout)).toMatchObject({ error: { code: 'DUPLICATE_KEY', status: 'ALREADY_EXISTS' } });
    const unknown = await cli(['group', 'add', '--group', 'grp_missing', '--org', member]);
    expect(line(unknown.stdout)).toEqual({ error: { code: 'SHARING_GROUP_NOT_FOUND', message: 'no such sharing group', status: 'NOT_FOUND' } });
  });

  it('entitlements set replaces what an organisation may contribute', async () => {
    const orgId = await createOrg('Example Entitled Platform');
    const key = await issueKey(orgId, 'contribute');
    const nudifyUrl = { signalType: SignalType.SIGNAL_TYPE_URL, categories: ['service.nudify'], marking: TlpMarking.TLP_MARKING_GREEN };
    const modelHash = { signalType: SignalType.SIGNAL_TYPE_MODEL_HASH, categories: [], marking: TlpMarking.TLP_MARKING_GREEN };
    expect(await authorizeContribution(key.secret, modelHash)).toBe('ALLOWED');

    const set = await ok(['entitlements', 'set', '--org', orgId, '--receive', 'url:service.nudify,service.nudify.tutorial', 'model-hash', '--contribute', 'url:service.nudify']);
    expect(set).toEqual({
      entitlements: {
        orgId,
        receive: [
          { signalType: 'SIGNAL_TYPE_URL', categories: ['service.nudify', 'service.nudify.tutorial'] },
          { signalType: 'SIGNAL_TYPE_MODEL_HASH', categories: [] },
        ],
        contribute: [{ signalType: 'SIGNAL_TYPE_URL', categories: ['service.nudify'] }],
      },
    });
    expect(await authorizeContribution(key.secret, nudifyUrl)).toBe('ALLOWED');
    expect(await authorizeContribution(key.secret, modelHash)).toBe('NOT_ENTITLED');

    expect(await ok(['entitlements', 'set', '--org', orgId])).toEqual({ entitlements: { orgId, receive: [], contribute: [] } });
    expect(await authorizeContribution(key.secret, nudifyUrl)).toBe('NOT_ENTITLED');

    const invalid = await cli(['entitlements', 'set', '--org', orgId, '--receive', 'url:Not A Category']);
    expect(invalid.code).toBe(1);
    expect(line(invalid.stdout)).toMatchObject({ error: { code: 'INVALID_ARGUMENT', status: 'INVALID_ARGUMENT' } });
  });

  describe('demo-seed', () => {
    let cwd: string;
    let keys: DemoKeys;
    beforeAll(() => {
      cwd = mkdtempSync(join(dir, 'demo-'));
    });

    it('creates the demo population and writes its keys (0600) to .local/demo-keys.json, printing no secret', async () => {
      const res = await cli(['demo-seed'], { cwd });
      expect(res.code).toBe(0);
      const keysFile = join(cwd, '.local', 'demo-keys.json');
      expect(statSync(keysFile).mode & 0o777).toBe(0o600);
      keys = JSON.parse(readFileSync(keysFile, 'utf8')) as DemoKeys;
      secrets.push(...Object.values(keys).map((k) => k.apiKey ?? ''));
      expect(Object.keys(keys).sort()).toEqual(['Demo Hotline A', 'Demo NGO A', 'Demo NGO B', 'Demo Platform A', 'Demo Platform B', 'Demo Researcher A', 'Demo Search Engine A']);
      for (const entry of Object.values(keys)) {
        expect(res.stdout + res.stderr).not.toContain(entry.apiKey);
        expect(await authenticate(entry.apiKey ?? '')).toMatchObject({ orgId: entry.orgId, keyId: entry.keyId, scopes: [ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE, ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE] });
      }
      expect(keys['Demo Search Engine A']).toMatchObject({ kind: 'SEARCH_ENGINE', tier: 2 });

      const summary = line(res.stdout);
      expect(summary['keysFile']).toBe(keysFile);
      expect(summary['organisations']).toHaveLength(7);
      const groups = summary['sharingGroups'] as { name: string; groupId: string; outcome: string; members: number }[];
      expect(groups.map((g) => [g.name, g.outcome, g.members])).toEqual([
        ['nudify-watch', 'created', 4],
        ['model-hashes-trusted', 'created', 4],
      ]);

      // nudify-watch: Platform A (a member) sees an NGO's AMBER contribution to it, Platform B does not.
      const signal = amberFor(groups[0]?.groupId ?? '', keys['Demo NGO A']?.orgId ?? '');
      expect(await viewOf(keys['Demo Platform A']?.orgId ?? '', signal)).toEqual(['amber']);
      expect(await viewOf(keys['Demo Platform B']?.orgId ?? '', signal)).toEqual([]);
      // The search engine's explicit entitlements: nudify URLs to receive, nothing to contribute.
      const nudifyUrl = { signalType: SignalType.SIGNAL_TYPE_URL, categories: ['service.nudify'], marking: TlpMarking.TLP_MARKING_GREEN };
      expect(await authorizeContribution(keys['Demo Search Engine A']?.apiKey ?? '', nudifyUrl)).toBe('NOT_ENTITLED');
      expect(await authorizeContribution(keys['Demo Platform A']?.apiKey ?? '', nudifyUrl)).toBe('ALLOWED');
    });

    it('runs again without crashing: what exists is reported and skipped, the keys file is unchanged', async () => {
      const keysFile = join(cwd, '.local', 'demo-keys.json');
      const before = readFileSync(keysFile, 'utf8');
      const res = await cli(['demo-seed'], { cwd });
      expect(res.code).toBe(0);
      const summary = line(res.stdout);
      expect(summary['organisations']).toEqual(Object.entries(keys).map(([name, entry]) => ({ name, orgId: entry.orgId, outcome: 'exists', key: 'kept' })));
      expect((summary['sharingGroups'] as { outcome: string }[]).map((g) => g.outcome)).toEqual(['exists', 'exists']);
      expect(summary['entitlements']).toEqual([{ org: 'Demo Search Engine A', outcome: 'set' }]);
      expect(readFileSync(keysFile, 'utf8')).toBe(before);
      expect(res.stderr).toContain('exists');
    });

    it('refuses a non-operator key with a coded PERMISSION_DENIED, exit 1 and no stack trace', async () => {
      const platformKeyFile = join(cwd, 'platform-key');
      writeFileSync(platformKeyFile, `${keys['Demo Platform A']?.apiKey}\n`, { mode: 0o600 });
      for (const args of [['org', 'tier', '--org', keys['Demo Platform B']?.orgId ?? '', '--tier', '4'], ['demo-seed', '--out', join(cwd, 'other-keys.json')]]) {
        const res = await cli(args, { key: platformKeyFile, cwd });
        expect(res.code).toBe(1);
        expect(line(res.stdout)).toMatchObject({ error: { code: 'NOT_OPERATOR', message: 'only operator organisations may administer', status: 'PERMISSION_DENIED' } });
        expect(res.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
      }
    });
  });

  it('leaves no secret in the trust service’s logs', () => {
    const logs = (trust?.logs ?? []).join('\n');
    expect(logs).toContain('trust service ready');
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of [operatorKey, ...secrets]) expect(logs).not.toContain(secret);
  });
});
