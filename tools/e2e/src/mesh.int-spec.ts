import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

import {
  IngestServiceClient,
  type RevokeResponse,
  SignalType,
  SubmitRequest,
  type SubmitResponse,
  TlpMarking,
  Topics,
  UrlMatchScope,
} from '@signal-mesh/contracts';
import { MongoConnection } from '@signal-mesh/data-access-mongo';
import { SignalRepository } from '@signal-mesh/signals-data-access';
import { canonicalizeSignal, type SignalRecord } from '@signal-mesh/signals-domain';
import { decodeState, recordFromStateEvent } from '@signal-mesh/signals-event-mapping';
import {
  eventually,
  integrationEnv,
  REPO_ROOT,
  type ServiceProcess,
  startServiceProcess,
  startTrustFixture,
  testLogger,
  type TestOrg,
  type TrustFixture,
  uniqueName,
} from '@signal-mesh/testing';
import { grpcCredentials, Metadata, readErrorDetail, type ServiceError } from '@signal-mesh/transport-grpc';
import { createKafka, ensureTopics, KafkaConsumerRunner, KafkaProducer } from '@signal-mesh/transport-kafka';

type Unary = (req: object, metadata: Metadata, cb: (err: ServiceError | null, res: unknown) => void) => unknown;

describe('the mesh end to end: trust → ingest → Kafka → dedup → MongoDB and the state topic', () => {
  const stack = integrationEnv();
  const logger = testLogger('e2e');
  const suite = uniqueName('e2e');
  const database = suite.replace(/-/g, '_');
  const topics = { submissions: `test.${suite}.${Topics.submissions.name}`, state: `test.${suite}.${Topics.signalState.name}` };
  const kafka = createKafka({ brokers: stack.kafkaBrokers, clientId: suite, logger });
  let trust: TrustFixture;
  let ingest: ServiceProcess;
  let dedup: ServiceProcess;
  let client: IngestServiceClient;
  let mongo: MongoConnection;
  let signals: SignalRepository;
  let dlq: KafkaProducer;
  let stateReader: KafkaConsumerRunner<SignalRecord>;
  const states: SignalRecord[] = [];

  function ingestRpc<Res>(name: 'submit' | 'revoke', request: object, apiKey: string): Promise<Res> {
    const metadata = new Metadata();
    metadata.set('x-api-key', apiKey);
    const method = client[name] as unknown as Unary;
    return new Promise((resolve, reject) => method.call(client, request, metadata, (err, res) => (err ? reject(err) : resolve(res as Res))));
  }
  const submitUrl = (org: TestOrg, value: string) =>
    ingestRpc<SubmitResponse>(
      'submit',
      SubmitRequest.fromPartial({
        contribution: { signal: { type: SignalType.SIGNAL_TYPE_URL, value, urlMatchScope: UrlMatchScope.URL_MATCH_SCOPE_EXACT }, categories: ['service.nudify'], marking: TlpMarking.TLP_MARKING_GREEN, confidence: 80 },
      }),
      org.key,
    );
  const latestState = (signalId: string) => states.filter((s) => s.signalId === signalId).at(-1);

  /** `signal-mesh submit` with the organisation's key in the environment, as a contributor would run it. */
  function cliSubmit(org: TestOrg, value: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const bin = join(REPO_ROOT, 'apps', 'cli', 'bin', 'signal-mesh.cjs');
    const args = ['submit', '--ingest', ingest.grpcAddress, '--type', 'url', '--value', value, '--category', 'service.nudify', '--marking', 'green', '--confidence', '60'];
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, SIGNAL_MESH_API_KEY: org.key }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
  }

  beforeAll(async () => {
    await ensureTopics(kafka, [
      { ...Topics.submissions, name: topics.submissions },
      { ...Topics.signalState, name: topics.state },
      { name: `${topics.submissions}.dlq`, partitions: 1, cleanupPolicy: 'delete', key: 'original key', payload: 'signalmesh.v1.DeadLetter' },
    ]);
    const shared = { KAFKA_BROKERS: stack.kafkaBrokers.join(','), MONGODB_URI: stack.mongoUri, MONGODB_DATABASE: database };
    trust = await startTrustFixture(stack);
    [dedup, ingest] = await Promise.all([
      startServiceProcess('dedup', { ...shared, DEDUP_GROUP_ID: suite, DEDUP_SUBMISSIONS_TOPIC: topics.submissions, DEDUP_STATE_TOPIC: topics.state, DEDUP_PARTITIONS_CONCURRENTLY: '1' }),
      startServiceProcess('ingest', { ...shared, INGEST_TRUST_ADDRESS: trust.address, INGEST_TRUST_SERVICE_KEY: trust.operatorKey, INGEST_SUBMISSIONS_TOPIC: topics.submissions }),
    ]);
    client = new IngestServiceClient(ingest.grpcAddress, grpcCredentials.createInsecure());
    mongo = await MongoConnection.connect({ uri: stack.mongoUri, database, appName: 'e2e', logger });
    signals = await SignalRepository.create(mongo, logger);
    dlq = await KafkaProducer.connect(kafka, logger);
    stateReader = new KafkaConsumerRunner(kafka, {
      groupId: `${suite}-reader`,
      topics: [topics.state],
      fromBeginning: true,
      decode: (value) => recordFromStateEvent(decodeState(value ?? Buffer.alloc(0))),
      handle: async (record) => {
        states.push(record.value);
      },
      deadLetters: dlq,
      logger,
    });
    await stateReader.start();
  }, 180_000);

  afterAll(async () => {
    client?.close();
    await Promise.all([ingest?.stop(), dedup?.stop()]);
    await trust?.close();
    await stateReader?.stop();
    await dlq?.disconnect();
    await mongo?.db.dropDatabase();
    await mongo?.close();
  }, 60_000);

  const host = `nudify-${randomBytes(4).toString('hex')}.example.com`;
  const spellings = [`HTTPS://${host.toUpperCase()}:443/app/./x/../`, `https://${host}/app/`, `https://${host}/app/#top`];
  const orgs: TestOrg[] = [];
  let signalId: string;

  it('turns one URL in three spellings from three organisations (gRPC, REST and the CLI) into one signal with three contributions', async () => {
    const ids = new Set(spellings.map((value) => canonicalizeSignal({ type: 'url', value }).signalId));
    expect(ids.size).toBe(1);
    signalId = [...ids][0] ?? '';
    orgs.push(await trust.createOrg(), await trust.createOrg(), await trust.createOrg());
    const [viaGrpc, viaRest, viaCli] = orgs as [TestOrg, TestOrg, TestOrg];

    const grpc = await submitUrl(viaGrpc, spellings[0] ?? '');
    expect(grpc.result).toMatchObject({ signalId, canonicalValue: `https://${host}/app/` });
    const rest = await fetch(`${ingest.httpUrl}/v1/contributions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': viaRest.key },
      body: JSON.stringify({ type: 'url', value: spellings[1], scope: 'exact', categories: ['service.nudify'], marking: 'AMBER', sharingGroupIds: [await trust.createGroup([viaRest.orgId])], confidence: 70 }),
    });
    expect(rest.status).toBe(201);
    expect(await rest.json()).toMatchObject({ result: { signalId } });
    const cli = await cliSubmit(viaCli, spellings[2] ?? '');
    expect({ code: cli.code, out: JSON.parse(cli.stdout.trim()) as unknown }).toMatchObject({ code: 0, out: { signalId } });

    const stored = await eventually(async () => {
      const record = await signals.findById(signalId);
      return record && record.contributions.length === 3 ? record : undefined;
    }, { what: 'the merged signal', timeoutMs: 30_000 });
    expect(stored).toMatchObject({ status: 'ACTIVE', aggregates: { contributorCount: 3, positiveCount: 3 } });
    expect(stored.contributions.map((c) => [c.contributorOrgId, c.marking])).toEqual(expect.arrayContaining([[viaGrpc.orgId, 'GREEN'], [viaRest.orgId, 'AMBER'], [viaCli.orgId, 'GREEN']]));
    const state = await eventually(async () => (latestState(signalId)?.version === stored.version ? latestState(signalId) : undefined), { what: 'the state event of the merge' });
    expect(state).toEqual(stored);
  }, 120_000);

  it('revoking every contribution makes the signal REVOKED and emits a final state event', async () => {
    const record = await signals.findById(signalId);
    expect(record?.contributions).toHaveLength(3);
    for (const contribution of record?.contributions ?? []) {
      const owner = orgs.find((o) => o.orgId === contribution.contributorOrgId);
      if (!owner) throw new Error('unknown contributor');
      const revoked = await ingestRpc<RevokeResponse>('revoke', { contributionId: contribution.contributionId, reason: 'e2e' }, owner.key);
      expect(revoked).toMatchObject({ contributionId: contribution.contributionId, signalId });
    }
    const final = await eventually(async () => (latestState(signalId)?.status === 'REVOKED' ? latestState(signalId) : undefined), { what: 'the final REVOKED state event', timeoutMs: 30_000 });
    expect(final.contributions.every((c) => c.revokedAt !== undefined)).toBe(true);
    expect(await signals.findById(signalId)).toMatchObject({ status: 'REVOKED', version: final.version });
  }, 60_000);

  it('refuses a suspended organisation at ingest within 1 s of the suspension', async () => {
    const org = await trust.createOrg();
    const value = `https://${host}/other`;
    await submitUrl(org, value);
    await trust.rpc('suspendOrganisation', { orgId: org.orgId, reason: 'e2e' });
    const suspendedAt = performance.now();
    let refusal: { code?: string; afterMs: number } | undefined;
    while (!refusal) {
      try {
        await submitUrl(org, value);
      } catch (err) {
        refusal = { code: readErrorDetail(err as ServiceError)?.code, afterMs: performance.now() - suspendedAt };
      }
      if (performance.now() - suspendedAt > 3_000) throw new Error('still accepted 3 s after the suspension');
    }
    expect(refusal.code).toBe('ORGANISATION_SUSPENDED');
    expect(refusal.afterMs).toBeLessThan(1_000);
  }, 30_000);
});
