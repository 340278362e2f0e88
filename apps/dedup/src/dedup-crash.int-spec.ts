import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

import { MongoConnection } from '@signal-mesh/data-access-mongo';
import { SignalRepository } from '@signal-mesh/signals-data-access';
import type { ContributionSubmission, SignalRecord } from '@signal-mesh/signals-domain';
import { eventually, integrationEnv, testLogger, uniqueName } from '@signal-mesh/testing';
import { createKafka, KafkaProducer } from '@signal-mesh/transport-kafka';

import { createSuiteTopics, StateTopicReader, submissionRecord, type SuiteTopics, totalLag, waitForLagZero } from './testing/stack.fixtures';
import { contributionSubmission } from './testing/submissions.fixtures';

// A bulk import of 100k submissions: 60k signals (URLs and model hashes) from org_a, 30k of them again from org_b and
// 10k from org_c, in shuffled order. The built service is SIGKILLed mid-way and restarted; the result must be exact.
const SIGNALS = 60_000;
const CONTRIBUTORS = [
  { org: 'org_a', signals: 60_000 },
  { org: 'org_b', signals: 30_000 },
  { org: 'org_c', signals: 10_000 },
];
const TOTAL = CONTRIBUTORS.reduce((sum, c) => sum + c.signals, 0);
const MAIN = join(__dirname, '..', 'dist', 'main.js');

function signalValue(n: number): { type: 'url' | 'model-hash'; value: string } {
  return n % 2 === 0 ? { type: 'url', value: `https://${n}.nudify.example.test/app` } : { type: 'model-hash', value: createHash('sha256').update(`model-${n}`).digest('hex') };
}

/** Deterministic shuffle (mulberry32), so a failure can be replayed. */
function shuffle<T>(items: T[], seed = 0x5eed): T[] {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** The built service as a child process, as `npm start` and the Docker image run it. */
class DedupProcess {
  readonly output: string[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;

  constructor(private readonly env: Record<string, string>) {}

  async start(): Promise<void> {
    const child = spawn(process.execPath, [MAIN], { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const collect = (chunk: Buffer) => this.output.push(...String(chunk).split('\n').filter(Boolean));
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`dedup exited early (${child.exitCode}):\n${this.output.slice(-20).join('\n')}`);
        return this.output.some((line) => line.includes('"dedup service ready"')) ? true : undefined;
      },
      { what: 'dedup service ready', timeoutMs: 60_000 },
    );
  }

  async kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child?.kill(signal);
    return (await this.exited) ?? { code: null, signal: null };
  }
}

describe('dedup service: SIGKILL in the middle of a 100k bulk import', () => {
  const stack = integrationEnv();
  const logger = testLogger('dedup-crash');
  const kafka = createKafka({ brokers: stack.kafkaBrokers, clientId: 'dedup-crash', logger });
  const database = uniqueName('dedup_crash').replace(/-/g, '_');
  const groupId = uniqueName('dedup-crash');
  let topics: SuiteTopics;
  let producer: KafkaProducer;
  let mongo: MongoConnection;
  let repository: SignalRepository;
  let states: StateTopicReader;
  const running: DedupProcess[] = [];
  const expected = new Map<string, { orgs: string[] }>();

  const service = () =>
    new DedupProcess({
      KAFKA_BROKERS: stack.kafkaBrokers.join(','),
      MONGODB_URI: stack.mongoUri,
      MONGODB_DATABASE: database,
      GRPC_PORT: '0',
      HTTP_PORT: '0',
      LOG_LEVEL: 'info',
      DEDUP_GROUP_ID: groupId,
      DEDUP_SUBMISSIONS_TOPIC: topics.submissions,
      DEDUP_STATE_TOPIC: topics.state,
      // A SIGKILLed instance's partitions move after this; the production default is 30 s.
      DEDUP_SESSION_TIMEOUT_MS: '10000',
      // Expiry is not under test here; on FerretDB a sweep scans the whole collection.
      DEDUP_EXPIRY_SWEEP_MS: '600000',
    });

  beforeAll(async () => {
    topics = await createSuiteTopics(kafka);
    producer = await KafkaProducer.connect(kafka, logger);
    mongo = await MongoConnection.connect({ uri: stack.mongoUri, database, appName: 'dedup-crash', logger });
    repository = await SignalRepository.create(mongo, logger);
    states = new StateTopicReader(kafka, topics.state, producer, logger);
  }, 60_000);

  afterAll(async () => {
    for (const p of running) await p.kill('SIGKILL');
    await states?.stop();
    await producer?.disconnect();
    await mongo?.close();
  }, 60_000);

  it('ends with exact counts: nothing lost, nothing counted twice, every final state published', async () => {
    // TEST_LOG_LEVEL=info shows where the time goes.
    const t0 = Date.now();
    const progress = (step: string) => logger.info({ seconds: (Date.now() - t0) / 1000 }, step);
    const submissions: ContributionSubmission[] = [];
    for (const { org, signals } of CONTRIBUTORS) {
      for (let n = 0; n < signals; n++) {
        const sub = contributionSubmission({ ...signalValue(n), org, key: `bulk-${n}` });
        submissions.push(sub);
        const entry = expected.get(sub.signalId) ?? { orgs: [] };
        entry.orgs.push(org);
        expected.set(sub.signalId, entry);
      }
    }
    expect(expected.size).toBe(SIGNALS);

    // The state topic is followed from the start, the import is produced while the first instance boots.
    await states.start();
    const first = service();
    running.push(first);
    const produce = async () => {
      for (let i = 0, batch = shuffle(submissions); i < batch.length; i += 2_000) {
        await producer.send(topics.submissions, batch.slice(i, i + 2_000).map((s) => submissionRecord(s)));
      }
    };
    await Promise.all([first.start(), produce()]);
    progress('produced; first instance running');
    // Kill once between a quarter and three quarters of the import are committed: a real backlog on both sides.
    await eventually(async () => ((await totalLag(kafka, groupId, topics.submissions)) <= TOTAL * 0.75 ? true : undefined), {
      what: 'a quarter of the import committed',
      timeoutMs: 600_000,
      intervalMs: 200,
    });
    const exit = await first.kill('SIGKILL');
    running.pop();
    expect(exit.signal).toBe('SIGKILL');
    const lagAtKill = await totalLag(kafka, groupId, topics.submissions);
    expect(lagAtKill).toBeGreaterThan(TOTAL * 0.1);
    progress('killed');

    const second = service();
    running.push(second);
    await second.start();
    progress('restarted');
    await waitForLagZero(kafka, groupId, topics.submissions, 600_000);
    progress('lag 0');
    expect((await second.kill('SIGTERM')).code).toBe(0);
    running.pop();

    // Every signal's latest state event: exactly its expected contributors, each once, at version = contributions
    // (one version per applied contribution) — chunks written just before the kill included.
    const ids = [...expected.keys()];
    const latest = new Map<string, SignalRecord>();
    let seen = 0;
    const [count] = await Promise.all([
      repository.count(),
      eventually(
        async () => {
          for (const { record } of states.events.slice(seen)) if ((latest.get(record.signalId)?.version ?? 0) < record.version) latest.set(record.signalId, record);
          seen = states.events.length;
          return ids.every((id) => latest.get(id)?.version === expected.get(id)?.orgs.length) ? true : undefined;
        },
        { what: 'a final state event for every signal', timeoutMs: 300_000, intervalMs: 500 },
      ),
    ]);
    expect(count).toBe(SIGNALS);
    progress('states read');
    const wrong = ids.filter((id) => {
      const record = latest.get(id);
      const orgs = [...(expected.get(id)?.orgs ?? [])].sort();
      const contributors = record?.contributions.map((c) => c.contributorOrgId).sort();
      const unique = new Set(record?.contributions.map((c) => c.contributionId)).size;
      return JSON.stringify(contributors) !== JSON.stringify(orgs) || unique !== orgs.length || record?.aggregates.contributorCount !== orgs.length;
    });
    expect(wrong.slice(0, 5)).toEqual([]);
    const histogram = [...latest.values()].reduce<Record<number, number>>((h, r) => ({ ...h, [r.contributions.length]: (h[r.contributions.length] ?? 0) + 1 }), {});
    expect(histogram).toEqual({ 1: 30_000, 2: 20_000, 3: 10_000 });

    // And MongoDB holds the same records (a sample: loading all 60k would dominate the suite on FerretDB).
    const sample = ids.filter((_, i) => i % 30 === 0);
    for (let i = 0; i < sample.length; i += 500) {
      const found = await repository.findMany(sample.slice(i, i + 500));
      for (const id of sample.slice(i, i + 500)) expect({ id, version: found.get(id)?.version, contributions: found.get(id)?.contributions.length }).toEqual({ id, version: latest.get(id)?.version, contributions: latest.get(id)?.contributions.length });
    }
  // Generous limits: this asserts correctness, not speed, and CI machines are shared (130 s when idle).
  }, 1_500_000);
});
