import { deadLetterTopicName, type FeedEvent, FeedEventKind, RetractReason, Topics } from '@signal-mesh/contracts';
import { decodeFeedEvent } from '@signal-mesh/feeds-event-mapping';
import type { SignalRecord } from '@signal-mesh/signals-domain';
import { eventually, integrationEnv, readDeadLetters, type ServiceProcess, startServiceProcess, startTrustFixture, testLogger, type TestOrg, type TrustFixture, uniqueName } from '@signal-mesh/testing';
import { consumerLag, createKafka, ensureTopics, KafkaProducer, type RecordHeaders, TopicReader } from '@signal-mesh/transport-kafka';

import { SignalHistory, stateBytes } from './testing/states.fixtures';

interface Delivered {
  readonly partition: number;
  readonly offset: string;
  readonly event: FeedEvent;
  readonly headers: RecordHeaders;
}

const describeEvent = (e: FeedEvent): string => (e.kind === FeedEventKind.FEED_EVENT_KIND_UPSERT ? `UPSERT:${e.view?.contributions.length}` : `RETRACT:${RetractReason[e.retractReason]}`);

describe('fanout service (built app, real trust service, Kafka and FerretDB)', () => {
  const stack = integrationEnv();
  const logger = testLogger('fanout-int');
  const kafka = createKafka({ brokers: stack.kafkaBrokers, clientId: 'fanout-int', logger });
  const prefix = uniqueName('fanout');
  const topics = {
    state: `test.${prefix}.${Topics.signalState.name}`,
    trust: `test.${prefix}.${Topics.trustChanges.name}`,
    feed: `test.${prefix}.${Topics.feeds.name}`,
  };
  const dlq = deadLetterTopicName(topics.state);
  const database = uniqueName('fanout_int').replace(/-/g, '_');
  const groupId = uniqueName('fanout-int');
  const delivered: Delivered[] = [];
  const running = new Set<ServiceProcess>();
  let trust: TrustFixture;
  let producer: KafkaProducer;
  let feed: TopicReader;
  let fanout: ServiceProcess;
  let A: TestOrg;
  let B: TestOrg;
  let C: TestOrg;
  let G: string;

  const start = async (env: Record<string, string> = {}) => {
    const service = await startServiceProcess('fanout', {
      KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      MONGODB_URI: stack.mongoUri,
      MONGODB_DATABASE: database,
      LOG_LEVEL: 'info',
      FANOUT_GROUP_ID: groupId,
      FANOUT_STATE_TOPIC: topics.state,
      FANOUT_TRUST_TOPIC: topics.trust,
      FANOUT_FEED_TOPIC: topics.feed,
      // A SIGKILLed instance's partitions move after this; the production default is 30 s.
      FANOUT_SESSION_TIMEOUT_MS: '10000',
      ...env,
    });
    running.add(service);
    return service;
  };
  const publish = (...records: SignalRecord[]) => producer.send(topics.state, records.map((r) => ({ key: r.signalId, value: stateBytes(r) })));
  /** What `org` was told about `signalId`, in feed order. */
  const told = (org: TestOrg, signalId: string): string[] => delivered.filter((d) => d.event.orgId === org.orgId && d.event.signalId === signalId).map((d) => describeEvent(d.event));
  const waitTold = (org: TestOrg, signalId: string, expected: string[]) =>
    eventually(async () => (JSON.stringify(told(org, signalId)) === JSON.stringify(expected) ? true : undefined), { what: `${org.orgId} told ${expected.join(', ')} about ${signalId}`, timeoutMs: 30_000 }).catch((err: Error) => {
      throw new Error(`${err.message}; got ${JSON.stringify(told(org, signalId))}`);
    });
  /**
   * Everything produced before this point has been fanned out: a fresh GREEN signal, published now, reached C. The
   * service handles one chunk at a time, and the sentinel is published only after the events awaited before it.
   */
  const settle = async () => {
    const sentinel = new SignalHistory();
    await publish(sentinel.contribute({ contributorOrgId: A.orgId }));
    await waitTold(C, sentinel.signalId, ['UPSERT:1']);
  };

  beforeAll(async () => {
    await ensureTopics(kafka, [
      { ...Topics.signalState, name: topics.state },
      { ...Topics.trustChanges, name: topics.trust },
      { ...Topics.feeds, name: topics.feed },
      { name: dlq, partitions: 1, cleanupPolicy: 'delete', key: 'original key', payload: 'signalmesh.v1.DeadLetter' },
      { name: deadLetterTopicName(topics.trust), partitions: 1, cleanupPolicy: 'delete', key: 'original key', payload: 'signalmesh.v1.DeadLetter' },
    ]);
    trust = await startTrustFixture(stack, { TRUST_CHANGES_TOPIC: topics.trust });
    [A, B, C] = [await trust.createOrg(), await trust.createOrg(), await trust.createOrg()];
    G = await trust.createGroup([A.orgId, B.orgId]);
    producer = await KafkaProducer.connect(kafka, logger);
    feed = await TopicReader.start({
      kafka,
      topic: topics.feed,
      logger,
      from: 'earliest',
      onRecords: async (records) => {
        for (const r of records) delivered.push({ partition: r.partition, offset: r.offset, event: decodeFeedEvent(r.value), headers: r.headers });
      },
    });
    fanout = await start();
  }, 120_000);

  afterAll(async () => {
    for (const service of running) await service.kill();
    await feed?.stop();
    await producer?.disconnect();
    await trust?.close();
  }, 60_000);

  it('AMBER naming a group: both members get an UPSERT, the outsider nothing; events are keyed by organisation', async () => {
    const amber = new SignalHistory();
    await publish(amber.contribute({ contributorOrgId: A.orgId, marking: 'AMBER', sharingGroupIds: [G] }));
    await waitTold(A, amber.signalId, ['UPSERT:1']);
    await waitTold(B, amber.signalId, ['UPSERT:1']);
    await settle();
    expect(told(C, amber.signalId)).toEqual([]);
    const upsert = delivered.find((d) => d.event.orgId === B.orgId && d.event.signalId === amber.signalId);
    expect(upsert?.event.view?.contributions[0]?.contributorOrgId).toBe(A.orgId);
    expect(upsert?.event.canonicalValue).toBe(amber.current?.canonical);
    // One partition per organisation: all of B's events are on one partition.
    expect(new Set(delivered.filter((d) => d.event.orgId === B.orgId).map((d) => d.partition)).size).toBe(1);
  });

  it('a RED contribution: only its contributor hears of it, nobody else gets any event', async () => {
    const red = new SignalHistory();
    await publish(red.contribute({ contributorOrgId: A.orgId, marking: 'RED', namedOrgIds: [] }));
    await waitTold(A, red.signalId, ['UPSERT:1']);
    await settle();
    expect(delivered.filter((d) => d.event.signalId === red.signalId).map((d) => d.event.orgId)).toEqual([A.orgId]);
  });

  it('revoking one of two visible contributions → a smaller UPSERT; revoking the last → RETRACT REVOKED', async () => {
    const signal = new SignalHistory();
    const first = signal.contribute({ contributorOrgId: A.orgId });
    const second = signal.contribute({ contributorOrgId: B.orgId });
    await publish(first, second);
    for (const org of [A, B, C]) await eventually(async () => (told(org, signal.signalId).at(-1) === 'UPSERT:2' ? true : undefined), { what: `${org.orgId} sees both` });
    await publish(signal.revoke(first.contributions[0]?.contributionId ?? ''));
    for (const org of [A, B, C]) await eventually(async () => (told(org, signal.signalId).at(-1) === 'UPSERT:1' ? true : undefined), { what: `${org.orgId} sees one` });
    const view = delivered.findLast((d) => d.event.orgId === C.orgId && d.event.signalId === signal.signalId)?.event.view;
    expect(view?.contributions.map((c) => c.contributorOrgId)).toEqual([B.orgId]);
    await publish(signal.revoke(second.contributions[1]?.contributionId ?? ''));
    for (const org of [A, B, C]) await eventually(async () => (told(org, signal.signalId).at(-1) === 'RETRACT:RETRACT_REASON_REVOKED' ? true : undefined), { what: `${org.orgId} told REVOKED` });
  });

  it('removing B from the group: B gets RETRACT NO_LONGER_VISIBLE for the AMBER signal, A nothing', async () => {
    const amber = new SignalHistory();
    const green = new SignalHistory();
    await publish(amber.contribute({ contributorOrgId: A.orgId, marking: 'AMBER', sharingGroupIds: [G] }), green.contribute({ contributorOrgId: A.orgId }));
    await waitTold(B, amber.signalId, ['UPSERT:1']);
    await waitTold(B, green.signalId, ['UPSERT:1']);
    await waitTold(A, amber.signalId, ['UPSERT:1']);
    await trust.rpc('removeGroupMember', { groupId: G, orgId: B.orgId });
    await waitTold(B, amber.signalId, ['UPSERT:1', 'RETRACT:RETRACT_REASON_NO_LONGER_VISIBLE']);
    await settle();
    expect(told(A, amber.signalId)).toEqual(['UPSERT:1']);
    expect(told(B, green.signalId)).toEqual(['UPSERT:1']);
    expect(told(C, amber.signalId)).toEqual([]);
  });

  it('dead-letters poison state records (undecodable, invalid) with their reasons and keeps going', async () => {
    await producer.send(topics.state, [
      { key: 'sig_poison_1', value: Buffer.from([0xff, 0xff, 0xff, 0xff]) },
      // Valid protobuf wire format, but not a state: no version, no signal.
      { key: 'sig_poison_2', value: Buffer.from('definitely not a SignalStateEvent') },
    ]);
    const letters = await readDeadLetters(kafka, dlq, 2);
    expect(letters.map(({ letter }) => [letter.sourceTopic, letter.consumerGroup, letter.errorCode]).sort()).toEqual([
      [topics.state, groupId, 'INVALID_STATE'],
      [topics.state, groupId, 'UNDECODABLE'],
    ]);
    expect(letters.every(({ letter, headers }) => letter.reason.length > 0 && headers['x-dlq-code'] === letter.errorCode)).toBe(true);
    await settle();
  });

  it('SIGKILL in the middle of 2,000 state changes across 200 signals: no loss, no reordering per organisation and signal', async () => {
    const t0 = Date.now();
    const progress = (step: string) => logger.info({ seconds: (Date.now() - t0) / 1000 }, step);
    expect(await fanout.stop()).toBe(0);
    running.delete(fanout);
    const signals = Array.from({ length: 200 }, () => new SignalHistory());
    // Ten GREEN contributions each, so the view a version gives everyone has exactly `version` contributions.
    const byVersion = Array.from({ length: 10 }, () => signals.map((s) => s.contribute({ contributorOrgId: A.orgId })));
    for (const round of byVersion) await publish(...round);
    const ids = new Set(signals.map((s) => s.signalId));
    const seen = () => delivered.filter((d) => ids.has(d.event.signalId)).length;
    progress('2,000 states produced');

    // Small chunks: more points at which the kill can land (between produce and save included).
    const first = await start({ FANOUT_MAX_BATCH_RECORDS: '40' });
    // About a third of the events (one per chunk-collapsed version and organisation) before the kill.
    await eventually(async () => (seen() >= 1_500 ? true : undefined), { what: 'a third of the feed events for the crash signals', timeoutMs: 120_000, intervalMs: 20 });
    await first.kill();
    running.delete(first);
    const lag = (await consumerLag(kafka, groupId, [topics.state])).reduce((sum, p) => sum + p.lag, 0);
    progress(`killed with ${seen()} events delivered and a lag of ${lag}`);
    expect(lag).toBeGreaterThan(0);

    fanout = await start({ FANOUT_MAX_BATCH_RECORDS: '40' });
    progress(`restarted; ${fanout.logs.some((line) => line.includes('finished the chunk interrupted')) ? 'an interrupted chunk was finished' : 'no chunk was in flight'}`);
    const final = (org: TestOrg, signalId: string) => told(org, signalId).at(-1) === 'UPSERT:10';
    await eventually(async () => (signals.every((s) => [A, B, C].every((org) => final(org, s.signalId))) ? true : undefined), {
      what: 'the final view of every signal for every organisation',
      timeoutMs: 180_000,
      intervalMs: 250,
    });
    progress('every final view delivered');

    // Per organisation and signal, the delivered views never go back to an older state.
    const reordered: string[] = [];
    for (const s of signals) {
      for (const org of [A, B, C]) {
        const counts = told(org, s.signalId).map((what) => Number(what.replace('UPSERT:', '')));
        if (counts.some((n, i) => Number.isNaN(n) || (i > 0 && n < (counts[i - 1] ?? 0)))) reordered.push(`${org.orgId}/${s.signalId}: ${counts.join(',')}`);
      }
    }
    expect(reordered.slice(0, 5)).toEqual([]);
    progress(`${delivered.filter((d) => ids.has(d.event.signalId)).length} events for ${signals.length * 10} states × 3 organisations (collapsed per chunk, re-emitted after the kill)`);
    // Nobody outside A, B, C (the operator organisation) received these GREEN signals: it is entitled to nothing.
    expect(new Set(delivered.filter((d) => ids.has(d.event.signalId)).map((d) => d.event.orgId))).toEqual(new Set([A.orgId, B.orgId, C.orgId]));
  }, 600_000);
});
