import {
  ApiKeyScope,
  FeedEvent,
  FeedEventKind,
  FeedServiceClient,
  type IssueApiKeyResponse,
  RetractReason,
  type SignalInput,
  SignalType,
  type SnapshotResponse,
  type SubscribeResponse,
  type SubscriptionFilter,
  Topics,
} from '@signal-mesh/contracts';
import { MongoConnection } from '@signal-mesh/data-access-mongo';
import { decodeCursor, feedPartitionOf } from '@signal-mesh/feeds-domain';
import { encodeFeedEvent } from '@signal-mesh/feeds-event-mapping';
import { SignalRepository } from '@signal-mesh/signals-data-access';
import { applySubmission, type SignalRecord, type StoredContribution } from '@signal-mesh/signals-domain';
import { contribution, contributionSubmission, randomHex } from '@signal-mesh/signals-testing';
import { eventually, integrationEnv, type ServiceProcess, startServiceProcess, startTrustFixture, testLogger, type TestOrg, type TrustFixture, uniqueName } from '@signal-mesh/testing';
import { grpcCredentials, GrpcStatus, Metadata, readErrorDetail, type ServiceError } from '@signal-mesh/transport-grpc';
import { createKafka, ensureTopics, type Kafka, KafkaProducer } from '@signal-mesh/transport-kafka';

type Unary = (req: object, metadata: Metadata, cb: (err: ServiceError | null, res: unknown) => void) => unknown;
type Stream<T> = ReturnType<FeedServiceClient['subscribe']> & { on(event: 'data', listener: (message: T) => void): unknown };

/** A stream's messages as they arrive, and how it ended. */
interface Collected<T> {
  readonly messages: T[];
  readonly call: Stream<T>;
  error: ServiceError | undefined;
  ended: boolean;
}

const keyed = (apiKey?: string) => {
  const metadata = new Metadata();
  if (apiKey) metadata.set('x-api-key', apiKey);
  return metadata;
};

/** A URL UPSERT for `orgId` numbered `n` (its canonical value carries the number so order can be checked). */
const upsert = (orgId: string, n: number, confidence = 80) =>
  FeedEvent.fromPartial({
    kind: FeedEventKind.FEED_EVENT_KIND_UPSERT,
    orgId,
    signalId: `sig_${n}_${randomHex(4)}`,
    signalType: SignalType.SIGNAL_TYPE_URL,
    canonicalValue: `https://e${n}.example.com/`,
    view: { signalId: `sig_${n}`, type: SignalType.SIGNAL_TYPE_URL, canonicalValue: `https://e${n}.example.com/`, categories: ['service.nudify'], aggregates: { contributorCount: 1, confidence, positiveCount: 1, negativeCount: 0 }, contributions: [] },
    emittedAt: new Date(),
  });
const numberOf = (event: FeedEvent | undefined) => Number(/^https:\/\/e(\d+)\./.exec(event?.canonicalValue ?? '')?.[1] ?? -1);

describe('feed service (built app, real Kafka, FerretDB and trust service)', () => {
  const env = integrationEnv();
  const feedTopic = uniqueName('feeds-int');
  const trustTopic = uniqueName('trust-int');
  const database = uniqueName('feed_int').replace(/-/g, '_');
  let kafka: Kafka;
  let producer: KafkaProducer;
  let trust: TrustFixture;
  let feed: ServiceProcess;
  let client: FeedServiceClient;
  let mongo: MongoConnection;
  let signals: SignalRepository;
  let reader: TestOrg;
  let partition: number;
  /** Organisation ids (never registered) whose records share the reader's partition: they must be skipped. */
  let neighbour: string;
  const streams: Collected<unknown>[] = [];

  const feedEnv = (overrides: Record<string, string> = {}) => ({
    KAFKA_BROKERS: env.kafkaBrokers.join(','),
    MONGODB_URI: env.mongoUri,
    MONGODB_DATABASE: database,
    FEED_TOPIC: feedTopic,
    FEED_TRUST_TOPIC: trustTopic,
    FEED_TRUST_ADDRESS: trust.address,
    FEED_KEY_RECHECK_MS: '500',
    ...overrides,
  });

  function rpc<Res>(name: 'lookup' | 'getSubscription' | 'setSubscription', request: object, apiKey?: string, on = client): Promise<Res> {
    const method = on[name] as unknown as Unary;
    return new Promise((resolve, reject) => method.call(on, request, keyed(apiKey), (err, res) => (err ? reject(err) : resolve(res as Res))));
  }
  const failure = async (promise: Promise<unknown>) => {
    const err = await promise.then(
      () => undefined,
      (e: ServiceError) => e,
    );
    if (!err) throw new Error('expected the call to fail');
    return { code: err.code, detail: readErrorDetail(err)?.code, field: readErrorDetail(err)?.field };
  };

  function collect<T>(call: Stream<T>): Collected<T> {
    const collected: Collected<T> = { messages: [], call, error: undefined, ended: false };
    call.on('data', (message: T) => collected.messages.push(message));
    call.on('error', (err: ServiceError) => {
      collected.error = err;
      collected.ended = true;
    });
    call.on('end', () => {
      collected.ended = true;
    });
    streams.push(collected as Collected<unknown>);
    return collected;
  }
  const subscribe = (apiKey: string | undefined, request: { cursor?: string; filter?: SubscriptionFilter } = {}, on = client) =>
    collect<SubscribeResponse>(on.subscribe({ cursor: request.cursor ?? '', filter: request.filter }, keyed(apiKey)) as Stream<SubscribeResponse>);
  const snapshot = async (apiKey: string, filter?: SubscriptionFilter) => {
    const s = collect<SnapshotResponse>(client.snapshot({ filter }, keyed(apiKey)) as unknown as Stream<SnapshotResponse>);
    await eventually(async () => (s.ended ? true : undefined), { what: 'snapshot end', timeoutMs: 30_000 });
    if (s.error) throw s.error;
    const views = s.messages.flatMap((m) => (m.item?.$case === 'view' ? [m.item.value] : []));
    const end = s.messages.at(-1)?.item;
    if (end?.$case !== 'end') throw new Error('snapshot did not end with its cursor');
    return { views, cursor: end.value.cursor, signalCount: Number(end.value.signalCount) };
  };
  /** The live end of the caller's feed now: a snapshot's cursor (also proves Snapshot → Subscribe continuity). */
  const cursorNow = async (apiKey: string) => (await snapshot(apiKey, { types: [SignalType.SIGNAL_TYPE_PROMPT_PATTERN], categories: [], minConfidence: 0 })).cursor;
  const events = (s: Collected<SubscribeResponse>) => s.messages.map((m) => m.event);
  const receive = (s: Collected<SubscribeResponse>, count: number, timeoutMs = 20_000) =>
    eventually(async () => {
      if (s.error) throw s.error;
      return s.messages.length >= count ? events(s) : undefined;
    }, { what: `${count} events`, timeoutMs });
  const produce = async (records: { key: string; event: FeedEvent }[]) => {
    for (let i = 0; i < records.length; i += 2_000) await producer.send(feedTopic, records.slice(i, i + 2_000).map(({ key, event }) => ({ key, value: encodeFeedEvent(event) })));
  };
  const endedWith = (s: Collected<unknown>, timeoutMs = 5_000) =>
    eventually(async () => (s.error ? { code: s.error.code, detail: readErrorDetail(s.error)?.code } : undefined), { what: 'stream error', timeoutMs });

  const subscriberOrg = () => trust.createOrg({ scopes: [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE] });

  beforeAll(async () => {
    kafka = createKafka({ brokers: env.kafkaBrokers, clientId: uniqueName('feed-int'), logger: testLogger() });
    await ensureTopics(kafka, [
      { ...Topics.feeds, name: feedTopic },
      { ...Topics.trustChanges, name: trustTopic },
    ]);
    producer = await KafkaProducer.connect(kafka, testLogger());
    trust = await startTrustFixture(env, { TRUST_CHANGES_TOPIC: trustTopic });
    reader = await subscriberOrg();
    partition = feedPartitionOf(reader.orgId, Topics.feeds.partitions);
    let i = 0;
    while (feedPartitionOf(`org_neighbour_${i}`, Topics.feeds.partitions) !== partition) i++;
    neighbour = `org_neighbour_${i}`;
    mongo = await MongoConnection.connect({ uri: env.mongoUri, database, appName: 'feed-int', logger: testLogger() });
    signals = await SignalRepository.create(mongo, testLogger());
    feed = await startServiceProcess('feed', feedEnv());
    client = new FeedServiceClient(feed.grpcAddress, grpcCredentials.createInsecure());
  }, 120_000);

  afterEach(() => {
    for (const s of streams.splice(0)) if (!s.ended) s.call.cancel();
  });

  afterAll(async () => {
    client?.close();
    await feed?.stop();
    await producer?.disconnect();
    await mongo?.db.dropDatabase();
    await mongo?.close();
    await trust?.close();
  }, 60_000);

  it('refuses a call without a key UNAUTHENTICATED, and a CONTRIBUTE-only key PERMISSION_DENIED', async () => {
    expect(await failure(rpc('getSubscription', {}))).toEqual({ code: GrpcStatus.UNAUTHENTICATED, detail: 'API_KEY_MISSING', field: '' });
    const s = subscribe(undefined);
    expect(await endedWith(s)).toEqual({ code: GrpcStatus.UNAUTHENTICATED, detail: 'API_KEY_MISSING' });
    const contributor = await trust.createOrg();
    expect((await failure(rpc('getSubscription', {}, contributor.key))).code).toBe(GrpcStatus.PERMISSION_DENIED);
  });

  it("delivers only the caller's events, in order, each with the cursor after it", async () => {
    const cursor = await cursorNow(reader.key);
    const s = subscribe(reader.key, { cursor });
    await produce(Array.from({ length: 20 }, (_, n) => (n % 2 === 0 ? { key: reader.orgId, event: upsert(reader.orgId, n) } : { key: neighbour, event: upsert(neighbour, n) })));
    const got = await receive(s, 10);
    await new Promise((r) => setTimeout(r, 500));
    expect(events(s).map(numberOf)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(got.every((e) => e?.orgId === reader.orgId)).toBe(true);
    const offsets = got.map((e) => decodeCursor(e?.cursor ?? '')).map((c) => [c.partition, BigInt(c.offset)] as const);
    expect(offsets.every(([p]) => p === partition)).toBe(true);
    // Strictly increasing cursors, the first one after the snapshot's.
    expect(offsets.every(([, o], i) => i === 0 || o > (offsets[i - 1]?.[1] ?? 0n))).toBe(true);
    expect(offsets[0]?.[1]).toBeGreaterThan(BigInt(decodeCursor(cursor).offset));
  });

  it('resumes from the last acknowledged cursor with no gap and no duplicate', async () => {
    const first = subscribe(reader.key, { cursor: await cursorNow(reader.key) });
    await produce(Array.from({ length: 10 }, (_, n) => ({ key: reader.orgId, event: upsert(reader.orgId, 100 + n) })));
    const got = await receive(first, 10);
    first.call.cancel();
    const acknowledged = got[4];
    const resumed = subscribe(reader.key, { cursor: acknowledged?.cursor ?? '' });
    await receive(resumed, 5);
    await new Promise((r) => setTimeout(r, 500));
    expect(events(resumed).map(numberOf)).toEqual([105, 106, 107, 108, 109]);
    expect(events(resumed).map((e) => e?.cursor)).toEqual(got.slice(5).map((e) => e?.cursor));
  });

  it('refuses a malformed cursor and one of another partition INVALID_ARGUMENT', async () => {
    expect(await endedWith(subscribe(reader.key, { cursor: 'not-a-cursor!' }))).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, detail: 'INVALID_CURSOR' });
    const other = Buffer.from(JSON.stringify({ v: 1, p: (partition + 1) % Topics.feeds.partitions, o: '0' })).toString('base64url');
    expect(await endedWith(subscribe(reader.key, { cursor: other }))).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, detail: 'INVALID_CURSOR' });
    const ahead = Buffer.from(JSON.stringify({ v: 1, p: partition, o: '999999999' })).toString('base64url');
    expect(await endedWith(subscribe(reader.key, { cursor: ahead }))).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, detail: 'INVALID_CURSOR' });
  });

  it('gives 50 concurrent subscribers of one organisation identical sequences', async () => {
    const cursor = await cursorNow(reader.key);
    const subscribers = Array.from({ length: 50 }, () => subscribe(reader.key, { cursor }));
    await produce(Array.from({ length: 100 }, (_, n) => ({ key: n % 3 === 0 ? neighbour : reader.orgId, event: upsert(n % 3 === 0 ? neighbour : reader.orgId, 200 + n) })));
    const expected = Array.from({ length: 100 }, (_, n) => 200 + n).filter((n) => (n - 200) % 3 !== 0);
    for (const s of subscribers) await receive(s, expected.length);
    await new Promise((r) => setTimeout(r, 500));
    const first = events(subscribers[0] as Collected<SubscribeResponse>);
    expect(first.map(numberOf)).toEqual(expected);
    for (const s of subscribers) expect(events(s)).toEqual(first);
  }, 60_000);

  it('turns a non-matching UPSERT into RETRACT FILTERED_OUT, with the stored subscription when the request has none', async () => {
    const cursor = await cursorNow(reader.key);
    const byRequest = subscribe(reader.key, { cursor, filter: { types: [SignalType.SIGNAL_TYPE_MODEL_HASH], categories: [], minConfidence: 0 } });
    expect(await failure(rpc('setSubscription', { filter: { types: [], categories: [], minConfidence: 101 } }, reader.key))).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, detail: 'INVALID_FILTER', field: 'filter.min_confidence' });
    const stored = await rpc<{ subscription: { filter: SubscriptionFilter } }>('setSubscription', { filter: { types: [], categories: [], minConfidence: 90 } }, reader.key);
    expect(stored.subscription.filter.minConfidence).toBe(90);
    expect((await rpc<{ subscription: { filter: SubscriptionFilter } }>('getSubscription', {}, reader.key)).subscription.filter.minConfidence).toBe(90);
    const byStored = subscribe(reader.key, { cursor });
    const unfiltered = subscribe(reader.key, { cursor, filter: { types: [], categories: ['service'], minConfidence: 0 } });
    await produce([
      { key: reader.orgId, event: upsert(reader.orgId, 300, 50) },
      { key: reader.orgId, event: upsert(reader.orgId, 301, 95) },
    ]);
    const kinds = (e: FeedEvent | undefined) => [numberOf(e), e?.kind, e?.retractReason, e?.view === undefined];
    const retracted = [RetractReason.RETRACT_REASON_FILTERED_OUT];
    expect((await receive(byRequest, 2)).map(kinds)).toEqual([
      [300, FeedEventKind.FEED_EVENT_KIND_RETRACT, ...retracted, true],
      [301, FeedEventKind.FEED_EVENT_KIND_RETRACT, ...retracted, true],
    ]);
    expect((await receive(byStored, 2)).map(kinds)).toEqual([
      [300, FeedEventKind.FEED_EVENT_KIND_RETRACT, ...retracted, true],
      [301, FeedEventKind.FEED_EVENT_KIND_UPSERT, RetractReason.RETRACT_REASON_UNSPECIFIED, false],
    ]);
    expect((await receive(unfiltered, 2)).map((e) => e?.kind)).toEqual([FeedEventKind.FEED_EVENT_KIND_UPSERT, FeedEventKind.FEED_EVENT_KIND_UPSERT]);
    await rpc('setSubscription', { filter: { types: [], categories: [], minConfidence: 0 } }, reader.key);
    expect((await failure(rpc('getSubscription', {}, reader.key))).detail).toBe('SUBSCRIPTION_NOT_FOUND');
  });

  describe('views from MongoDB', () => {
    let contributor: TestOrg;
    let redContributor: TestOrg;
    let member: TestOrg;
    let outsider: TestOrg;
    const inputs: Record<'amber' | 'green' | 'mixed', SignalInput> = {
      amber: { type: SignalType.SIGNAL_TYPE_URL, value: `https://amber-${randomHex(4)}.example.com/`, urlMatchScope: 0, patternKind: 0, hashAlgorithm: 0 },
      green: { type: SignalType.SIGNAL_TYPE_URL, value: `https://green-${randomHex(4)}.example.com/`, urlMatchScope: 0, patternKind: 0, hashAlgorithm: 0 },
      mixed: { type: SignalType.SIGNAL_TYPE_URL, value: `https://mixed-${randomHex(4)}.example.com/`, urlMatchScope: 0, patternKind: 0, hashAlgorithm: 0 },
    };
    const ids: Record<string, string> = {};

    /** A record merged by the domain from the given contributions. */
    const recordOf = (value: string, contributions: Partial<StoredContribution>[]): SignalRecord => {
      let record: SignalRecord | undefined;
      for (const overrides of contributions) {
        const c = contribution(overrides);
        const result = applySubmission(record, contributionSubmission({ type: 'url', value }, c), new Date());
        if (result.outcome === 'rejected') throw new Error(result.message);
        record = result.record;
      }
      if (!record) throw new Error('no contributions');
      return record;
    };

    beforeAll(async () => {
      contributor = await trust.createOrg();
      redContributor = await trust.createOrg();
      member = await subscriberOrg();
      outsider = await subscriberOrg();
      const group = await trust.createGroup([contributor.orgId, member.orgId]);
      const records = [
        recordOf(inputs.amber.value, [{ contributorOrgId: contributor.orgId, marking: 'AMBER', sharingGroupIds: [group], createdAt: new Date() }]),
        recordOf(inputs.green.value, [{ contributorOrgId: contributor.orgId, marking: 'GREEN', createdAt: new Date() }]),
        // The RED contribution names another organisation only: never shown, never counted, for member and outsider.
        recordOf(inputs.mixed.value, [
          { contributorOrgId: contributor.orgId, marking: 'GREEN', confidence: 60, createdAt: new Date() },
          { contributorOrgId: redContributor.orgId, marking: 'RED', namedOrgIds: [contributor.orgId], confidence: 99, categories: ['service.nudify.tutorial'], createdAt: new Date() },
        ]),
      ];
      ids['amber'] = records[0]?.signalId ?? '';
      ids['green'] = records[1]?.signalId ?? '';
      ids['mixed'] = records[2]?.signalId ?? '';
      expect(await signals.writeBatch(records.map((record) => ({ record, expectedVersion: undefined })))).toEqual({ conflicts: [] });
    });

    it("streams exactly the caller's visible views, then a cursor from which Subscribe continues", async () => {
      const ofMember = await snapshot(member.key);
      const ofOutsider = await snapshot(outsider.key);
      const ours = (views: { signalId: string }[]) => views.map((v) => v.signalId).filter((id) => Object.values(ids).includes(id)).sort();
      expect(ours(ofMember.views)).toEqual([ids['amber'], ids['green'], ids['mixed']].sort());
      expect(ours(ofOutsider.views)).toEqual([ids['green'], ids['mixed']].sort());
      expect(ofMember.signalCount).toBe(ofMember.views.length);
      expect(ofOutsider.signalCount).toBe(ofOutsider.views.length);
      for (const view of [...ofMember.views, ...ofOutsider.views].filter((v) => v.signalId === ids['mixed'])) {
        expect(view.aggregates).toEqual({ contributorCount: 1, confidence: 60, positiveCount: 1, negativeCount: 0 });
        expect(view.contributions.map((c) => c.contributorOrgId)).toEqual([contributor.orgId]);
        expect(view.categories).toEqual(['service.nudify']);
      }
      // Filtered: only views that match are sent (and counted).
      const filtered = await snapshot(member.key, { types: [SignalType.SIGNAL_TYPE_MODEL_HASH], categories: [], minConfidence: 0 });
      expect(filtered.views).toEqual([]);
      expect(filtered.signalCount).toBe(0);

      const memberPartition = feedPartitionOf(member.orgId, Topics.feeds.partitions);
      expect(decodeCursor(ofMember.cursor).partition).toBe(memberPartition);
      await produce([{ key: member.orgId, event: upsert(member.orgId, 400) }]);
      const s = subscribe(member.key, { cursor: ofMember.cursor });
      expect((await receive(s, 1)).map(numberOf)).toEqual([400]);
    });

    it('looks up a visible signal, and answers NOT_FOUND alike for an invisible and a missing one', async () => {
      const found = await rpc<{ view: { signalId: string; aggregates: unknown } }>('lookup', { signal: inputs.amber }, member.key);
      expect(found.view.signalId).toBe(ids['amber']);
      const mixed = await rpc<{ view: { aggregates: unknown } }>('lookup', { signal: inputs.mixed }, outsider.key);
      expect(mixed.view.aggregates).toEqual({ contributorCount: 1, confidence: 60, positiveCount: 1, negativeCount: 0 });
      const invisible = await failure(rpc('lookup', { signal: inputs.amber }, outsider.key));
      const missing = await failure(rpc('lookup', { signal: { ...inputs.amber, value: `https://missing-${randomHex(4)}.example.com/` } }, outsider.key));
      expect(invisible).toEqual({ code: GrpcStatus.NOT_FOUND, detail: 'SIGNAL_NOT_FOUND', field: '' });
      expect(missing).toEqual(invisible);
      expect((await failure(rpc('lookup', { signal: { ...inputs.amber, value: 'not a url' } }, outsider.key))).code).toBe(GrpcStatus.INVALID_ARGUMENT);
    });
  });

  it('ends a stream UNAUTHENTICATED within ~2 s of its key being revoked', async () => {
    const issued = await trust.rpc<IssueApiKeyResponse>('issueApiKey', { orgId: reader.orgId, label: 'revoked-mid-stream', scopes: [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE] });
    const s = subscribe(issued.secret);
    const control = subscribe(reader.key);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(s.ended).toBe(false);
    const revokedAt = Date.now();
    await trust.rpc('revokeApiKey', { keyId: issued.apiKey?.keyId });
    expect(await endedWith(s, 4_000)).toEqual({ code: GrpcStatus.UNAUTHENTICATED, detail: 'API_KEY_REVOKED' });
    expect(Date.now() - revokedAt).toBeLessThan(2_500);
    expect(control.ended).toBe(false);
  });

  it('ends a stream PERMISSION_DENIED when its organisation is suspended', async () => {
    const suspended = await subscriberOrg();
    const s = subscribe(suspended.key);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(s.ended).toBe(false);
    await trust.rpc('suspendOrganisation', { orgId: suspended.orgId, reason: 'test' });
    expect(await endedWith(s, 4_000)).toEqual({ code: GrpcStatus.PERMISSION_DENIED, detail: 'ORGANISATION_SUSPENDED' });
  });

  it('refuses a cursor older than the log start FAILED_PRECONDITION CURSOR_EXPIRED', async () => {
    const old = await cursorNow(reader.key);
    await produce(Array.from({ length: 5 }, (_, n) => ({ key: reader.orgId, event: upsert(reader.orgId, 500 + n) })));
    const admin = kafka.admin();
    await admin.connect();
    try {
      const high = (await admin.fetchTopicOffsets(feedTopic)).find((p) => p.partition === partition)?.high ?? '0';
      await admin.deleteTopicRecords({ topic: feedTopic, partitions: [{ partition, offset: high }] });
    } finally {
      await admin.disconnect();
    }
    expect(await endedWith(subscribe(reader.key, { cursor: old }))).toEqual({ code: GrpcStatus.FAILED_PRECONDITION, detail: 'CURSOR_EXPIRED' });
  });

  it('delivers every event in order to a subscriber that read nothing while 20,000 were produced (detach and catch up)', async () => {
    const small = await startServiceProcess('feed', feedEnv({ FEED_TAIL_EVENTS: '500' }));
    const smallClient = new FeedServiceClient(small.grpcAddress, grpcCredentials.createInsecure());
    try {
      const cursor = await cursorNow(reader.key);
      const s = subscribe(reader.key, { cursor }, smallClient);
      s.call.pause();
      const total = 20_000;
      await produce(Array.from({ length: total }, (_, n) => ({ key: n % 10 === 9 ? neighbour : reader.orgId, event: upsert(n % 10 === 9 ? neighbour : reader.orgId, 1_000_000 + n) })));
      await new Promise((r) => setTimeout(r, 2_000));
      const buffered = s.messages.length;
      expect(buffered).toBeLessThan(total * 0.9);
      s.call.resume();
      const expected = Array.from({ length: total }, (_, n) => n).filter((n) => n % 10 !== 9).map((n) => 1_000_000 + n);
      await receive(s, expected.length, 90_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(events(s).map(numberOf)).toEqual(expected);
      // The ring (500) was overrun: the stream read the partition itself, then went back to the ring.
      expect(small.logs.some((line) => line.includes('follower reads the partition itself'))).toBe(true);
      expect(small.logs.some((line) => line.includes('follower released its own reader') && line.includes('caught up with the ring'))).toBe(true);
    } finally {
      smallClient.close();
      await small.stop();
    }
  }, 180_000);

  it('ends open streams UNAVAILABLE on shutdown, and the cursor resumes on another instance', async () => {
    const other = await startServiceProcess('feed', feedEnv());
    const otherClient = new FeedServiceClient(other.grpcAddress, grpcCredentials.createInsecure());
    try {
      const s = subscribe(reader.key, { cursor: await cursorNow(reader.key) }, otherClient);
      await produce([{ key: reader.orgId, event: upsert(reader.orgId, 600) }]);
      const [last] = await receive(s, 1);
      expect(await other.stop()).toBe(0);
      expect(await endedWith(s)).toEqual({ code: GrpcStatus.UNAVAILABLE, detail: 'SHUTTING_DOWN' });
      await produce([{ key: reader.orgId, event: upsert(reader.orgId, 601) }]);
      const resumed = subscribe(reader.key, { cursor: last?.cursor ?? '' });
      expect((await receive(resumed, 1)).map(numberOf)).toEqual([601]);
    } finally {
      otherClient.close();
      await other.stop();
    }
  }, 60_000);
});
