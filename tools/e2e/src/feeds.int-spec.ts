import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  ApiKeyScope,
  type FeedEvent,
  FeedEventKind,
  FeedServiceClient,
  IngestServiceClient,
  LookupRequest,
  type LookupResponse,
  RemoveGroupMemberRequest,
  RetractReason,
  RevokeRequest,
  SignalType,
  SnapshotRequest,
  type SnapshotResponse,
  SubmitRequest,
  type SubmitResponse,
  SubscribeRequest,
  TlpMarking,
  Topics,
  UrlMatchScope,
} from '@signal-mesh/contracts';
import { eventually, integrationEnv, REPO_ROOT, type ServiceProcess, startServiceProcess, startTrustFixture, testLogger, type TestOrg, type TrustFixture, uniqueName } from '@signal-mesh/testing';
import { grpcCredentials, GrpcStatus as status, Metadata, readErrorDetail, type ServiceError } from '@signal-mesh/transport-grpc';
import { createKafka, ensureTopics } from '@signal-mesh/transport-kafka';

type Unary = (req: object, metadata: Metadata, cb: (err: ServiceError | null, res: unknown) => void) => unknown;

const metadataFor = (apiKey: string): Metadata => {
  const metadata = new Metadata();
  metadata.set('x-api-key', apiKey);
  return metadata;
};

/** A live Subscribe stream that collects every event it receives. */
interface Subscription {
  readonly events: FeedEvent[];
  readonly call: { cancel(): void };
  error?: ServiceError;
}

describe('feeds end to end: submit → ingest → dedup → fan-out → feed, under the trust policy', () => {
  const stack = integrationEnv();
  const logger = testLogger('e2e-feeds');
  const suite = uniqueName('e2e-feeds');
  const database = suite.replace(/-/g, '_');
  const topic = (spec: { name: string }) => `test.${suite}.${spec.name}`;
  const topics = { submissions: topic(Topics.submissions), state: topic(Topics.signalState), trust: topic(Topics.trustChanges), feed: topic(Topics.feeds) };
  const kafka = createKafka({ brokers: stack.kafkaBrokers, clientId: suite, logger });
  const salt = randomBytes(4).toString('hex');
  let trust: TrustFixture;
  const services: ServiceProcess[] = [];
  let ingest: IngestServiceClient;
  let feed: FeedServiceClient;
  let contributor: TestOrg;
  let member: TestOrg;
  let outsider: TestOrg;
  let groupId: string;
  const subscriptions: Subscription[] = [];

  function call<Res>(client: object, name: string, request: object, apiKey: string): Promise<Res> {
    const method = (client as Record<string, Unary>)[name] as Unary;
    return new Promise((resolve, reject) => method.call(client, request, metadataFor(apiKey), (err, res) => (err ? reject(err) : resolve(res as Res))));
  }

  const submit = (value: string, marking: TlpMarking, extra: { sharingGroupIds?: string[]; namedOrgIds?: string[] } = {}) =>
    call<SubmitResponse>(
      ingest,
      'submit',
      SubmitRequest.fromPartial({
        contribution: { signal: { type: SignalType.SIGNAL_TYPE_URL, value, urlMatchScope: UrlMatchScope.URL_MATCH_SCOPE_HOST }, categories: ['service.nudify'], marking, confidence: 80, ...extra },
      }),
      contributor.key,
    );

  function subscribe(org: TestOrg, cursor = ''): Subscription {
    const stream = feed.subscribe(SubscribeRequest.fromPartial({ cursor }), metadataFor(org.key));
    const subscription: Subscription = { events: [], call: stream };
    stream.on('data', (res: { event?: FeedEvent }) => {
      if (res.event) subscription.events.push(res.event);
    });
    stream.on('error', (err: ServiceError) => {
      if (err.code !== status.CANCELLED) subscription.error = err;
    });
    subscriptions.push(subscription);
    return subscription;
  }

  function snapshot(org: TestOrg): Promise<SnapshotResponse[]> {
    return new Promise((resolve, reject) => {
      const out: SnapshotResponse[] = [];
      const stream = feed.snapshot(SnapshotRequest.fromPartial({}), metadataFor(org.key));
      stream.on('data', (res: SnapshotResponse) => out.push(res));
      stream.on('error', reject);
      stream.on('end', () => resolve(out));
    });
  }

  /** The real `signal-mesh` CLI with the organisation's key in the environment, as a platform would run it. */
  function cli(org: TestOrg, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const bin = join(REPO_ROOT, 'apps', 'cli', 'bin', 'signal-mesh.cjs');
    const feedAddress = (services[2] as ServiceProcess).grpcAddress;
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, ...args, '--feed', feedAddress], { cwd, env: { ...process.env, SIGNAL_MESH_API_KEY: org.key }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
  }
  const jsonLines = (text: string) => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

  const eventFor = (s: Subscription, signalId: string, kind: FeedEventKind) => s.events.find((e) => e.signalId === signalId && e.kind === kind);

  beforeAll(async () => {
    await ensureTopics(kafka, [
      { ...Topics.submissions, name: topics.submissions },
      { ...Topics.signalState, name: topics.state },
      { ...Topics.trustChanges, name: topics.trust },
      { ...Topics.feeds, name: topics.feed },
      ...[topics.submissions, topics.state, topics.trust].map((name) => ({ name: `${name}.dlq`, partitions: 1, cleanupPolicy: 'delete' as const, key: 'original key', payload: 'signalmesh.v1.DeadLetter' })),
    ]);
    const shared = { KAFKA_BROKERS: stack.kafkaBrokers.join(','), MONGODB_URI: stack.mongoUri, MONGODB_DATABASE: database };
    trust = await startTrustFixture(stack, { TRUST_CHANGES_TOPIC: topics.trust });
    contributor = await trust.createOrg({ tier: 4 });
    member = await trust.createOrg({ tier: 3, scopes: [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE] });
    outsider = await trust.createOrg({ tier: 3, scopes: [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE] });
    groupId = await trust.createGroup([contributor.orgId, member.orgId]);
    services.push(
      ...(await Promise.all([
        startServiceProcess('dedup', { ...shared, DEDUP_GROUP_ID: `${suite}-dedup`, DEDUP_SUBMISSIONS_TOPIC: topics.submissions, DEDUP_STATE_TOPIC: topics.state, DEDUP_PARTITIONS_CONCURRENTLY: '1' }),
        startServiceProcess('fanout', { ...shared, FANOUT_GROUP_ID: `${suite}-fanout`, FANOUT_STATE_TOPIC: topics.state, FANOUT_TRUST_TOPIC: topics.trust, FANOUT_FEED_TOPIC: topics.feed }),
        startServiceProcess('feed', { ...shared, FEED_TRUST_ADDRESS: trust.address, FEED_TOPIC: topics.feed, FEED_TRUST_TOPIC: topics.trust }),
        startServiceProcess('ingest', { ...shared, INGEST_TRUST_ADDRESS: trust.address, INGEST_TRUST_SERVICE_KEY: trust.operatorKey, INGEST_SUBMISSIONS_TOPIC: topics.submissions }),
      ])),
    );
    const [, , feedService, ingestService] = services as [ServiceProcess, ServiceProcess, ServiceProcess, ServiceProcess];
    ingest = new IngestServiceClient(ingestService.grpcAddress, grpcCredentials.createInsecure());
    feed = new FeedServiceClient(feedService.grpcAddress, grpcCredentials.createInsecure());
  }, 240_000);

  afterAll(async () => {
    for (const s of subscriptions) s.call.cancel();
    ingest?.close();
    feed?.close();
    await Promise.all(services.map((s) => s.stop()));
    await trust?.close();
  });

  it('delivers each organisation exactly its view, retracts on revoke and on leaving the group, and never shows RED to outsiders', async () => {
    const memberFeed = subscribe(member);
    const outsiderFeed = subscribe(outsider);
    // Subscriptions start at the live tail: give both streams a moment to be established before anything is produced.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const amber = await submit(`https://amber-${salt}.nudify.example.test/`, TlpMarking.TLP_MARKING_AMBER, { sharingGroupIds: [groupId] });
    const green = await submit(`https://green-${salt}.nudify.example.test/`, TlpMarking.TLP_MARKING_GREEN);
    const red = await submit(`https://red-${salt}.nudify.example.test/`, TlpMarking.TLP_MARKING_RED, { namedOrgIds: [member.orgId] });
    const ids = { amber: amber.result?.signalId ?? '', green: green.result?.signalId ?? '', red: red.result?.signalId ?? '' };

    await eventually(async () => [ids.amber, ids.green, ids.red].every((id) => eventFor(memberFeed, id, FeedEventKind.FEED_EVENT_KIND_UPSERT)) || undefined, { what: 'the member’s three UPSERTs', timeoutMs: 60_000 });
    await eventually(async () => eventFor(outsiderFeed, ids.green, FeedEventKind.FEED_EVENT_KIND_UPSERT), { what: 'the outsider’s GREEN UPSERT', timeoutMs: 60_000 });
    // The outsider's GREEN event came after the AMBER and RED states were fanned out (one partition per signal, and
    // the fan-out emits in state order per signal): nothing more about them may arrive for it.
    expect(outsiderFeed.events.map((e) => e.signalId)).toEqual([ids.green]);
    const memberRed = eventFor(memberFeed, ids.red, FeedEventKind.FEED_EVENT_KIND_UPSERT);
    expect(memberRed?.view?.contributions.map((c) => c.marking)).toEqual([TlpMarking.TLP_MARKING_RED]);
    expect(memberFeed.events.every((e) => e.cursor.length > 0)).toBe(true);

    // Snapshot and lookup show the outsider the same: the GREEN signal only, RED and AMBER not even as a count.
    const outsiderSnapshot = await snapshot(outsider);
    const views = outsiderSnapshot.flatMap((r) => (r.item?.$case === 'view' ? [r.item.value] : []));
    expect(views.map((v) => v.signalId)).toEqual([ids.green]);
    expect(views[0]?.aggregates?.contributorCount).toBe(1);
    expect(outsiderSnapshot.at(-1)?.item).toMatchObject({ $case: 'end', value: { signalCount: '1' } });
    // Spelled differently from the submission: the lookup canonicalizes first.
    const redLookup = LookupRequest.fromPartial({ signal: { type: SignalType.SIGNAL_TYPE_URL, value: `HTTPS://RED-${salt}.nudify.example.test/`, urlMatchScope: UrlMatchScope.URL_MATCH_SCOPE_HOST } });
    const lookupRed = await call<LookupResponse>(feed, 'lookup', redLookup, outsider.key).catch((err: ServiceError) => err);
    expect((lookupRed as ServiceError).code).toBe(status.NOT_FOUND);
    const memberLookup = await call<LookupResponse>(feed, 'lookup', redLookup, member.key);
    expect(memberLookup.view?.signalId).toBe(ids.red);

    // Revoking the only GREEN contribution retracts it for everyone who saw it.
    await call(ingest, 'revoke', RevokeRequest.fromPartial({ contributionId: green.result?.contributionId, reason: 'e2e' }), contributor.key).catch(async () => {
      // Revoke right after submit can race dedup's store (CONTRIBUTION_NOT_FOUND): retry once it is stored.
      await eventually(() => call(ingest, 'revoke', RevokeRequest.fromPartial({ contributionId: green.result?.contributionId, reason: 'e2e' }), contributor.key).then(() => true, () => undefined), { what: 'revoke' });
    });
    for (const s of [memberFeed, outsiderFeed]) {
      const retract = await eventually(async () => eventFor(s, ids.green, FeedEventKind.FEED_EVENT_KIND_RETRACT), { what: 'GREEN RETRACT', timeoutMs: 60_000 });
      expect(retract.retractReason).toBe(RetractReason.RETRACT_REASON_REVOKED);
    }

    // Leaving the sharing group retracts the AMBER signal for the member, and only for it.
    await trust.rpc('removeGroupMember', RemoveGroupMemberRequest.fromPartial({ groupId, orgId: member.orgId }));
    const lost = await eventually(async () => eventFor(memberFeed, ids.amber, FeedEventKind.FEED_EVENT_KIND_RETRACT), { what: 'AMBER RETRACT', timeoutMs: 60_000 });
    expect(lost.retractReason).toBe(RetractReason.RETRACT_REASON_NO_LONGER_VISIBLE);
    expect(outsiderFeed.events.some((e) => e.signalId !== ids.green)).toBe(false);
    expect(memberFeed.error ?? outsiderFeed.error).toBeUndefined();
  }, 180_000);

  it('resumes a dropped stream from its last cursor with no gap', async () => {
    const first = subscribe(member);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const before = await submit(`https://resume-a-${salt}.nudify.example.test/`, TlpMarking.TLP_MARKING_GREEN);
    const seen = await eventually(async () => first.events.find((e) => e.signalId === before.result?.signalId), { what: 'the first event', timeoutMs: 60_000 });
    first.call.cancel();
    // Produced while the member is disconnected.
    const during = await submit(`https://resume-b-${salt}.nudify.example.test/`, TlpMarking.TLP_MARKING_GREEN);
    const resumed = subscribe(member, seen.cursor);
    const next = await eventually(async () => resumed.events.find((e) => e.signalId === during.result?.signalId), { what: 'the event produced while disconnected', timeoutMs: 60_000 });
    expect(next.kind).toBe(FeedEventKind.FEED_EVENT_KIND_UPSERT);
    expect(resumed.events.some((e) => e.signalId === before.result?.signalId && e.cursor === seen.cursor)).toBe(false);
  }, 120_000);

  it('refuses a caller without a key and a cursor it did not issue, with coded errors', async () => {
    const noKey = await new Promise<ServiceError>((resolve) => {
      const stream = feed.subscribe(SubscribeRequest.fromPartial({}), new Metadata());
      stream.on('data', () => undefined);
      stream.on('error', resolve);
    });
    expect(noKey.code).toBe(status.UNAUTHENTICATED);
    const badCursor = await new Promise<ServiceError>((resolve) => {
      const stream = feed.subscribe(SubscribeRequest.fromPartial({ cursor: 'not-a-cursor' }), metadataFor(member.key));
      stream.on('data', () => undefined);
      stream.on('error', resolve);
    });
    expect(badCursor.code).toBe(status.INVALID_ARGUMENT);
    expect(readErrorDetail(badCursor)?.code).toBe('INVALID_CURSOR');
  });

  it('lets a platform follow its feed with the CLI: snapshot first, then resume from the saved cursor; lookup by value', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'e2e-cli-feed-'));
    const first = await submit(`https://cli-a-${salt}.nudify.example.test/`, TlpMarking.TLP_MARKING_GREEN);
    await eventually(() => cli(outsider, ['lookup', '--type', 'url', '--scope', 'host', `https://cli-a-${salt}.nudify.example.test/`], dir).then((r) => (r.code === 0 ? r : undefined)), { what: 'the signal to be visible', timeoutMs: 60_000 });

    const snapshot = await cli(outsider, ['subscribe', '--snapshot', '--idle-exit-ms', '2000'], dir);
    expect(snapshot.code).toBe(0);
    const lines = jsonLines(snapshot.stdout);
    expect(lines.filter((l) => l['kind'] === 'SNAPSHOT').map((l) => l['signalId'])).toContain(first.result?.signalId);
    expect(lines.some((l) => l['kind'] === 'SNAPSHOT_END')).toBe(true);
    const saved = JSON.parse(await readFile(join(dir, '.signal-mesh', 'subscribe-state.json'), 'utf8')) as { cursor: string };
    expect(saved.cursor.length).toBeGreaterThan(0);

    // Produced while no CLI runs: the next run resumes from the state file and prints it.
    const second = await submit(`https://cli-b-${salt}.nudify.example.test/`, TlpMarking.TLP_MARKING_GREEN);
    const resumed = await eventually(
      () => cli(outsider, ['subscribe', '--idle-exit-ms', '3000'], dir).then((r) => (jsonLines(r.stdout).some((l) => l['signalId'] === second.result?.signalId) ? r : undefined)),
      { what: 'the resumed CLI to print the new signal', timeoutMs: 60_000 },
    );
    expect(resumed.code).toBe(0);
    expect(jsonLines(resumed.stdout).find((l) => l['signalId'] === second.result?.signalId)).toMatchObject({ kind: 'UPSERT', type: 'url' });

    const hidden = await cli(outsider, ['lookup', '--type', 'url', '--scope', 'host', `https://red-${salt}.nudify.example.test/`], dir);
    expect(hidden.code).toBe(3);
  }, 180_000);
});
