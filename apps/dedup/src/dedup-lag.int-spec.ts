import { eventually, integrationEnv, type ServiceProcess, startServiceProcess, testLogger, uniqueName } from '@signal-mesh/testing';
import { createKafka, KafkaProducer } from '@signal-mesh/transport-kafka';

import { createSuiteTopics, submissionRecord, type SuiteTopics } from './testing/stack.fixtures';
import { contributionSubmission } from './testing/submissions.fixtures';

const N = 24;

/** Sum of one metric's samples whose labels include all of `labels`, from a Prometheus text exposition. */
function sumOf(exposition: string, metric: string, labels: Record<string, string>): number | undefined {
  let sum: number | undefined;
  for (const line of exposition.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== metric) continue;
    const body = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => body.includes(`${k}="${v}"`))) sum = (sum ?? 0) + Number(m[3]);
  }
  return sum;
}

describe('dedup consumer lag on /metrics (built service, real Kafka and FerretDB)', () => {
  const stack = integrationEnv();
  const logger = testLogger('dedup-lag');
  const kafka = createKafka({ brokers: stack.kafkaBrokers, clientId: 'dedup-lag', logger });
  const groupId = uniqueName('dedup-lag');
  let topics: SuiteTopics;
  let producer: KafkaProducer;
  let dedup: ServiceProcess;

  const metrics = async () => (await fetch(`${dedup.httpUrl}/metrics`)).text();
  const post = (path: string) => fetch(`${dedup.httpUrl}${path}`, { method: 'POST' });
  const lag = async () => sumOf(await metrics(), 'signal_mesh_kafka_consumer_lag', { group: groupId, topic: topics.submissions });
  const waitForLag = (expected: number, what: string) =>
    eventually(async () => ((await lag()) === expected ? true : undefined), { what, timeoutMs: 45_000, intervalMs: 500 });

  beforeAll(async () => {
    topics = await createSuiteTopics(kafka);
    producer = await KafkaProducer.connect(kafka, logger);
    dedup = await startServiceProcess('dedup', {
      KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      MONGODB_URI: stack.mongoUri,
      MONGODB_DATABASE: uniqueName('dedup_lag').replace(/-/g, '_'),
      DEDUP_GROUP_ID: groupId,
      DEDUP_SUBMISSIONS_TOPIC: topics.submissions,
      DEDUP_STATE_TOPIC: topics.state,
      OPS_ENDPOINTS: 'true',
      // npm start without a collector: nothing is exported, and nothing complains about it.
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      LOG_LEVEL: 'info',
    });
  }, 90_000);

  afterAll(async () => {
    await dedup?.stop();
    await producer?.disconnect();
  }, 60_000);

  it('reports lag 0 for its group once it has joined, and serves its metrics as Prometheus text', async () => {
    await waitForLag(0, 'lag 0 on an empty topic');
    const text = await metrics();
    expect(text).toMatch(/^# TYPE signal_mesh_kafka_consumer_lag gauge$/m);
    expect(text).toMatch(/^target_info\{[^}]*service_name="dedup"/m);
  }, 60_000);

  it('lets the lag rise to N while paused through the operator endpoint, and fall back to 0 after resume', async () => {
    const paused = await post('/ops/consumers/pause');
    expect(paused.status).toBe(200);
    const subs = Array.from({ length: N }, (_, i) => contributionSubmission({ value: `https://lag-${i}.example.test/`, org: 'org_lag', key: `lag-${i}` }));
    await producer.send(topics.submissions, subs.map((s) => submissionRecord(s)));

    await waitForLag(N, `lag ${N} while paused`);
    // Still ready while paused: the member stays in the group.
    expect((await fetch(`${dedup.httpUrl}/readyz`)).status).toBe(200);
    expect(sumOf(await metrics(), 'signal_mesh_kafka_records_total', { group: groupId, topic: topics.submissions, outcome: 'processed' }) ?? 0).toBe(0);

    expect((await post('/ops/consumers/resume')).status).toBe(200);
    await waitForLag(0, 'lag 0 after resume');
    await eventually(
      async () => ((sumOf(await metrics(), 'signal_mesh_kafka_records_total', { group: groupId, topic: topics.submissions, outcome: 'processed' }) ?? 0) === N ? true : undefined),
      { what: `${N} records processed`, timeoutMs: 20_000 },
    );
    expect(sumOf(await metrics(), 'signal_mesh_kafka_produced_total', { topic: topics.state })).toBeGreaterThanOrEqual(N);
  }, 120_000);

  it('logs JSON lines only, with no OTLP export attempts or errors when no collector is configured', () => {
    const lines = dedup.logs.filter((l) => l.trim() !== '');
    expect(lines.filter((l) => !l.startsWith('{'))).toEqual([]);
    expect(lines.filter((l) => /otlp|4318|v1\/traces|v1\/metrics|ECONNREFUSED/i.test(l))).toEqual([]);
    expect(lines.some((l) => l.includes('"consumer paused"'))).toBe(true);
  });
});
