import { MongoConnection } from '@signal-mesh/data-access-mongo';
import type { SignalRecord } from '@signal-mesh/signals-domain';
import { at, mergedRecord, signalVariants, urlRecord } from '@signal-mesh/signals-testing';
import { integrationEnv, testLogger, uniqueName } from '@signal-mesh/testing';

import { SignalRepository, type SignalWrite } from './signal.repository';

const inserts = (records: readonly SignalRecord[]): SignalWrite[] => records.map((record) => ({ record, expectedVersion: undefined }));

describe(`${SignalRepository.name} (FerretDB)`, () => {
  const logger = testLogger();
  let connection: MongoConnection;
  let sut: SignalRepository;

  beforeAll(async () => {
    connection = await MongoConnection.connect({ uri: integrationEnv().mongoUri, database: uniqueName('signals-da'), appName: 'signals-data-access-spec', logger });
    sut = await SignalRepository.create(connection, logger);
  });
  afterAll(async () => {
    await connection.db.dropDatabase();
    await connection.close();
  });

  it('creates its indexes, idempotently, the contribution index over the embedded array included', async () => {
    await SignalRepository.create(connection, logger);
    const indexes = await connection.db.collection('signals').indexes();
    expect(indexes.map((i) => [i.name, i.key])).toEqual(
      expect.arrayContaining([
        ['_id_', { _id: 1 }],
        ['by_contribution', { 'contributions.contributionId': 1 }],
        ['by_next_expiry', { nextExpiryAt: 1 }],
      ]),
    );
  });

  it('inserts every details variant and reads each back equal, by id, in bulk and by any of its contribution ids', async () => {
    const records = signalVariants().map(([, input]) => mergedRecord(input));
    expect(await sut.writeBatch(inserts(records))).toEqual({ conflicts: [] });
    for (const record of records) {
      expect(await sut.findById(record.signalId)).toStrictEqual(record);
      expect(await sut.findByContributionId(record.contributions[2]?.contributionId ?? '')).toStrictEqual(record);
    }
    const found = await sut.findMany([...records.map((r) => r.signalId), 'url_00000000000000000000000000000000', records[0]?.signalId ?? '']);
    expect([...found.keys()].sort()).toEqual(records.map((r) => r.signalId).sort());
    expect(await sut.findByContributionId('ctb_00000000000000000000000000000000')).toBeUndefined();
    expect(await sut.findById('url_00000000000000000000000000000000')).toBeUndefined();
    expect(await sut.countContributions(records[0]?.signalId)).toBe(3);
  });

  it('stores BSON dates and omits absent fields rather than storing null', async () => {
    const record = urlRecord();
    await sut.writeBatch(inserts([record]));
    const raw = await connection.db.collection('signals').findOne({ _id: record.signalId as never });
    expect(raw?.['firstSeenAt']).toBeInstanceOf(Date);
    expect(raw?.['contributions'][0].createdAt).toBeInstanceOf(Date);
    expect(Object.keys(raw ?? {})).not.toContain('nextExpiryAt');
    expect(Object.keys(raw?.['contributions'][0] ?? {})).not.toContain('validUntil');
    expect(raw?.['writeToken']).toEqual(expect.any(String));
  });

  it('reports an insert of an existing signal as a conflict, keeps the stored record and applies the rest', async () => {
    const existing = urlRecord();
    await sut.writeBatch(inserts([existing]));
    const other = urlRecord();
    const rival = { ...existing, status: 'DISPUTED' as const };
    expect(await sut.writeBatch(inserts([other, rival]))).toEqual({ conflicts: [existing.signalId] });
    expect(await sut.findById(existing.signalId)).toStrictEqual(existing);
    expect(await sut.findById(other.signalId)).toStrictEqual(other);
  });

  it('replaces at the expected version; a stale writer loses even when it writes the same version number', async () => {
    const record = urlRecord();
    await sut.writeBatch(inserts([record]));
    const winner = { ...record, version: 2, status: 'DISPUTED' as const, updatedAt: at(1) };
    const loser = { ...record, version: 2, status: 'REVOKED' as const, updatedAt: at(2) };
    const bystander = urlRecord();
    await sut.writeBatch(inserts([bystander]));
    expect(await sut.writeBatch([{ record: winner, expectedVersion: 1 }])).toEqual({ conflicts: [] });
    expect(await sut.writeBatch([{ record: loser, expectedVersion: 1 }, { record: { ...bystander, version: 2 }, expectedVersion: 1 }])).toEqual({ conflicts: [record.signalId] });
    expect(await sut.findById(record.signalId)).toStrictEqual(winner);
    expect((await sut.findById(bystander.signalId))?.version).toBe(2);
    const gone = urlRecord({ version: 2 });
    expect(await sut.writeBatch([{ record: gone, expectedVersion: 1 }])).toEqual({ conflicts: [gone.signalId] });
    expect(await sut.findById(gone.signalId)).toBeUndefined();
  });

  it('finds records whose next expiry is at or before now, earliest first, up to the limit', async () => {
    const expiring = await SignalRepository.create(connection, logger, { collection: 'signals_expiry' });
    const [past2, past1, exactlyNow, future] = [at(-120), at(-60), at(0), at(60)].map((nextExpiryAt) => urlRecord({ nextExpiryAt }));
    const never = urlRecord();
    await expiring.writeBatch(inserts([future, exactlyNow, never, past1, past2].filter((r): r is SignalRecord => r !== undefined)));
    expect((await expiring.findDueForExpiry(at(0), 10)).map((r) => r.signalId)).toEqual([past2?.signalId, past1?.signalId, exactlyNow?.signalId]);
    expect((await expiring.findDueForExpiry(at(0), 2)).map((r) => r.signalId)).toEqual([past2?.signalId, past1?.signalId]);
    expect(await expiring.findDueForExpiry(at(-180), 10)).toEqual([]);
    expect(await expiring.count()).toBe(5);
    expect(await expiring.countContributions()).toBe(5);
  });

  it('applies a batch of 1,000 writes (inserts, over 100 replaces, conflicts of both kinds) and names exactly the conflicts', async () => {
    const bulk = await SignalRepository.create(connection, logger, { collection: 'signals_bulk' });
    const seeded = Array.from({ length: 150 }, () => urlRecord());
    expect(await bulk.writeBatch(inserts(seeded))).toEqual({ conflicts: [] });

    const stale = seeded.slice(0, 10);
    const duplicates = seeded.slice(10, 20);
    const replaced = seeded.slice(20);
    const fresh = Array.from({ length: 850 }, () => urlRecord());
    const batch: SignalWrite[] = [
      ...stale.map((record) => ({ record: { ...record, version: 8 }, expectedVersion: 7 })),
      ...inserts(duplicates),
      ...replaced.map((record) => ({ record: { ...record, version: 2, status: 'EXPIRED' as const }, expectedVersion: 1 })),
      ...inserts(fresh),
    ];
    expect(batch).toHaveLength(1_000);

    const { conflicts } = await bulk.writeBatch(batch);
    expect(conflicts.sort()).toEqual([...stale, ...duplicates].map((r) => r.signalId).sort());
    expect(await bulk.count()).toBe(1_000);
    const after = await bulk.findMany(replaced.map((r) => r.signalId));
    expect(after.size).toBe(130);
    expect([...after.values()].every((r) => r.version === 2 && r.status === 'EXPIRED')).toBe(true);
    expect(await bulk.findById(stale[0]?.signalId ?? '')).toStrictEqual(stale[0]);
  }, 180_000);
  it('scans every record exactly once, across several batches', async () => {
    const scanned = await SignalRepository.create(connection, logger, { collection: 'signals_scan' });
    const records = Array.from({ length: 23 }, () => urlRecord());
    expect(await scanned.writeBatch(inserts(records))).toEqual({ conflicts: [] });
    const seen: string[] = [];
    for await (const record of scanned.scan(5)) seen.push(record.signalId);
    expect([...seen].sort()).toEqual(records.map((r) => r.signalId).sort());
    const empty = await SignalRepository.create(connection, logger, { collection: 'signals_scan_empty' });
    for await (const record of empty.scan(5)) throw new Error(`unexpected ${record.signalId}`);
  });
});
