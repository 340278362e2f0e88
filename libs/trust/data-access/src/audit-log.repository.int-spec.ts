import { MongoConnection } from '@signal-mesh/data-access-mongo';
import { integrationEnv, testLogger, uniqueName } from '@signal-mesh/testing';
import { type AuditEntry, type AuditRecord, computeRecordHash, verifyChain } from '@signal-mesh/trust-domain';

import { AuditLogRepository } from './audit-log.repository';

const logger = testLogger('audit-log-spec');
const entry = (i: number, overrides: Partial<AuditEntry> = {}): AuditEntry => ({
  at: new Date(Date.UTC(2025, 5, 1, 12, 0, 0, i)),
  actorOrgId: 'org-ngo-1',
  keyId: 'abcdefghijkl',
  action: 'signal.contribute',
  outcome: 'ALLOWED',
  subject: `sig-${i}`,
  details: { count: i, ratio: i / 4, sampled: i % 2 === 0, host: 'example.com' },
  ...overrides,
});

describe(AuditLogRepository.name, () => {
  const opened: MongoConnection[] = [];
  const connect = async (database: string) => {
    const connection = await MongoConnection.connect({ uri: integrationEnv().mongoUri, database, appName: 'audit-log-spec', logger });
    opened.push(connection);
    return connection;
  };
  /** A fresh database per test: the log starts empty. */
  const freshLog = async () => {
    const connection = await connect(uniqueName('audit'));
    const sut = new AuditLogRepository(connection, { logger });
    await sut.ensureIndexes();
    return { sut, connection, collection: connection.db.collection('audit_log') };
  };

  afterAll(async () => {
    const dropped = new Set<string>();
    for (const connection of opened) {
      if (!dropped.has(connection.db.databaseName)) {
        dropped.add(connection.db.databaseName);
        await connection.db.dropDatabase();
      }
      await connection.close();
    }
  });

  it('declares a unique index on seq', async () => {
    const { collection } = await freshLog();
    const seqIndex = (await collection.indexes()).find((i) => i.name === 'uniq_seq');
    expect(seqIndex).toMatchObject({ key: { seq: 1 }, unique: true });
  });

  it('chains from genesis and reads back exactly what it wrote', async () => {
    const { sut } = await freshLog();
    const written = [];
    for (let i = 1; i <= 5; i++) written.push(await sut.append(entry(i)));
    written.push(await sut.append({ at: new Date(Date.UTC(2025, 5, 1)), action: 'org.create', outcome: 'CHANGED' }));
    expect(written.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    const read = [];
    for await (const record of sut.stream()) read.push(record);
    expect(read).toEqual(written);
    expect(await sut.verify()).toEqual({ ok: true, count: 6 });
  });

  it('keeps the chain gapless and linear under 5 concurrent appenders (50 records, separate connections)', async () => {
    const database = uniqueName('audit');
    const appenders = await Promise.all(Array.from({ length: 5 }, async () => new AuditLogRepository(await connect(database), { logger })));
    await appenders[0]?.ensureIndexes();

    await Promise.all(
      appenders.map(async (appender, a) => {
        for (let i = 0; i < 10; i++) await appender.append(entry(i, { actorOrgId: `org-ngo-${a}`, subject: `appender-${a}-record-${i}` }));
      }),
    );

    const reader = appenders[0] as AuditLogRepository;
    const records = [];
    for await (const record of reader.stream({ batchSize: 7 })) records.push(record);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(new Set(records.map((r) => r.subject)).size).toBe(50);
    expect(await verifyChain(reader.stream())).toEqual({ ok: true, count: 50 });
  });

  it('names the tampered record when one is edited directly in the collection', async () => {
    const { sut, collection } = await freshLog();
    for (let i = 1; i <= 20; i++) await sut.append(entry(i, { outcome: 'DENIED' }));
    expect(await verifyChain(sut.stream())).toEqual({ ok: true, count: 20 });

    await collection.updateOne({ seq: 7 }, { $set: { outcome: 'ALLOWED' } });
    expect(await verifyChain(sut.stream())).toEqual({ ok: false, brokenAt: 7, reason: 'HASH_MISMATCH' });
  });

  it('names a tampered detail value and a deleted record', async () => {
    const { sut, collection } = await freshLog();
    for (let i = 1; i <= 20; i++) await sut.append(entry(i));

    await collection.updateOne({ seq: 15 }, { $set: { 'details.count': 1000 } });
    expect(await sut.verify()).toEqual({ ok: false, brokenAt: 15, reason: 'HASH_MISMATCH' });

    await collection.deleteOne({ seq: 11 });
    expect(await sut.verify()).toEqual({ ok: false, brokenAt: 11, reason: 'SEQ_GAP' });
  });

  it('finds a forged record whose own hash was recomputed, at the next record', async () => {
    const { sut, collection } = await freshLog();
    for (let i = 1; i <= 5; i++) await sut.append(entry(i));
    const [, , third] = await sut.tail(5);
    const forged = { ...(third as AuditRecord), action: 'nothing.to.see' };
    await collection.updateOne({ seq: 3 }, { $set: { action: forged.action, hash: computeRecordHash(forged) } });
    expect(await sut.verify()).toEqual({ ok: false, brokenAt: 4, reason: 'PREV_HASH_MISMATCH' });
  });

  it('tails the newest records, oldest first', async () => {
    const { sut } = await freshLog();
    expect(await sut.tail(3)).toEqual([]);
    for (let i = 1; i <= 8; i++) await sut.append(entry(i));
    expect((await sut.tail(3)).map((r) => r.seq)).toEqual([6, 7, 8]);
    expect((await sut.tail(100)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('stores nothing for an entry with unsafe details', async () => {
    const { sut, collection } = await freshLog();
    await expect(sut.append(entry(1, { details: { apiKey: 'anything' } }))).rejects.toMatchObject({ code: 'AUDIT_DETAIL_FORBIDDEN' });
    expect(await collection.countDocuments()).toBe(0);
  });

  it('stops reading when verification stops early', async () => {
    const { sut } = await freshLog();
    for (let i = 1; i <= 3; i++) await sut.append(entry(i));
    const stream = sut.stream();
    for await (const record of stream) {
      expect(record.seq).toBe(1);
      break;
    }
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });
});
