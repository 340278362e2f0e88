// FeedService.Snapshot of N signals to a new subscriber, relative to a bare grpc-js server stream of the same messages.
//   baseline: a grpc-js server (in this process) with only the FeedService definition, whose Snapshot writes N
//             SnapshotResponse messages shaped exactly like the service's (the first real view, with ids varied)
//             with the same write/drain flow control, read by the same client code;
//   measured: the BUILT feed service (child process) streaming an organisation's view of N signals stored in MongoDB
//             (FerretDB here), each evaluated under the trust policy, to a client in this process.
// Goal (issue 7): ratio >= 0.7 at N = 1,000,000. Default N is BENCH_SNAPSHOT_SIGNALS = 20,000 (loading 1M signal
// documents into the test stack's FerretDB takes ~15 minutes and reading them back ~10; set BENCH_SNAPSHOT_SIGNALS=1000000).
// Synthetic data only: *.example.test hosts, GREEN contributions by a second organisation.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { ApiKeyScope, FeedServiceClient, FeedServiceService, SnapshotResponse, Topics } = require('@signal-mesh/contracts');
const { MongoConnection } = require('@signal-mesh/data-access-mongo');
const { applySubmission, canonicalizeSignal, detailsOf } = require('@signal-mesh/signals-domain');
const { SignalRepository } = require('@signal-mesh/signals-data-access');
const { startServiceProcess, startTrustFixture } = require('@signal-mesh/testing');
const { Server, ServerCredentials } = require('@grpc/grpc-js');
const { grpcCredentials, Metadata } = require('@signal-mesh/transport-grpc');
const { createKafka, ensureTopics } = require('@signal-mesh/transport-kafka');
const { createLogger } = require('@signal-mesh/util-logging');

const COUNT = Number(process.env.BENCH_SNAPSHOT_SIGNALS ?? 20_000);
const INSERT_BATCH = 1_000;

/** The n-th signal: a HOST URL with one GREEN contribution by `orgId`, built by the domain merge. */
function record(n, salt, orgId, at) {
  const signal = canonicalizeSignal({ type: 'url', value: `https://app-${salt}-${n}.nudify.example.test/`, scope: 'host' });
  const contribution = {
    contributionId: `ctb_${salt}_${n}`,
    contributorOrgId: orgId,
    marking: 'GREEN',
    sharingGroupIds: [],
    namedOrgIds: [],
    confidence: 80,
    opinion: 'POSITIVE',
    categories: ['service.nudify'],
    externalRefs: [],
    createdAt: at,
  };
  const submission = { kind: 'contribution', submitterOrgId: orgId, signalId: signal.signalId, type: signal.type, canonical: signal.canonical, details: detailsOf(signal), contribution };
  return applySubmission(undefined, submission, at).record;
}

/** Reads a Snapshot stream to its end marker; resolves with the views received and the first one. */
function readSnapshot(client, apiKey) {
  return new Promise((resolve, reject) => {
    const metadata = new Metadata();
    if (apiKey) metadata.set('x-api-key', apiKey);
    const call = client.snapshot({}, metadata);
    let views = 0;
    let first;
    let end;
    call.on('data', (res) => {
      if (res.item?.$case === 'view') {
        views++;
        first ??= res;
      } else if (res.item?.$case === 'end') end = res.item.value;
    });
    call.on('error', reject);
    call.on('end', () => (end ? resolve({ views, first, end }) : reject(new Error('snapshot ended without its end marker'))));
  });
}

/** The baseline server: FeedService with a Snapshot that writes `count` copies of `template` (ids varied). */
async function bareServer(template, count) {
  const server = new Server();
  server.addService(FeedServiceService, {
    snapshot: async (call) => {
      for (let n = 0; n < count; n++) {
        const view = { ...template.item.value, signalId: `sig_bare_${n}`, canonicalValue: `https://bare-${n}.example.test/` };
        if (!call.write({ item: { $case: 'view', value: view } })) await new Promise((r) => call.once('drain', r));
      }
      call.write({ item: { $case: 'end', value: { cursor: 'bare', signalCount: String(count) } } });
      call.end();
    },
  });
  const port = await new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { address: `127.0.0.1:${port}`, close: () => new Promise((r) => server.tryShutdown(r)) };
}

export default {
  name: 'feed-snapshot',
  description: `FeedService.Snapshot of ${COUNT.toLocaleString('en-US')} visible signals vs a bare grpc-js server stream of the same messages`,
  async run(ctx) {
    const logger = createLogger({ service: 'bench-snapshot', level: 'warn' });
    const suite = `bench-snap-${randomBytes(3).toString('hex')}`;
    const database = suite.replace(/-/g, '_');
    const kafka = createKafka({ brokers: ctx.brokers.split(','), clientId: suite, logger });
    const topics = { feed: `bench.${suite}.${Topics.feeds.name}`, trust: `bench.${suite}.${Topics.trustChanges.name}` };
    await ensureTopics(kafka, [
      { ...Topics.feeds, name: topics.feed },
      { ...Topics.trustChanges, name: topics.trust },
    ]);
    const stack = { kafkaBrokers: ctx.brokers.split(','), mongoUri: ctx.mongoUri };
    const trust = await startTrustFixture(stack, { LOG_LEVEL: 'warn', TRUST_CHANGES_TOPIC: topics.trust });
    const mongo = await MongoConnection.connect({ uri: ctx.mongoUri, database, appName: suite, logger });
    let feed;
    let bare;
    const maxMessage = { 'grpc.max_receive_message_length': 4 << 20 };
    try {
      const [viewer, contributor] = [await trust.createOrg({ tier: 3, scopes: [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE] }), await trust.createOrg({ tier: 3 })];
      const signals = await SignalRepository.create(mongo, logger);
      const salt = randomBytes(3).toString('hex');
      const at = new Date();
      const t0 = performance.now();
      for (let n = 0; n < COUNT; n += INSERT_BATCH) {
        const writes = Array.from({ length: Math.min(INSERT_BATCH, COUNT - n) }, (_, i) => ({ record: record(n + i, salt, contributor.orgId, at), expectedVersion: undefined }));
        await signals.writeBatch(writes);
      }
      ctx.log(`loaded ${COUNT} signals in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

      feed = await startServiceProcess('feed', {
        KAFKA_BROKERS: ctx.brokers,
        MONGODB_URI: ctx.mongoUri,
        MONGODB_DATABASE: database,
        LOG_LEVEL: 'warn',
        FEED_TRUST_ADDRESS: trust.address,
        FEED_TOPIC: topics.feed,
        FEED_TRUST_TOPIC: topics.trust,
      });
      const client = new FeedServiceClient(feed.grpcAddress, grpcCredentials.createInsecure(), maxMessage);
      const s0 = performance.now();
      const measured = await readSnapshot(client, viewer.key);
      const snapshotSeconds = (performance.now() - s0) / 1000;
      client.close();
      if (measured.views !== COUNT || Number(measured.end.signalCount) !== COUNT) throw new Error(`snapshot sent ${measured.views} views (end says ${measured.end.signalCount}), expected ${COUNT}`);
      const value = COUNT / snapshotSeconds;

      bare = await bareServer(SnapshotResponse.fromPartial(measured.first), COUNT);
      const bareClient = new FeedServiceClient(bare.address, grpcCredentials.createInsecure(), maxMessage);
      const b0 = performance.now();
      const baselineRun = await readSnapshot(bareClient, undefined);
      const baseline = COUNT / ((performance.now() - b0) / 1000);
      bareClient.close();
      if (baselineRun.views !== COUNT) throw new Error(`bare stream sent ${baselineRun.views} views`);
      ctx.log(`snapshot ${Math.round(value)} views/s (${snapshotSeconds.toFixed(1)} s); bare grpc-js stream ${Math.round(baseline)} messages/s; message ${SnapshotResponse.encode(measured.first).finish().length} bytes`);
      return [{ figure: `Snapshot of ${COUNT.toLocaleString('en-US')} signals`, unit: 'views/s', value, baseline, baselineName: 'bare grpc-js server stream of the same messages' }];
    } finally {
      await feed?.stop();
      await bare?.close();
      await trust.close();
      await mongo.db.dropDatabase().catch(() => undefined);
      await mongo.close();
    }
  },
};
