import type { MongoConnection } from '@signal-mesh/data-access-mongo';

import { type IdempotencyEntry, IdempotencyRepository } from './idempotency.repository';

const t0 = new Date('2025-06-01T12:00:00.000Z');
const entry = (key: string, bodyHash = 'a'.repeat(64)): IdempotencyEntry => ({
  key,
  bodyHash,
  result: { contributionId: `ctb_${key}`, signalId: 'url_0123456789abcdef0123456789abcdef', type: 'url', canonical: 'https://example.com/' },
  createdAt: t0,
});

/** An in-memory stand-in for the one collection, failing inserts the way the driver does (MongoBulkWriteError). */
function fakeConnection(options: { failWith?: unknown } = {}) {
  const docs = new Map<string, Record<string, unknown>>();
  const collection = {
    insertMany: async (batch: Record<string, unknown>[]) => {
      if (options.failWith) throw options.failWith;
      const writeErrors: { index: number; code: number }[] = [];
      batch.forEach((doc, index) => {
        if (docs.has(doc['_id'] as string)) writeErrors.push({ index, code: 11000 });
        else docs.set(doc['_id'] as string, doc);
      });
      if (writeErrors.length > 0) throw Object.assign(new Error('E11000 duplicate key'), { code: 11000, writeErrors });
    },
    find: (filter: { _id: { $in: string[] }; orgId: string }) => ({
      toArray: async () => filter._id.$in.map((id) => docs.get(id)).filter((d) => d !== undefined && d['orgId'] === filter.orgId),
    }),
  };
  return { connection: { db: { collection: () => collection } } as unknown as MongoConnection, docs };
}

describe(IdempotencyRepository.name, () => {
  it('answers reserved for new keys and the holder for held ones, in entry order', async () => {
    const { connection } = fakeConnection();
    const sut = new IdempotencyRepository(connection);
    await sut.reserve('org_a', entry('held', 'b'.repeat(64)));
    const answers = await sut.reserveMany('org_a', [entry('new'), entry('held'), entry('new', 'c'.repeat(64))]);
    expect(answers).toEqual([
      { outcome: 'reserved' },
      { outcome: 'existing', record: { orgId: 'org_a', ...entry('held', 'b'.repeat(64)) } },
      { outcome: 'existing', record: { orgId: 'org_a', ...entry('new') } },
    ]);
  });

  it('stores the key under <orgId>:<key> with only the result fields', async () => {
    const { connection, docs } = fakeConnection();
    const extra = { ...entry('k'), result: { ...entry('k').result, secret: 'not stored' } };
    await new IdempotencyRepository(connection).reserve('org_a', extra);
    expect(docs.get('org_a:k')).toEqual({ _id: 'org_a:k', orgId: 'org_a', key: 'k', bodyHash: 'a'.repeat(64), result: entry('k').result, createdAt: t0 });
  });

  it('rethrows failures other than duplicate keys', async () => {
    const { connection } = fakeConnection({ failWith: Object.assign(new Error('not primary'), { code: 10107 }) });
    await expect(new IdempotencyRepository(connection).reserve('org_a', entry('k'))).rejects.toThrow('not primary');
    const mixed = fakeConnection({ failWith: Object.assign(new Error('bulk'), { writeErrors: [{ index: 0, code: 11000 }, { index: 1, code: 2 }] }) });
    await expect(new IdempotencyRepository(mixed.connection).reserveMany('org_a', [entry('a'), entry('b')])).rejects.toThrow('bulk');
  });
});
