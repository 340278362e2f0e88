import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { type IndexDefinition, MongoConnection, MongoRepository } from '@signal-mesh/data-access-mongo';
import { eventually, integrationEnv, testLogger, uniqueName } from '@signal-mesh/testing';
import { type ConsumedRecord, KafkaConsumerRunner, KafkaProducer } from '@signal-mesh/transport-kafka';

import { createTestTopic, type TestTopics } from './test-topic';

interface Item {
  _id: string;
  name: string;
  deliveries?: number;
}

class ItemRepository extends MongoRepository<Item> {
  constructor(connection: MongoConnection) {
    super(connection.db, 'items');
  }
  protected indexes(): IndexDefinition[] {
    return [{ key: { name: 1 }, options: { name: 'by_name' } }];
  }
  /** Idempotent: replaying the same record leaves one document with the same content. */
  async apply(item: Item): Promise<void> {
    await this.collection.updateOne({ _id: item._id }, { $set: { name: item.name }, $inc: { deliveries: 1 } }, { upsert: true });
  }
  find(id: string) {
    return this.collection.findOne({ _id: id });
  }
  count() {
    return this.collection.countDocuments({});
  }
  countId(id: string) {
    return this.collection.countDocuments({ _id: id });
  }
}

const logger = testLogger('stack-smoke');
const encode = (item: Item) => new TextEncoder().encode(JSON.stringify(item));
const decode = (value: Buffer | null) => JSON.parse(String(value)) as Item;

describe('local stack smoke', () => {
  const env = integrationEnv();
  let t: TestTopics;
  let producer: KafkaProducer;
  let mongo: MongoConnection;
  let items: ItemRepository;

  beforeAll(async () => {
    t = await createTestTopic('smoke', logger);
    producer = await KafkaProducer.connect(t.kafka, logger);
    mongo = await MongoConnection.connect({ uri: env.mongoUri, database: uniqueName('smoke'), appName: 'smoke-test', logger });
    items = new ItemRepository(mongo);
    await items.ensureIndexes();
  });

  afterAll(async () => {
    await mongo?.db.dropDatabase();
    await mongo?.close();
    await producer?.disconnect();
  });

  it('talks to a real Kafka JVM and a real FerretDB process', async () => {
    if (env.kafkaPid) expect(readFileSync(`/proc/${env.kafkaPid}/cmdline`, 'utf8')).toContain('kafka.Kafka');
    const admin = t.kafka.admin();
    await admin.connect();
    const cluster = await admin.describeCluster();
    await admin.disconnect();
    expect(cluster.brokers.map((b) => `${b.host}:${b.port}`)).toEqual(expect.arrayContaining(env.kafkaBrokers));

    const buildInfo = await mongo.db.admin().command({ buildInfo: 1 });
    if (env.ferretdbPid) {
      expect(readFileSync(`/proc/${env.ferretdbPid}/cmdline`, 'utf8')).toContain('ferretdb');
      expect(buildInfo['ferretdbVersion'] ?? buildInfo['ferretdb']?.version).toMatch(/^v1\.24/);
    }
  });

  it('produces through the Kafka lib, consumes, stores through the Mongo lib and reads back', async () => {
    const records = Array.from({ length: 20 }, (_, i) => ({ _id: `item-${i}`, name: `example ${i}` }));
    await producer.send(t.topic, records.map((r) => ({ key: r._id, value: encode(r) })));

    const seen: ConsumedRecord<Item>[] = [];
    const runner = new KafkaConsumerRunner(t.kafka, {
      groupId: uniqueName('smoke'),
      topics: [t.topic],
      decode,
      deadLetters: producer,
      logger,
      handle: async (record) => {
        await items.apply(record.value);
        seen.push(record);
      },
    });
    await runner.start();
    try {
      await eventually(async () => ((await items.count()) === 20 ? true : undefined), { what: '20 stored items' });
      expect(await items.find('item-7')).toEqual({ _id: 'item-7', name: 'example 7', deliveries: 1 });
      expect(runner.isReady()).toBe(true);
    } finally {
      await runner.stop();
    }
    // Records with one key arrive in order; keys spread over the partitions.
    expect(new Set(seen.map((r) => r.partition)).size).toBeGreaterThan(1);
  });

  it('reprocesses idempotently after a consumer crashes between effect and commit', async () => {
    const groupId = uniqueName('crash');
    const database = mongo.db.databaseName;
    // A topic of its own: the fixture hangs on the first record it sees.
    const crash = await createTestTopic('crash', logger, 1);
    await producer.send(crash.topic, [{ key: 'crash-1', value: encode({ _id: 'crash-1', name: 'before crash' }) }]);

    // First consumer: a separate process that applies the effect, then dies (SIGKILL) before committing.
    const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'crash-after-effect.cjs'), crash.topic, groupId, database], {
      env: { ...process.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const effectApplied = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('effect crash-1') && resolve());
      child.on('exit', (code) => reject(new Error(`fixture exited early (${code}): ${stderr}`)));
      setTimeout(() => reject(new Error(`fixture applied no effect within 30 s: ${stderr}`)), 30_000).unref();
    });
    await effectApplied.catch((err) => {
      child.kill('SIGKILL');
      throw err;
    });
    child.removeAllListeners('exit');
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect((await items.find('crash-1'))?.deliveries).toBe(1);

    // Second consumer in the same group: nothing was committed, so it gets the record again.
    const runner = new KafkaConsumerRunner(crash.kafka, { groupId, topics: [crash.topic], decode, deadLetters: producer, logger, handle: (r) => items.apply(r.value) });
    await runner.start();
    try {
      const doc = await eventually(async () => {
        const found = await items.find('crash-1');
        return found && (found.deliveries ?? 0) >= 2 ? found : undefined;
      }, { what: 'redelivery after the crash', timeoutMs: 60_000 });
      expect(doc).toEqual({ _id: 'crash-1', name: 'before crash', deliveries: 2 });
      expect(await items.countId('crash-1')).toBe(1);
    } finally {
      await runner.stop();
    }
  }, 90_000);
});
