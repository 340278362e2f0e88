// A bulk import from submit to canonical state, relative to Kafka's own producer writing the same number of records.
//   baseline: Kafka's ProducerPerformance (same jars, same broker, acks=all, idempotence) writing N records of the
//             average size of a SubmissionEvent;
//   measured: N contributions streamed through the BUILT services (trust, ingest, dedup as child processes) with
//             IngestService.SubmitStream in streams of 10,000 (the CLI's path), until dedup has merged all of them into
//             MongoDB (its consumer lag is 0 and every contribution is stored). Mixed types (URLs, model hashes, prompt
//             patterns); 30 % of the contributions are by a second organisation to signals the first one submitted.
// Goal (issue 6): ratio >= 0.25 at N = 1,000,000. Default N is BENCH_BULK_CONTRIBUTIONS = 20,000, because merges on
// the test stack's FerretDB cost milliseconds each (see bench/README.md); the ratio is reported for the N run.
// Synthetic data only: *.example.test URLs, random hashes, placeholder phrases.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { IngestServiceClient, PatternKind, SignalType, SubmitStreamRequest, TlpMarking, Topics, UrlMatchScope } = require('@signal-mesh/contracts');
const { MongoConnection } = require('@signal-mesh/data-access-mongo');
const { SignalRepository } = require('@signal-mesh/signals-data-access');
const { startServiceProcess, startTrustFixture } = require('@signal-mesh/testing');
const { grpcCredentials, Metadata } = require('@signal-mesh/transport-grpc');
const { consumerLag, createKafka, ensureTopics } = require('@signal-mesh/transport-kafka');
const { createLogger } = require('@signal-mesh/util-logging');

const COUNT = Number(process.env.BENCH_BULK_CONTRIBUTIONS ?? 20_000);
const STREAM = 10_000;
const DUPLICATES = 0.3;
const RECORD_SIZE = 260;

/** The n-th distinct signal: half URLs, 40 % model hashes, 10 % prompt patterns. */
function signalInput(n, salt) {
  const kind = n % 10;
  if (kind < 5) return { signal: { type: SignalType.SIGNAL_TYPE_URL, value: `https://app-${salt}-${n}.nudify.example.test/`, urlMatchScope: UrlMatchScope.URL_MATCH_SCOPE_HOST }, categories: ['service.nudify'] };
  if (kind < 9) return { signal: { type: SignalType.SIGNAL_TYPE_MODEL_HASH, value: randomBytes(32).toString('hex') }, categories: ['model.2c'] };
  return { signal: { type: SignalType.SIGNAL_TYPE_PROMPT_PATTERN, value: `placeholder phrase ${salt} ${n}`, patternKind: PatternKind.PATTERN_KIND_KEYWORD }, categories: ['prompt.aig-csam'] };
}

function drafts(salt, namedOrgId) {
  const distinct = Math.round(COUNT * (1 - DUPLICATES));
  const first = Array.from({ length: distinct }, (_, n) => ({ ...signalInput(n, salt), marking: TlpMarking.TLP_MARKING_GREEN, confidence: 80 }));
  // The second organisation re-contributes the first 30 % of signals (same inputs), with its own marking.
  const second = first.slice(0, COUNT - distinct).map((d) => ({ ...d, marking: TlpMarking.TLP_MARKING_AMBER_STRICT, namedOrgIds: [namedOrgId], confidence: 60 }));
  return { first, second, distinct };
}

/** One SubmitStream of `items`; resolves with the number accepted once every item is answered. */
function submitStream(client, apiKey, items) {
  return new Promise((resolve, reject) => {
    const metadata = new Metadata();
    metadata.set('x-api-key', apiKey);
    const call = client.submitStream(metadata);
    let accepted = 0;
    let answered = 0;
    call.on('data', (res) => {
      answered++;
      if (res.outcome?.$case === 'accepted') accepted++;
      else if (answered - accepted <= 3) console.error('[bulk-import] rejected', JSON.stringify(res.outcome?.value));
    });
    call.on('error', reject);
    call.on('end', () => resolve({ accepted, answered }));
    (async () => {
      for (const [i, contribution] of items.entries()) {
        if (!call.write(SubmitStreamRequest.fromPartial({ contribution, clientItemId: String(i) }))) await new Promise((r) => call.once('drain', r));
      }
      call.end();
    })().catch(reject);
  });
}

function producerBaseline(ctx, topic) {
  const out = execFileSync('java', ['-Xmx512m', '-cp', `${ctx.kafkaLibs}/*`, 'org.apache.kafka.tools.ProducerPerformance',
    '--topic', topic, '--num-records', String(COUNT), '--record-size', String(RECORD_SIZE), '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${ctx.brokers}`, 'acks=all', 'enable.idempotence=true'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const rate = Number(/([\d.]+) records\/sec/.exec(out.trim().split('\n').at(-1))?.[1]);
  if (!(rate > 0)) throw new Error(`could not parse ProducerPerformance output:\n${out}`);
  return rate;
}

export default {
  name: 'bulk-import',
  description: `${COUNT.toLocaleString('en-US')} mixed contributions (30 % duplicates) from SubmitStream to canonical state, vs Kafka's producer`,
  async run(ctx) {
    const logger = createLogger({ service: 'bench-bulk', level: 'warn' });
    const suite = `bench-bulk-${randomBytes(3).toString('hex')}`;
    const kafka = createKafka({ brokers: ctx.brokers.split(','), clientId: suite, logger });
    const topics = { submissions: `bench.${suite}.${Topics.submissions.name}`, state: `bench.${suite}.${Topics.signalState.name}`, raw: `bench.${suite}.raw` };
    await ensureTopics(kafka, [
      { ...Topics.submissions, name: topics.submissions },
      { ...Topics.signalState, name: topics.state },
      { name: `${topics.submissions}.dlq`, partitions: 1, cleanupPolicy: 'delete', key: 'bench', payload: 'bench' },
      { name: topics.raw, partitions: Topics.submissions.partitions, cleanupPolicy: 'delete', key: 'bench', payload: 'bench' },
    ]);
    const baseline = producerBaseline(ctx, topics.raw);
    ctx.log(`baseline: ProducerPerformance ${Math.round(baseline)} records/s`);

    const stack = { kafkaBrokers: ctx.brokers.split(','), mongoUri: ctx.mongoUri };
    const database = suite.replace(/-/g, '_');
    const shared = { KAFKA_BROKERS: ctx.brokers, MONGODB_URI: ctx.mongoUri, MONGODB_DATABASE: database, LOG_LEVEL: 'warn' };
    const trust = await startTrustFixture(stack, { LOG_LEVEL: 'warn' });
    const services = [];
    const mongo = await MongoConnection.connect({ uri: ctx.mongoUri, database, appName: suite, logger });
    try {
      services.push(await startServiceProcess('dedup', { ...shared, DEDUP_GROUP_ID: suite, DEDUP_SUBMISSIONS_TOPIC: topics.submissions, DEDUP_STATE_TOPIC: topics.state }));
      services.push(
        await startServiceProcess('ingest', {
          ...shared,
          INGEST_TRUST_ADDRESS: trust.address,
          INGEST_TRUST_SERVICE_KEY: trust.operatorKey,
          INGEST_SUBMISSIONS_TOPIC: topics.submissions,
          INGEST_RATE_ITEMS_PER_SECOND: String(10 * COUNT),
          INGEST_RATE_BURST: String(10 * COUNT),
        }),
      );
      const ingest = services[1];
      const [a, b] = [await trust.createOrg({ tier: 4 }), await trust.createOrg({ tier: 4 })];
      const { first, second, distinct } = drafts(randomBytes(3).toString('hex'), a.orgId);
      const client = new IngestServiceClient(ingest.grpcAddress, grpcCredentials.createInsecure(), { 'grpc.max_send_message_length': 1 << 20 });
      const signals = await SignalRepository.create(mongo, logger);

      const t0 = performance.now();
      let accepted = 0;
      for (const [org, items] of [[a, first], [b, second]]) {
        for (let i = 0; i < items.length; i += STREAM) accepted += (await submitStream(client, org.key, items.slice(i, i + STREAM))).accepted;
      }
      const submitted = performance.now();
      if (accepted !== COUNT) throw new Error(`only ${accepted} of ${COUNT} contributions were accepted`);
      for (;;) {
        const lag = (await consumerLag(kafka, suite, [topics.submissions])).reduce((sum, p) => sum + p.lag, 0);
        if (lag === 0 && (await signals.count()) === distinct) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const merged = performance.now();
      const contributions = await signals.countContributions();
      if (contributions !== COUNT) throw new Error(`${contributions} contributions stored, expected ${COUNT}`);
      client.close();
      const rate = COUNT / ((merged - t0) / 1000);
      ctx.log(`submit ${Math.round(COUNT / ((submitted - t0) / 1000))}/s; submit → merged ${Math.round(rate)}/s (${distinct} signals, ${COUNT} contributions)`);
      return [{ figure: 'bulk import, submit → canonical state', unit: 'contributions/s', value: rate, baseline, baselineName: `Kafka ${ctx.kafkaVersion} ProducerPerformance, ${RECORD_SIZE}-byte records` }];
    } finally {
      await Promise.all(services.map((s) => s.stop()));
      await trust.close();
      await mongo.db.dropDatabase().catch(() => undefined);
      await mongo.close();
    }
  },
};
