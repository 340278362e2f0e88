import { MongoConnection } from '@signal-mesh/data-access-mongo';
import { integrationEnv, testLogger, uniqueName } from '@signal-mesh/testing';

import { type IdempotencyEntry, IdempotencyRepository } from './idempotency.repository';

const t0 = new Date('2025-06-01T12:00:00.000Z');

function entry(key: string, bodyHash = 'a'.repeat(64), overrides: Partial<IdempotencyEntry> = {}): IdempotencyEntry {
  return { key, bodyHash, result: { contributionId: `ctb_${key}`, signalId: 'url_0123456789abcdef0123456789abcdef', type: 'url', canonical: 'https://example.com/' }, createdAt: t0, ...overrides };
}

describe(IdempotencyRepository.name, () => {
  let connection: MongoConnection;
  let sut: IdempotencyRepository;

  beforeAll(async () => {
    connection = await MongoConnection.connect({ uri: integrationEnv().mongoUri, database: uniqueName('ingest-da').replace(/-/g, '_'), appName: 'ingest-da-spec', logger: testLogger() });
    sut = await IdempotencyRepository.create(connection, testLogger());
  });
  afterAll(async () => {
    await connection.db.dropDatabase();
    await connection.close();
  });

  it('creates its index, idempotently', async () => {
    await IdempotencyRepository.create(connection);
    expect((await connection.db.collection('idempotency_keys').indexes()).map((i) => i.name)).toEqual(expect.arrayContaining(['_id_', 'by_created']));
  });

  it('reserves a key once; a second reservation answers the holder', async () => {
    expect(await sut.reserve('org_a', entry('k1'))).toEqual({ outcome: 'reserved' });
    const again = await sut.reserve('org_a', entry('k1', 'b'.repeat(64)));
    expect(again).toEqual({ outcome: 'existing', record: { orgId: 'org_a', ...entry('k1') } });
  });

  it('scopes keys to the organisation', async () => {
    await sut.reserve('org_b', entry('shared'));
    expect(await sut.reserve('org_c', entry('shared'))).toEqual({ outcome: 'reserved' });
    expect(await sut.find('org_c', 'shared')).toMatchObject({ orgId: 'org_c', key: 'shared' });
    expect(await sut.find('org_d', 'shared')).toBeUndefined();
  });

  it('reserves a batch in one call, answering each entry in order, duplicates inside the batch included', async () => {
    await sut.reserve('org_e', entry('held', 'c'.repeat(64)));
    const answers = await sut.reserveMany('org_e', [entry('n1'), entry('held'), entry('n2'), entry('n1', 'd'.repeat(64))]);
    expect(answers.map((a) => a.outcome)).toEqual(['reserved', 'existing', 'reserved', 'existing']);
    expect(answers[1]).toMatchObject({ record: { key: 'held', bodyHash: 'c'.repeat(64) } });
    expect(answers[3]).toMatchObject({ record: { key: 'n1', bodyHash: 'a'.repeat(64) } });
    expect(await sut.reserveMany('org_e', [])).toEqual([]);
  });

  it('removes records older than the cutoff and keeps newer ones', async () => {
    await sut.reserve('org_f', entry('old', undefined, { createdAt: new Date(t0.getTime() - 60_000) }));
    await sut.reserve('org_f', entry('new', undefined, { createdAt: new Date(t0.getTime() + 60_000) }));
    expect(await sut.deleteOlderThan(t0)).toBeGreaterThanOrEqual(1);
    expect(await sut.find('org_f', 'old')).toBeUndefined();
    expect(await sut.find('org_f', 'new')).toBeDefined();
    expect(await sut.reserve('org_f', entry('old'))).toEqual({ outcome: 'reserved' });
  });
});
