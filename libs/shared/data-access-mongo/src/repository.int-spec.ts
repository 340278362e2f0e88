import { integrationEnv, testLogger, uniqueName } from '@signal-mesh/testing';

import { MongoConnection } from './connection';
import { DuplicateKeyError, type IndexDefinition, isDuplicateKey, MongoRepository } from './repository';

interface Org {
  _id: string;
  name: string;
  kind: string;
}

class OrgRepository extends MongoRepository<Org> {
  constructor(connection: MongoConnection) {
    super(connection.db, 'orgs');
  }
  protected indexes(): IndexDefinition[] {
    return [
      { key: { name: 1 }, options: { unique: true, name: 'uniq_name' } },
      { key: { kind: 1, name: 1 }, options: { name: 'by_kind_name' } },
    ];
  }
  async create(org: Org): Promise<void> {
    try {
      await this.collection.insertOne(org);
    } catch (err) {
      if (isDuplicateKey(err)) throw new DuplicateKeyError(`organisation ${org.name} exists`, { cause: err });
      throw err;
    }
  }
}

describe(MongoRepository.name, () => {
  const logger = testLogger();
  let connection: MongoConnection;
  let orgs: OrgRepository;

  beforeAll(async () => {
    connection = await MongoConnection.connect({ uri: integrationEnv().mongoUri, database: uniqueName('repo'), appName: 'repo-spec', logger });
    orgs = new OrgRepository(connection);
  });
  afterAll(async () => {
    await connection.db.dropDatabase();
    await connection.close();
  });

  it('creates the declared unique and compound indexes at boot, idempotently', async () => {
    await orgs.ensureIndexes();
    await orgs.ensureIndexes();
    const names = (await connection.db.collection('orgs').indexes()).map((i) => i.name);
    expect(names).toEqual(expect.arrayContaining(['_id_', 'uniq_name', 'by_kind_name']));
  });

  it('turns a unique-index violation into a coded DuplicateKeyError', async () => {
    await orgs.create({ _id: 'org-1', name: 'Example NGO', kind: 'NGO' });
    await expect(orgs.create({ _id: 'org-2', name: 'Example NGO', kind: 'PLATFORM' })).rejects.toMatchObject({ code: 'DUPLICATE_KEY' });
  });

  it('answers ping while the server is up', async () => {
    expect(await connection.ping()).toBe(true);
  });
});
