import { MongoConnection } from '@signal-mesh/data-access-mongo';
import { EMPTY_FILTER } from '@signal-mesh/feeds-domain';
import { integrationEnv, testLogger, uniqueName } from '@signal-mesh/testing';

import { SubscriptionRepository } from './subscription.repository';

describe(`${SubscriptionRepository.name} (FerretDB)`, () => {
  const logger = testLogger();
  let connection: MongoConnection;
  let sut: SubscriptionRepository;

  beforeAll(async () => {
    connection = await MongoConnection.connect({ uri: integrationEnv().mongoUri, database: uniqueName('feeds_da').replace(/-/g, '_'), appName: 'feeds-data-access-spec', logger });
    sut = await SubscriptionRepository.create(connection);
  });
  afterAll(async () => {
    await connection.db.dropDatabase();
    await connection.close();
  });

  it('stores, replaces and clears one filter per organisation', async () => {
    const t1 = new Date('2026-11-01T10:00:00.000Z');
    const t2 = new Date('2026-11-01T11:00:00.000Z');
    expect(await sut.find('org_a')).toBeUndefined();
    await sut.set('org_a', { types: ['url'], categories: ['service.nudify'], minConfidence: 50 }, t1);
    await sut.set('org_b', { types: [], categories: [], minConfidence: 10 }, t1);
    expect(await sut.find('org_a')).toEqual({ orgId: 'org_a', filter: { types: ['url'], categories: ['service.nudify'], minConfidence: 50 }, updatedAt: t1 });
    expect(await sut.set('org_a', { types: ['model-hash'], categories: [], minConfidence: 0 }, t2)).toEqual({ orgId: 'org_a', filter: { types: ['model-hash'], categories: [], minConfidence: 0 }, updatedAt: t2 });
    expect((await sut.find('org_a'))?.filter.types).toEqual(['model-hash']);
    expect(await sut.set('org_a', EMPTY_FILTER, t2)).toBeUndefined();
    expect(await sut.find('org_a')).toBeUndefined();
    expect((await sut.find('org_b'))?.filter.minConfidence).toBe(10);
  });
});
