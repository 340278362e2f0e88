// Baseline: Kafka's own ProducerPerformance / ConsumerPerformance (same jars, same broker, same settings: acks=all,
// idempotent producer, 200-byte records). Measured: @signal-mesh/transport-kafka producing and consuming the same
// number of records. Ratio < 1 means the project's lib is slower than the raw Java client.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { createKafka, ensureTopics, KafkaConsumerRunner, KafkaProducer } = require('@signal-mesh/transport-kafka');
const { createLogger } = require('@signal-mesh/util-logging');

const RECORDS = Number(process.env.BENCH_KAFKA_RECORDS ?? 200_000);
const RECORD_SIZE = 200;
const BATCH = 1_000;
const PARTITIONS = 6;

function java(ctx, mainClass, args) {
  return execFileSync('java', ['-Xmx512m', '-cp', `${ctx.kafkaLibs}/*`, mainClass, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function javaBaseline(ctx, kafka) {
  const topic = `bench.raw.${randomBytes(3).toString('hex')}`;
  await ensureTopics(kafka, [{ name: topic, partitions: PARTITIONS, cleanupPolicy: 'delete', key: 'bench', payload: 'bench' }]);
  const produced = java(ctx, 'org.apache.kafka.tools.ProducerPerformance', [
    '--topic', topic, '--num-records', String(RECORDS), '--record-size', String(RECORD_SIZE), '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${ctx.brokers}`, 'acks=all', 'enable.idempotence=true',
  ]);
  const summary = produced.trim().split('\n').at(-1);
  const producerRate = Number(/([\d.]+) records\/sec/.exec(summary)?.[1]);
  const consumed = java(ctx, 'org.apache.kafka.tools.ConsumerPerformance', [
    '--bootstrap-server', ctx.brokers, '--topic', topic, '--messages', String(RECORDS), '--group', `bench-${randomBytes(3).toString('hex')}`,
  ]);
  // Header: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms,
  // fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec — fetch.nMsg.sec excludes the group join, as our figure does.
  const row = consumed.trim().split('\n').at(-1).split(',').map((s) => s.trim());
  const consumerRate = Number(row[9]);
  if (!(producerRate > 0) || !(consumerRate > 0)) throw new Error(`could not parse Kafka perf tool output:\n${summary}\n${consumed}`);
  return { producerRate, consumerRate };
}

async function libRun(ctx, kafka, logger) {
  const topic = `bench.lib.${randomBytes(3).toString('hex')}`;
  await ensureTopics(kafka, [
    { name: topic, partitions: PARTITIONS, cleanupPolicy: 'delete', key: 'bench', payload: 'bench' },
    { name: `${topic}.dlq`, partitions: 1, cleanupPolicy: 'delete', key: 'bench', payload: 'bench' },
  ]);
  const producer = await KafkaProducer.connect(kafka, logger);
  const value = new Uint8Array(randomBytes(RECORD_SIZE));
  const t0 = performance.now();
  for (let sent = 0; sent < RECORDS; sent += BATCH) {
    const n = Math.min(BATCH, RECORDS - sent);
    await producer.send(topic, Array.from({ length: n }, (_, i) => ({ key: `k${(sent + i) % 10_000}`, value })));
  }
  const producerRate = RECORDS / ((performance.now() - t0) / 1000);

  let count = 0;
  let first = 0;
  let last = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const runner = new KafkaConsumerRunner(kafka, {
    groupId: `bench-${randomBytes(3).toString('hex')}`,
    topics: [topic],
    decode: (v) => v,
    deadLetters: producer,
    logger,
    handle: async () => {
      if (count === 0) first = performance.now();
      count += 1;
      if (count === RECORDS) {
        last = performance.now();
        done();
      }
    },
  });
  await runner.start();
  await finished;
  await runner.stop();
  await producer.disconnect();
  return { producerRate, consumerRate: RECORDS / ((last - first) / 1000) };
}

export default {
  name: 'kafka-lib',
  description: `${RECORDS.toLocaleString('en-US')} × ${RECORD_SIZE}-byte records, ${PARTITIONS} partitions, acks=all, idempotent producer`,
  async run(ctx) {
    const logger = createLogger({ service: 'bench', level: 'warn' });
    const kafka = createKafka({ brokers: ctx.brokers.split(','), clientId: 'bench', logger });
    ctx.log(`baseline: Kafka ${ctx.kafkaVersion} ProducerPerformance / ConsumerPerformance`);
    const base = await javaBaseline(ctx, kafka);
    ctx.log(`baseline: produce ${Math.round(base.producerRate)}/s, consume ${Math.round(base.consumerRate)}/s`);
    const lib = await libRun(ctx, kafka, logger);
    ctx.log(`transport-kafka: produce ${Math.round(lib.producerRate)}/s, consume ${Math.round(lib.consumerRate)}/s`);
    const baselineName = `Kafka ${ctx.kafkaVersion} perf tools`;
    return [
      { figure: 'produce throughput', unit: 'records/s', value: lib.producerRate, baseline: base.producerRate, baselineName },
      { figure: 'consume throughput (commit after effect)', unit: 'records/s', value: lib.consumerRate, baseline: base.consumerRate, baselineName },
    ];
  },
};
