import { trace } from '@opentelemetry/api';
import { MongoConnection } from '@signal-mesh/data-access-mongo';
import { SignalRepository } from '@signal-mesh/signals-data-access';
import { canonicalizeSignal } from '@signal-mesh/signals-domain';
import { eventually, integrationEnv, readDeadLetters, testLogger, uniqueName } from '@signal-mesh/testing';
import { createKafka, KafkaProducer } from '@signal-mesh/transport-kafka';
import { startTelemetry, type Telemetry } from '@signal-mesh/util-otel';

import { loadDedupConfig } from './config';
import { createDedupApp, type DedupApp } from './dedup-app';
import { createSuiteTopics, StateTopicReader, submissionRecord, type SuiteTopics, waitForLagZero } from './testing/stack.fixtures';
import { contributionSubmission, revocationSubmission } from './testing/submissions.fixtures';

describe('dedup service (in-process, real Kafka and FerretDB)', () => {
  const stack = integrationEnv();
  const logger = testLogger('dedup-int');
  const database = uniqueName('dedup_int').replace(/-/g, '_');
  const groupId = uniqueName('dedup-int');
  const kafka = createKafka({ brokers: stack.kafkaBrokers, clientId: 'dedup-int', logger });
  let telemetry: Telemetry;
  let topics: SuiteTopics;
  let producer: KafkaProducer;
  let app: DedupApp;
  let states: StateTopicReader;
  let mongo: MongoConnection;
  let repository: SignalRepository;
  let closed = false;

  const http = (path: string) => fetch(`http://127.0.0.1:${app.httpPort}${path}`);
  const submit = (...subs: Parameters<typeof submissionRecord>[0][]) => producer.send(topics.submissions, subs.map((s) => submissionRecord(s)));

  beforeAll(async () => {
    // Spans must be real (not no-op) for trace ids to travel through the headers.
    telemetry = startTelemetry({ serviceName: 'dedup-int' });
    topics = await createSuiteTopics(kafka);
    producer = await KafkaProducer.connect(kafka, logger);
    const config = loadDedupConfig({
      KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      MONGODB_URI: stack.mongoUri,
      MONGODB_DATABASE: database,
      GRPC_PORT: '0',
      HTTP_PORT: '0',
      SHUTDOWN_GRACE_MS: '2000',
      DEDUP_GROUP_ID: groupId,
      DEDUP_SUBMISSIONS_TOPIC: topics.submissions,
      DEDUP_STATE_TOPIC: topics.state,
      DEDUP_EXPIRY_SWEEP_MS: '500',
    });
    app = await createDedupApp(config, logger);
    states = new StateTopicReader(kafka, topics.state, producer, logger);
    await states.start();
    mongo = await MongoConnection.connect({ uri: stack.mongoUri, database, appName: 'dedup-int', logger });
    repository = await SignalRepository.create(mongo, logger);
  }, 60_000);

  afterAll(async () => {
    if (!closed) await app?.close();
    await states?.stop();
    await producer?.disconnect();
    await mongo?.close();
    await telemetry?.shutdown();
  }, 60_000);

  it('answers /healthz at once and /readyz 503 until MongoDB pings and the consumer joined, then 200', async () => {
    expect((await http('/healthz')).status).toBe(200);
    const before = await http('/readyz');
    expect(before.status).toBe(503);
    expect(await before.json()).toMatchObject({ ready: false, consumer: false });

    await app.start();
    expect(app.runtime.grpcPort).toBeGreaterThan(0);
    const body = await eventually(async () => {
      const res = await http('/readyz');
      return res.status === 200 ? res.json() : undefined;
    }, { what: '/readyz 200', timeoutMs: 30_000 });
    expect(body).toEqual({ ready: true, mongo: true, consumer: true });
  }, 60_000);

  it('merges one URL submitted by three organisations in three spellings into one signal with three contributions', async () => {
    const spellings = ['https://Nudify.Example.com/app', 'HTTPS://nudify.example.com:443/./app#top', 'https://nudify.example.com/x/../app'];
    const ids = new Set(spellings.map((value) => canonicalizeSignal({ type: 'url', value }).signalId));
    expect(ids.size).toBe(1);
    const markings = ['GREEN', 'AMBER_STRICT', 'RED'] as const;
    const subs = spellings.map((value, i) => contributionSubmission({ value, org: `org_${i}`, key: `three-${i}`, marking: markings[i] }));
    const signalId = subs[0]?.signalId ?? '';

    let lastTraceId = '';
    for (const sub of subs) {
      await trace.getTracer('spec').startActiveSpan('ingest accept', async (span) => {
        lastTraceId = span.spanContext().traceId;
        await submit(sub);
        span.end();
      });
    }

    const event = await states.waitFor(signalId, (r) => r.contributions.length === 3, 'the state with three contributions');
    expect(event.record.contributions.map((c) => [c.contributorOrgId, c.marking])).toEqual([
      ['org_0', 'GREEN'],
      ['org_1', 'AMBER_STRICT'],
      ['org_2', 'RED'],
    ]);
    expect(event.record).toMatchObject({ status: 'ACTIVE', aggregates: { contributorCount: 3 } });
    // The state event continues the trace of the submission that last contributed.
    expect(event.headers['traceparent']).toContain(lastTraceId);
    const stored = await repository.findById(signalId);
    expect(stored).toMatchObject({ version: event.record.version, aggregates: { contributorCount: 3 } });
    expect(stored?.contributions).toHaveLength(3);
  }, 60_000);

  it('counts a replayed submission once', async () => {
    const sub = contributionSubmission({ value: 'https://replay.example.test/', org: 'org_r', key: 'replay' });
    await submit(sub);
    const first = await states.waitFor(sub.signalId, () => true);
    const eventsBefore = states.events.length;

    await submit(sub, sub);
    await waitForLagZero(kafka, groupId, topics.submissions);
    await eventually(async () => (states.events.filter((e) => e.record.signalId === sub.signalId).length >= 2 ? true : undefined), { what: 'the replayed state' });

    const stored = await repository.findById(sub.signalId);
    expect(stored?.contributions).toHaveLength(1);
    expect(stored?.version).toBe(first.record.version);
    expect(states.latest(sub.signalId)?.record.version).toBe(first.record.version);
    expect(states.events.length).toBeGreaterThan(eventsBefore);
  }, 60_000);

  it('turns a signal REVOKED when its last contribution is revoked, with a final state event', async () => {
    const a = contributionSubmission({ value: 'https://revoked.example.test/', org: 'org_a', key: 'rev-a' });
    const b = contributionSubmission({ value: 'https://revoked.example.test/', org: 'org_b', key: 'rev-b' });
    await submit(a, b);
    await states.waitFor(a.signalId, (r) => r.contributions.length === 2);

    await submit(revocationSubmission(a, { reason: 'mistake' }));
    const partly = await states.waitFor(a.signalId, (r) => r.contributions.some((c) => c.revokedAt !== undefined));
    expect(partly.record).toMatchObject({ status: 'ACTIVE', aggregates: { contributorCount: 1 } });

    await submit(revocationSubmission(b));
    const final = await states.waitFor(a.signalId, (r) => r.status === 'REVOKED', 'the REVOKED state');
    expect(final.record.contributions.every((c) => c.revokedAt !== undefined)).toBe(true);
    expect(final.record.aggregates.contributorCount).toBe(0);
    expect(await repository.findById(a.signalId)).toMatchObject({ status: 'REVOKED', version: final.record.version });
  }, 60_000);

  it('dead-letters undecodable and invalid submissions with the reason, and keeps processing later ones', async () => {
    const unknown = contributionSubmission({ value: 'https://never-contributed.example.test/', org: 'org_x' });
    const after = contributionSubmission({ value: 'https://after-poison.example.test/', org: 'org_x' });
    const garbage = Buffer.concat([Buffer.from([0x0f]), Buffer.from('not protobuf')]);
    const poisonKey = canonicalizeSignal({ type: 'url', value: 'https://poison.example.test/' }).signalId;
    const stranger = contributionSubmission({ value: 'https://nudify.example.com/app', org: 'org_0', key: 'three-0' });
    // One key for all, so they share a partition in this order: the valid one comes after every poison record.
    await producer.send(
      topics.submissions,
      [
        // Protobuf readers skip most garbage; wire type 7 does not exist, so this cannot decode.
        { key: poisonKey, value: garbage },
        { key: poisonKey, value: new Uint8Array([0x0a, 0x03, 0x6b, 0x65, 0x79]) }, // a SubmissionEvent with no action
        submissionRecord(revocationSubmission(unknown)),
        submissionRecord(revocationSubmission(stranger, { org: 'org_intruder' })),
        submissionRecord(after),
      ].map((r) => ({ ...r, key: poisonKey })),
    );
    await states.waitFor(after.signalId, () => true, 'the valid record after the poison');

    const letters = await readDeadLetters(kafka, topics.dlq, 4);
    const byCode = Object.fromEntries(letters.map((l) => [l.letter.errorCode, l]));
    expect(Object.keys(byCode).sort()).toEqual(['INVALID_SUBMISSION', 'NOT_CONTRIBUTOR', 'SIGNAL_NOT_FOUND', 'UNDECODABLE']);
    expect(byCode['INVALID_SUBMISSION']?.letter.reason).not.toBe('');
    expect(byCode['SIGNAL_NOT_FOUND']?.headers['x-dlq-reason']).toContain(unknown.signalId);
    expect(byCode['UNDECODABLE']?.letter).toMatchObject({ sourceTopic: topics.submissions, consumerGroup: groupId });
    expect(Buffer.from(byCode['UNDECODABLE']?.letter.originalValue ?? [])).toEqual(garbage);
    // The intruder's revocation changed nothing.
    expect((await repository.findById(stranger.signalId))?.contributions.every((c) => c.revokedAt === undefined)).toBe(true);
  }, 60_000);

  it('expires a signal when its only contribution passes its valid-until, without any new submission', async () => {
    const sub = contributionSubmission({ value: 'https://expiring.example.test/', org: 'org_e', validUntil: new Date(Date.now() + 1_500) });
    await submit(sub);
    await states.waitFor(sub.signalId, (r) => r.status === 'ACTIVE');
    const expired = await states.waitFor(sub.signalId, (r) => r.status === 'EXPIRED', 'the EXPIRED state');
    expect(expired.record.aggregates.contributorCount).toBe(0);
    expect(await repository.findById(sub.signalId)).toMatchObject({ status: 'EXPIRED' });
  }, 60_000);

  it('shuts down gracefully with everything committed', async () => {
    await app.close();
    closed = true;
    await expect(http('/healthz')).rejects.toThrow();
    await waitForLagZero(kafka, groupId, topics.submissions, 10_000);
  }, 60_000);
});
