// Delivery latency through the whole mesh, relative to raw Kafka's end-to-end latency on the same broker.
//   baseline: Kafka's EndToEndLatency tool (same jars, same broker, acks=all): one record produced and consumed at a
//             time, p50 and p99 — one hop, unloaded;
//   measured: the BUILT trust, ingest, dedup, fanout and feed services (child processes). One contributor submits new
//             GREEN URL signals over IngestService.SubmitStream at BENCH_DELIVERY_RATE (1,000/s) for
//             BENCH_DELIVERY_SECONDS (10 s); 50 subscriber organisations each hold one FeedService.Subscribe stream.
//             Latency = first UPSERT of the signal at a subscriber − the moment its item was written to the submit
//             stream, for every (subscriber, signal). Then BENCH_REVOKES (200) contributions are revoked, 20/s, and
//             revoke → RETRACT is the time until the last of the 50 subscribers received that signal's RETRACT.
// Goals (issue 7): delivery p99 <= 100 ms and <= 3x raw; revoke -> RETRACT p99 <= 1 s.
// Synthetic data only: *.example.test hosts.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { ApiKeyScope, FeedEventKind, FeedServiceClient, IngestServiceClient, SignalType, SubmitStreamRequest, TlpMarking, Topics, UrlMatchScope } = require('@signal-mesh/contracts');
const { canonicalizeSignal } = require('@signal-mesh/signals-domain');
const { startServiceProcess, startTrustFixture } = require('@signal-mesh/testing');
const { grpcCredentials, Metadata } = require('@signal-mesh/transport-grpc');
const { createKafka, ensureTopics } = require('@signal-mesh/transport-kafka');
const { createLogger } = require('@signal-mesh/util-logging');

const RATE = Number(process.env.BENCH_DELIVERY_RATE ?? 1_000);
const SECONDS = Number(process.env.BENCH_DELIVERY_SECONDS ?? 10);
const SUBSCRIBERS = Number(process.env.BENCH_DELIVERY_SUBSCRIBERS ?? 50);
const REVOKES = Number(process.env.BENCH_REVOKES ?? 200);
const REVOKE_RATE = 20;
const WARMUP = 200;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

function rawKafkaLatency(ctx, topic) {
  const out = execFileSync('java', ['-Xmx512m', '-cp', `${ctx.kafkaLibs}/*`, 'org.apache.kafka.tools.EndToEndLatency',
    '--bootstrap-server', ctx.brokers, '--topic', topic, '--num-records', '5000', '--producer-acks', 'all', '--record-size', '600'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const m = /50th = ([\d.]+), 99th = ([\d.]+)/.exec(out);
  if (!m) throw new Error(`could not parse EndToEndLatency output:\n${out}`);
  return { p50: Number(m[1]), p99: Number(m[2]) };
}

const metadataFor = (apiKey) => {
  const metadata = new Metadata();
  metadata.set('x-api-key', apiKey);
  return metadata;
};

/** One live Subscribe stream; records the first UPSERT and the first RETRACT time per signal. */
function subscribe(client, apiKey) {
  const upserts = new Map();
  const emitted = new Map();
  const retracts = new Map();
  const call = client.subscribe({ cursor: '' }, metadataFor(apiKey));
  const state = { upserts, emitted, retracts, error: undefined, cancel: () => call.cancel() };
  call.on('data', (res) => {
    const now = performance.now();
    const e = res.event;
    if (e.kind === FeedEventKind.FEED_EVENT_KIND_UPSERT && !upserts.has(e.signalId)) {
      upserts.set(e.signalId, now);
      // Wall clock of the fan-out's emit, to split the latency into "until fanned out" and "feed delivery".
      emitted.set(e.signalId, e.emittedAt.getTime() - (Date.now() - now));
    }
    else if (e.kind === FeedEventKind.FEED_EVENT_KIND_RETRACT && !retracts.has(e.signalId)) retracts.set(e.signalId, now);
  });
  call.on('error', (err) => {
    if (err.code !== 1) state.error = err; // 1 = CANCELLED, our own cancel
  });
  return state;
}

/** Submits `items` paced at `rate`/s over one SubmitStream; returns when every item is answered. */
function pacedSubmit(client, apiKey, items, rate, sentAt) {
  return new Promise((resolve, reject) => {
    const call = client.submitStream(metadataFor(apiKey));
    const accepted = new Map();
    call.on('data', (res) => {
      if (res.outcome?.$case === 'accepted') accepted.set(res.outcome.value.signalId, res.outcome.value.contributionId);
      else reject(new Error(`rejected: ${JSON.stringify(res.outcome?.value)}`));
    });
    call.on('error', reject);
    call.on('end', () => resolve(accepted));
    (async () => {
      const start = performance.now();
      for (let i = 0; i < items.length; i++) {
        const due = start + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        sentAt.set(items[i].signalId, performance.now());
        if (!call.write(SubmitStreamRequest.fromPartial({ contribution: items[i].draft, clientItemId: String(i) }))) await new Promise((r) => call.once('drain', r));
      }
      call.end();
    })().catch(reject);
  });
}

function drafts(count, salt) {
  return Array.from({ length: count }, (_, n) => {
    const value = `https://app-${salt}-${n}.nudify.example.test/`;
    const signalId = canonicalizeSignal({ type: 'url', value, scope: 'host' }).signalId;
    const draft = { signal: { type: SignalType.SIGNAL_TYPE_URL, value, urlMatchScope: UrlMatchScope.URL_MATCH_SCOPE_HOST }, categories: ['service.nudify'], marking: TlpMarking.TLP_MARKING_GREEN, confidence: 80 };
    return { signalId, draft };
  });
}

async function until(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export default {
  name: 'feed-delivery',
  description: `submit → delivered to ${SUBSCRIBERS} subscribers at ${RATE} signals/s for ${SECONDS} s, and revoke → RETRACT, vs raw Kafka end-to-end latency`,
  async run(ctx) {
    const logger = createLogger({ service: 'bench-delivery', level: 'warn' });
    const suite = `bench-dlv-${randomBytes(3).toString('hex')}`;
    const database = suite.replace(/-/g, '_');
    const kafka = createKafka({ brokers: ctx.brokers.split(','), clientId: suite, logger });
    const t = (spec) => ({ ...spec, name: `bench.${suite}.${spec.name}` });
    const topics = { submissions: t(Topics.submissions), state: t(Topics.signalState), trust: t(Topics.trustChanges), feed: t(Topics.feeds), raw: { name: `bench.${suite}.raw`, partitions: 1, cleanupPolicy: 'delete', key: 'bench', payload: 'bench' } };
    const dlqs = [topics.submissions, topics.state, topics.trust].map((s) => ({ name: `${s.name}.dlq`, partitions: 1, cleanupPolicy: 'delete', key: 'bench', payload: 'bench' }));
    await ensureTopics(kafka, [...Object.values(topics), ...dlqs]);
    const raw = rawKafkaLatency(ctx, topics.raw.name);
    ctx.log(`baseline: raw Kafka end-to-end p50 ${raw.p50} ms, p99 ${raw.p99} ms`);

    const stack = { kafkaBrokers: ctx.brokers.split(','), mongoUri: ctx.mongoUri };
    const shared = { KAFKA_BROKERS: ctx.brokers, MONGODB_URI: ctx.mongoUri, MONGODB_DATABASE: database, LOG_LEVEL: 'warn' };
    const trust = await startTrustFixture(stack, { LOG_LEVEL: 'warn', TRUST_CHANGES_TOPIC: topics.trust.name });
    const services = [];
    const subscriptions = [];
    const clients = [];
    try {
      const contributor = await trust.createOrg({ tier: 4 });
      const subscribers = [];
      for (let i = 0; i < SUBSCRIBERS; i++) subscribers.push(await trust.createOrg({ tier: 3, scopes: [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE] }));
      services.push(await startServiceProcess('dedup', { ...shared, DEDUP_GROUP_ID: suite, DEDUP_SUBMISSIONS_TOPIC: topics.submissions.name, DEDUP_STATE_TOPIC: topics.state.name }));
      services.push(await startServiceProcess('fanout', { ...shared, FANOUT_GROUP_ID: `${suite}-fanout`, FANOUT_STATE_TOPIC: topics.state.name, FANOUT_TRUST_TOPIC: topics.trust.name, FANOUT_FEED_TOPIC: topics.feed.name }));
      const feed = await startServiceProcess('feed', { ...shared, FEED_TRUST_ADDRESS: trust.address, FEED_TOPIC: topics.feed.name, FEED_TRUST_TOPIC: topics.trust.name });
      services.push(feed);
      const ingest = await startServiceProcess('ingest', {
        ...shared,
        INGEST_TRUST_ADDRESS: trust.address,
        INGEST_TRUST_SERVICE_KEY: trust.operatorKey,
        INGEST_SUBMISSIONS_TOPIC: topics.submissions.name,
        INGEST_RATE_ITEMS_PER_SECOND: String(10 * RATE),
        INGEST_RATE_BURST: String(10 * RATE * SECONDS),
      });
      services.push(ingest);
      const ingestClient = new IngestServiceClient(ingest.grpcAddress, grpcCredentials.createInsecure());
      clients.push(ingestClient);
      for (const org of subscribers) {
        // One connection per subscriber, as separate platforms would have.
        const client = new FeedServiceClient(feed.grpcAddress, grpcCredentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
        clients.push(client);
        subscriptions.push(subscribe(client, org.key));
      }

      const salt = randomBytes(3).toString('hex');
      const warm = drafts(WARMUP, `${salt}w`);
      await pacedSubmit(ingestClient, contributor.key, warm, 200, new Map());
      await until('warm-up delivery', () => subscriptions.every((s) => warm.every((d) => s.upserts.has(d.signalId))), 120_000);

      const items = drafts(RATE * SECONDS, salt);
      const sentAt = new Map();
      const accepted = await pacedSubmit(ingestClient, contributor.key, items, RATE, sentAt);
      await until('delivery to every subscriber', () => subscriptions.every((s) => s.error || items.every((d) => s.upserts.has(d.signalId))), 600_000);
      const failed = subscriptions.find((s) => s.error);
      if (failed) throw failed.error;
      const latencies = subscriptions.flatMap((s) => items.map((d) => s.upserts.get(d.signalId) - sentAt.get(d.signalId))).sort((a, b) => a - b);
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      ctx.log(`delivery: ${latencies.length} deliveries, p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${latencies.at(-1).toFixed(1)} ms`);
      // Same clock on both sides (this machine); performance.now() and Date.now() differ by a constant.
      const toEmit = subscriptions.flatMap((s) => items.map((d) => s.emitted.get(d.signalId) - sentAt.get(d.signalId))).sort((a, b) => a - b);
      const toDeliver = subscriptions.flatMap((s) => items.map((d) => s.upserts.get(d.signalId) - s.emitted.get(d.signalId))).sort((a, b) => a - b);
      ctx.log(`  submit → fanned out p50 ${percentile(toEmit, 50).toFixed(1)} ms, p99 ${percentile(toEmit, 99).toFixed(1)} ms; fanned out → delivered p50 ${percentile(toDeliver, 50).toFixed(1)} ms, p99 ${percentile(toDeliver, 99).toFixed(1)} ms`);

      const revoked = items.slice(0, REVOKES);
      const revokedAt = new Map();
      for (const [i, d] of revoked.entries()) {
        const due = performance.now() + 1000 / REVOKE_RATE;
        revokedAt.set(d.signalId, performance.now());
        await new Promise((resolve, reject) => ingestClient.revoke({ contributionId: accepted.get(d.signalId), reason: `bench ${i}` }, metadataFor(contributor.key), (err) => (err ? reject(err) : resolve())));
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
      }
      await until('RETRACT at every subscriber', () => subscriptions.every((s) => revoked.every((d) => s.retracts.has(d.signalId))), 120_000);
      const retractLatencies = revoked.map((d) => Math.max(...subscriptions.map((s) => s.retracts.get(d.signalId))) - revokedAt.get(d.signalId)).sort((a, b) => a - b);
      const r99 = percentile(retractLatencies, 99);
      ctx.log(`revoke → RETRACT at all ${SUBSCRIBERS}: p50 ${percentile(retractLatencies, 50).toFixed(1)} ms, p99 ${r99.toFixed(1)} ms (goal ≤ 1,000 ms)`);

      const baselineName = `Kafka ${ctx.kafkaVersion} EndToEndLatency (one hop, unloaded)`;
      return [
        { figure: `submit → delivered, p50 (${SUBSCRIBERS} subscribers, ${RATE}/s)`, unit: 'ms', value: p50, baseline: raw.p50, baselineName: `${baselineName} p50` },
        { figure: `submit → delivered, p99 (${SUBSCRIBERS} subscribers, ${RATE}/s)`, unit: 'ms', value: p99, baseline: raw.p99, baselineName: `${baselineName} p99` },
        { figure: `revoke → RETRACT at all ${SUBSCRIBERS}, p99`, unit: 'ms', value: r99, baseline: raw.p99, baselineName: `${baselineName} p99` },
      ];
    } finally {
      for (const s of subscriptions) s.cancel();
      for (const c of clients) c.close();
      await Promise.all(services.map((s) => s.stop()));
      await trust.close();
    }
  },
};
