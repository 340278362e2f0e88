import type { MongoConnection } from '@signal-mesh/data-access-mongo';
import { urlRecord } from '@signal-mesh/signals-testing';
import { testLogger } from '@signal-mesh/testing';
import { MongoBulkWriteError } from 'mongodb';

import type { SignalDocument } from './signal.document';
import { SignalRepository, type SignalWrite } from './signal.repository';

type Op = { insertOne: { document: SignalDocument } } | { replaceOne: { filter: { _id: string; version: number }; replacement: SignalDocument } };

/** Just enough of a collection for writeBatch: bulkWrite with per-index write errors and matched counts, and find. */
function fakeCollection() {
  const docs = new Map<string, SignalDocument>();
  const commands: { kind: 'insert' | 'replace'; size: number }[] = [];
  const failOn = new Set<string>();
  const collection = {
    docs,
    commands,
    failOn,
    async createIndex() {
      return 'ok';
    },
    async bulkWrite(ops: Op[]) {
      commands.push({ kind: 'insertOne' in (ops[0] ?? {}) ? 'insert' : 'replace', size: ops.length });
      const writeErrors: { index: number; code: number; errmsg: string }[] = [];
      let matchedCount = 0;
      ops.forEach((op, index) => {
        if ('insertOne' in op) {
          const doc = op.insertOne.document;
          if (failOn.has(doc._id)) writeErrors.push({ index, code: 2, errmsg: 'BadValue' });
          else if (docs.has(doc._id)) writeErrors.push({ index, code: 11000, errmsg: 'E11000 duplicate key' });
          else docs.set(doc._id, doc);
        } else {
          const { filter, replacement } = op.replaceOne;
          if (docs.get(filter._id)?.version !== filter.version) return;
          matchedCount += 1;
          docs.set(filter._id, { ...replacement, _id: filter._id });
        }
      });
      const result = { matchedCount, getWriteConcernError: () => undefined };
      if (writeErrors.length > 0) throw new MongoBulkWriteError({ message: writeErrors[0]?.errmsg ?? '', code: writeErrors[0]?.code, writeErrors } as never, result as never);
      return result;
    },
    find(filter: { _id: { $in: string[] }; writeToken: string }) {
      return { toArray: async () => filter._id.$in.flatMap((id) => (docs.get(id)?.writeToken === filter.writeToken ? [{ _id: id }] : [])) };
    },
  };
  const connection = { db: { collection: () => collection } } as unknown as MongoConnection;
  return { collection, connection };
}

async function setup() {
  const { collection, connection } = fakeCollection();
  return { sut: await SignalRepository.create(connection, testLogger()), collection };
}

const insert = (n: number): SignalWrite[] => Array.from({ length: n }, () => ({ record: urlRecord(), expectedVersion: undefined }));

describe(SignalRepository.name, () => {
  it('maps duplicate-key errors back to the signal ids of the inserts that hit them', async () => {
    const { sut, collection } = await setup();
    const existing = insert(3);
    await sut.writeBatch(existing);
    const fresh = insert(2);
    const sut1 = await sut.writeBatch([fresh[0] as SignalWrite, existing[1] as SignalWrite, fresh[1] as SignalWrite, existing[2] as SignalWrite]);
    expect(sut1.conflicts.sort()).toEqual([existing[1]?.record.signalId, existing[2]?.record.signalId].sort());
    expect(collection.docs.size).toBe(5);
  });

  it('sends replaces first, in commands of at most 50 statements (FerretDB hangs at 100), then the inserts in one', async () => {
    const { sut, collection } = await setup();
    const records = insert(230);
    await sut.writeBatch(records);
    collection.commands.length = 0;
    const replaces = records.map(({ record }) => ({ record: { ...record, version: 2 }, expectedVersion: 1 }));
    expect(await sut.writeBatch([...replaces, ...insert(120)])).toEqual({ conflicts: [] });
    expect(collection.commands).toEqual([...[50, 50, 50, 50, 30].map((size) => ({ kind: 'replace', size })), { kind: 'insert', size: 120 }]);
  });

  it('tells a lost replace from a won one in the same command by the write token, not the version', async () => {
    const { sut, collection } = await setup();
    const [a, b] = insert(2).map((w) => w.record);
    if (!a || !b) throw new Error('fixture');
    await sut.writeBatch([a, b].map((record) => ({ record, expectedVersion: undefined })));
    // A rival merged `a` from version 1 first; this writer merged from version 1 too and writes the same version 2.
    await sut.writeBatch([{ record: { ...a, version: 2, status: 'DISPUTED' }, expectedVersion: 1 }]);
    const sut1 = await sut.writeBatch([
      { record: { ...a, version: 2 }, expectedVersion: 1 },
      { record: { ...b, version: 2 }, expectedVersion: 1 },
    ]);
    expect(sut1).toEqual({ conflicts: [a.signalId] });
    expect(collection.docs.get(a.signalId)?.status).toBe('DISPUTED');
  });

  it('calls a replace of a record that does not exist a conflict', async () => {
    const { sut } = await setup();
    const record = urlRecord({ version: 2 });
    expect(await sut.writeBatch([{ record, expectedVersion: 1 }])).toEqual({ conflicts: [record.signalId] });
  });

  it('rejects on any other write error; the commands before it stay applied', async () => {
    const { sut, collection } = await setup();
    const bad = insert(1);
    collection.failOn.add(bad[0]?.record.signalId ?? '');
    const records = insert(60);
    await sut.writeBatch(records);
    const replaces = records.map(({ record }) => ({ record: { ...record, version: 2 }, expectedVersion: 1 }));
    await expect(sut.writeBatch([...bad, ...replaces])).rejects.toBeInstanceOf(MongoBulkWriteError);
    expect([...collection.docs.values()].every((d) => d.version === 2)).toBe(true);
  });

  it('refuses a batch naming one signal twice, whose outcome would be undefined', async () => {
    const { sut } = await setup();
    const record = urlRecord();
    await expect(sut.writeBatch([{ record, expectedVersion: undefined }, { record: { ...record, version: 2 }, expectedVersion: 1 }])).rejects.toThrow('more than once');
  });

  it('does nothing for an empty batch', async () => {
    const { sut, collection } = await setup();
    expect(await sut.writeBatch([])).toEqual({ conflicts: [] });
    expect(collection.commands).toHaveLength(0);
  });
});
