// Dedup throughput when most submissions are duplicates, relative to when none are. Both runs push the same number
// of SubmissionEvents through the dedup processor (apps/dedup: map, load the chunk's signals in one query, merge,
// one versioned bulk write, one acks=all produce of the new states) against the real FerretDB and Kafka, in chunks
// of 500 as the consumer hands them over; only the input differs:
//   baseline  0 % duplicates: every submission is a new signal (inserts only);
//   measured 90 % duplicates: a tenth as many signals, each contributed by 10 organisations, arriving as 10 bulk
//            imports one after the other (the usual shape: one org imports a list, others import overlapping ones),
//            so 90 % of submissions load an existing signal and replace it with one more contribution.
// Goal: ratio >= 0.7 (a bulk import that is mostly known signals must not be much slower than a new list).
// Synthetic data only: https://<n>.nudify.example.test/ URLs, org ids org_bench_<k>.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { canonicalizeSignal, contributionIdFor, detailsOf } = require('@signal-mesh/signals-domain');
const { MongoConnection } = require('@signal-mesh/data-access-mongo');
const { SignalRepository } = require('@signal-mesh/signals-data-access');
const { submissionFromEvent, submissionToEvent } = require('@signal-mesh/signals-event-mapping');
const { createKafka, ensureTopics, KafkaProducer } = require('@signal-mesh/transport-kafka');
const { createLogger } = require('@signal-mesh/util-logging');
// The app's processor and publisher, as built (`npm run bench` builds every project first).
const { DedupProcessor } = require('../../apps/dedup/dist/dedup-processor.js');
const { KafkaStatePublisher } = require('../../apps/dedup/dist/state-publisher.js');

const COUNT = Number(process.env.BENCH_DEDUP_SUBMISSIONS ?? 10_000);
const CHUNK = 500;
const ORGS = 10;
const ROUNDS = 2;

function submission(n, org, createdAt) {
  const signal = canonicalizeSignal({ type: 'url', value: `https://${n}.nudify.example.test/app` });
  const orgId = `org_bench_${org}`;
  return {
    kind: 'contribution',
    submitterOrgId: orgId,
    signalId: signal.signalId,
    type: signal.type,
    canonical: signal.canonical,
    details: detailsOf(signal),
    contribution: {
      contributionId: contributionIdFor(orgId, `bench-${n}`),
      contributorOrgId: orgId,
      marking: org % 3 === 0 ? 'GREEN' : 'AMBER_STRICT',
      sharingGroupIds: [],
      namedOrgIds: org % 3 === 0 ? [] : ['org_bench_named'],
      confidence: 50 + org,
      opinion: 'POSITIVE',
      categories: ['service.nudify'],
      externalRefs: [],
      createdAt,
    },
  };
}

/** The consumed records of one scenario: `signals` distinct signals, each contributed by `COUNT / signals` orgs. */
function records(signals) {
  const perSignal = COUNT / signals;
  const createdAt = new Date('2026-01-01T00:00:00Z');
  const out = [];
  for (let org = 0; org < perSignal; org++) {
    for (let n = 0; n < signals; n++) {
      const sub = submission(n, org, createdAt);
      const event = submissionToEvent(sub, { idempotencyKey: `bench-${n}`, acceptedAt: createdAt });
      out.push({ topic: 'bench', partition: 0, offset: String(out.length), key: sub.signalId, value: event, headers: {}, timestamp: '0' });
    }
  }
  return out;
}

async function run(ctx, kafka, producer, logger, input, label) {
  const database = `bench_dedup_${randomBytes(4).toString('hex')}`;
  const stateTopic = `bench.state.${randomBytes(3).toString('hex')}`;
  await ensureTopics(kafka, [{ name: stateTopic, partitions: 6, cleanupPolicy: 'compact', key: 'signal id', payload: 'bench' }]);
  const mongo = await MongoConnection.connect({ uri: ctx.mongoUri, database, appName: 'bench-dedup', logger });
  try {
    const store = await SignalRepository.create(mongo, logger);
    const processor = new DedupProcessor({ store, sink: new KafkaStatePublisher(producer, stateTopic, () => new Date()), toSubmission: submissionFromEvent, clock: () => new Date(), logger });
    const totals = { created: 0, updated: 0, unchanged: 0, rejected: 0, invalid: 0 };
    const t0 = performance.now();
    for (let i = 0; i < input.length; i += CHUNK) {
      const { stats } = await processor.processChunk(input.slice(i, i + CHUNK));
      for (const k of Object.keys(totals)) totals[k] += stats[k];
    }
    const seconds = (performance.now() - t0) / 1000;
    const stored = await store.count();
    if (totals.rejected + totals.invalid > 0) throw new Error(`${label}: ${totals.rejected + totals.invalid} submissions rejected`);
    return { rate: input.length / seconds, stored, totals };
  } finally {
    await mongo.db.dropDatabase().catch(() => undefined);
    await mongo.close();
  }
}

export default {
  name: 'dedup',
  description: `${COUNT.toLocaleString('en-US')} submissions through the dedup processor (FerretDB + Kafka), 90 % duplicates vs 0 %`,
  async run(ctx) {
    const logger = createLogger({ service: 'bench-dedup', level: 'warn' });
    const kafka = createKafka({ brokers: ctx.brokers.split(','), clientId: 'bench-dedup', logger });
    const producer = await KafkaProducer.connect(kafka, logger);
    try {
      const fresh = records(COUNT);
      const duplicated = records(COUNT / ORGS);
      // Warm up connections, JIT and FerretDB's catalogue on a small input of each shape.
      await run(ctx, kafka, producer, logger, records(CHUNK * 2), 'warm-up');
      const base = [];
      const dup = [];
      for (let round = 0; round < ROUNDS; round++) {
        const b = await run(ctx, kafka, producer, logger, fresh, '0 %');
        const d = await run(ctx, kafka, producer, logger, duplicated, '90 %');
        if (b.stored !== COUNT || d.stored !== COUNT / ORGS) throw new Error(`wrong record counts: ${b.stored} / ${d.stored}`);
        base.push(b.rate);
        dup.push(d.rate);
        ctx.log(`round ${round + 1}: 0 % duplicates ${Math.round(b.rate)}/s (${b.totals.created} created); 90 % duplicates ${Math.round(d.rate)}/s (${d.totals.created} created, ${d.totals.updated} merged)`);
      }
      const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
      return [{ figure: 'dedup, 90 % duplicates', unit: 'submissions/s', value: mean(dup), baseline: mean(base), baselineName: 'dedup, 0 % duplicates (all new signals)' }];
    } finally {
      await producer.disconnect();
    }
  },
};
