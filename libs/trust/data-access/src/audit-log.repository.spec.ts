import type { MongoConnection } from '@signal-mesh/data-access-mongo';
import { type AuditEntry, chainRecord } from '@signal-mesh/trust-domain';
import type { ObjectId } from 'mongodb';

import { AuditLogRepository } from './audit-log.repository';

interface StoredDoc {
  _id: ObjectId;
  seq: number;
  hash: string;
}

/** Just enough of a collection for append(): a unique seq, and hooks to inject failures. */
function fakeCollection() {
  const docs: StoredDoc[] = [];
  const hooks = { beforeInsert: (_doc: StoredDoc): void => undefined, afterInsert: (_doc: StoredDoc): void => undefined };
  const collection = {
    docs,
    hooks,
    async findOne(filter: { seq?: number }) {
      if (filter.seq !== undefined) return docs.find((d) => d.seq === filter.seq) ?? null;
      return docs.reduce<StoredDoc | null>((last, d) => (!last || d.seq > last.seq ? d : last), null);
    },
    async insertOne(doc: StoredDoc) {
      hooks.beforeInsert(doc);
      if (docs.some((d) => d.seq === doc.seq)) throw Object.assign(new Error('E11000 duplicate key'), { code: 11000 });
      docs.push(doc);
      hooks.afterInsert(doc);
      return { acknowledged: true, insertedId: doc._id };
    },
  };
  const connection = { db: { collection: () => collection } } as unknown as MongoConnection;
  return { collection, connection };
}

const entry = (subject: string): AuditEntry => ({ at: new Date('2025-06-01T12:00:00.000Z'), action: 'key.use', outcome: 'ALLOWED', subject });

describe(AuditLogRepository.name, () => {
  it('re-reads the head and retries when another writer took the seq', async () => {
    const { collection, connection } = fakeCollection();
    const sut = new AuditLogRepository(connection);
    await sut.append(entry('a'));
    // Another process appends seq 2 behind this instance's cached head.
    const rival = chainRecord(await sut.last(), entry('rival'));
    collection.docs.push({ ...rival, _id: { equals: () => false } as unknown as ObjectId });

    const record = await sut.append(entry('b'));
    expect(record).toMatchObject({ seq: 3, prevHash: rival.hash, subject: 'b' });
  });

  it('treats a duplicate on its own landed write (a retried insert) as success, not as a second record', async () => {
    const { collection, connection } = fakeCollection();
    const sut = new AuditLogRepository(connection);
    let first = true;
    collection.hooks.afterInsert = () => {
      if (first) {
        first = false;
        throw Object.assign(new Error('E11000 duplicate key'), { code: 11000 });
      }
    };
    const record = await sut.append(entry('a'));
    expect(record.seq).toBe(1);
    expect(collection.docs).toHaveLength(1);
  });

  it('gives up with a coded error after maxAttempts contended inserts', async () => {
    const { collection, connection } = fakeCollection();
    collection.hooks.beforeInsert = () => {
      throw Object.assign(new Error('E11000 duplicate key'), { code: 11000 });
    };
    const sut = new AuditLogRepository(connection, { maxAttempts: 3 });
    await expect(sut.append(entry('a'))).rejects.toMatchObject({ code: 'AUDIT_APPEND_CONTENDED' });
  });

  it('does not retry other write errors', async () => {
    const { collection, connection } = fakeCollection();
    let calls = 0;
    collection.hooks.beforeInsert = () => {
      calls++;
      throw new Error('not primary');
    };
    await expect(new AuditLogRepository(connection).append(entry('a'))).rejects.toThrow('not primary');
    expect(calls).toBe(1);
  });
});
