import { randomBytes } from 'node:crypto';

import { MongoConnection } from '@signal-mesh/data-access-mongo';
import { type DelistEntry, type LiveEntry, NUDIFY_SERVICES, planChanges, type PlannedChange, type ViewUpdate } from '@signal-mesh/delisting-domain';
import { integrationEnv, testLogger, uniqueName } from '@signal-mesh/testing';

import { DelistingRepository } from './delisting.repository';
import { VersionExpiredError, VersionNotFoundError } from './errors';

const LIST = NUDIFY_SERVICES.listId;
const signalId = () => `url_${randomBytes(16).toString('hex')}`;
const orgId = () => `org_${randomBytes(8).toString('hex')}`;
const at = new Date('2025-06-01T12:00:00.000Z');

const add = (id: string, categories = ['service.nudify']): ViewUpdate => ({
  signalId: id,
  at,
  view: { signalId: id, type: 'url', canonical: `https://${id.slice(4, 12)}.nudify.test/`, url: { matchScope: 'HOST', registrableDomain: 'nudify.test' }, contributions: [{ marking: 'GREEN', opinion: 'POSITIVE', categories, revoked: false }] },
});
const remove = (id: string): ViewUpdate => ({ signalId: id, at });

describe(`${DelistingRepository.name} (FerretDB)`, () => {
  const logger = testLogger();
  let connection: MongoConnection;
  let sut: DelistingRepository;

  /** What the consumer does: load, plan, apply. */
  async function process(org: string, updates: ViewUpdate[]): Promise<PlannedChange[]> {
    const { list, live } = await sut.loadState(org, LIST, updates.map((u) => u.signalId));
    const changes = planChanges(NUDIFY_SERVICES, { version: list.version, entryCount: list.entryCount, live }, updates);
    await sut.applyChanges(org, LIST, changes, new Date());
    return changes;
  }

  async function snapshot(org: string, version: number, pageSize = 7): Promise<DelistEntry[]> {
    const out: DelistEntry[] = [];
    for await (const page of sut.entriesAt(org, LIST, version, pageSize)) out.push(...page);
    return out;
  }

  beforeAll(async () => {
    connection = await MongoConnection.connect({ uri: integrationEnv().mongoUri, database: uniqueName('delisting_da').replace(/-/g, '_'), appName: 'delisting-da-spec', logger });
    sut = await DelistingRepository.create(connection, logger);
  });
  afterAll(async () => {
    await connection.db.dropDatabase();
    await connection.close();
  });

  it('starts every list empty at version 0 and versions each change densely', async () => {
    const org = orgId();
    expect(await sut.getList(org, LIST)).toEqual({ orgId: org, listId: LIST, version: 0, entryCount: 0, changesFrom: 1 });
    const [a, b] = [signalId(), signalId()];
    await process(org, [add(a), add(b)]);
    await process(org, [add(a, ['service.nudify', 'service.nudify.tutorial']), remove(b)]);
    expect(await sut.getList(org, LIST)).toMatchObject({ version: 4, entryCount: 1 });
    // Reprocessing the same updates changes nothing.
    expect(await process(org, [add(a, ['service.nudify', 'service.nudify.tutorial']), remove(b)])).toEqual([]);
    expect((await sut.getList(org, LIST)).version).toBe(4);
    const { changes, hasMore } = await sut.changesSince(org, LIST, 0, 10);
    expect(changes.map((c) => [c.version, c.kind, c.entry.signalId])).toEqual([
      [1, 'ADD', a],
      [2, 'ADD', b],
      [3, 'ADD', a],
      [4, 'REMOVE', b],
    ]);
    expect(hasMore).toBe(false);
    const page = await sut.changesSince(org, LIST, 1, 2);
    expect(page.changes.map((c) => c.version)).toEqual([2, 3]);
    expect(page.hasMore).toBe(true);
    expect((await sut.changesSince(org, LIST, 4, 10)).changes).toEqual([]);
    await expect(sut.changesSince(org, LIST, 5, 10)).rejects.toThrow(VersionNotFoundError);
    expect((await sut.getLists(org)).map((l) => [l.listId, l.version])).toEqual([[LIST, 4]]);
  });

  it('serves the exact snapshot of an older version, in signal id order, while later changes land', async () => {
    const org = orgId();
    const ids = Array.from({ length: 30 }, signalId);
    await process(org, ids.map((id) => add(id)));
    const v1 = (await sut.getList(org, LIST)).version;
    expect(v1).toBe(30);
    const atV1 = snapshot(org, v1);
    // Later: 10 removed, 10 replaced, 10 new.
    const fresh = Array.from({ length: 10 }, signalId);
    await process(org, [...ids.slice(0, 10).map(remove), ...ids.slice(10, 20).map((id) => add(id, ['service.nudify.tutorial'])), ...fresh.map((id) => add(id))]);
    const before = await atV1;
    expect(before.map((e) => e.signalId)).toEqual([...ids].sort());
    expect(before.every((e) => e.categories.join() === 'service.nudify')).toBe(true);
    expect((await snapshot(org, v1, 1000)).map((e) => e.signalId)).toEqual([...ids].sort());
    const v2 = await sut.getList(org, LIST);
    expect(v2).toMatchObject({ version: 60, entryCount: 30 });
    const after = await snapshot(org, v2.version);
    expect(after.map((e) => e.signalId)).toEqual([...ids.slice(10), ...fresh].sort());
    expect(after.filter((e) => e.categories.includes('service.nudify.tutorial'))).toHaveLength(10);
    // Between the two: version 40 = the ten removals applied.
    expect((await snapshot(org, 40)).map((e) => e.signalId)).toEqual(ids.slice(10).sort());
  });

  it('rolls an interrupted write forward before planning, so reprocessing adds no version', async () => {
    const org = orgId();
    const [a, b] = [signalId(), signalId()];
    await process(org, [add(a)]);
    const { list, live } = await sut.loadState(org, LIST, [a, b]);
    const changes = planChanges(NUDIFY_SERVICES, { version: list.version, entryCount: list.entryCount, live }, [remove(a), add(b)]);
    // Crash after the change log: only the change documents were written.
    const changeDocs = connection.db.collection('delisting_changes');
    for (const change of changes) {
      await changeDocs.replaceOne({ _id: `${org}:${LIST}:${String(change.version).padStart(20, '0')}` } as never, { version: change.version, kind: change.kind, entryCountAfter: change.entryCountAfter, ...(change.previousAddedVersion ? { previousAddedVersion: change.previousAddedVersion } : {}), ...change.entry }, { upsert: true });
    }
    expect((await sut.getList(org, LIST)).version).toBe(1);
    expect(await process(org, [remove(a), add(b)])).toEqual([]);
    expect(await sut.getList(org, LIST)).toMatchObject({ version: 3, entryCount: 1 });
    expect((await snapshot(org, 3)).map((e) => e.signalId)).toEqual([b]);
    expect((await snapshot(org, 1)).map((e) => e.signalId)).toEqual([a]);
  });

  it('prunes beyond retention: VERSION_EXPIRED exactly below the oldest retained change, snapshots still exact', async () => {
    const org = orgId();
    const ids = Array.from({ length: 6 }, signalId);
    await process(org, ids.map((id) => add(id)));
    await process(org, ids.slice(0, 3).map(remove));
    expect((await sut.getList(org, LIST)).version).toBe(9);
    expect(await sut.prune(4)).toBeGreaterThanOrEqual(1);
    expect(await sut.getList(org, LIST)).toMatchObject({ version: 9, changesFrom: 6 });
    // Changes 6..9 are kept: since = 5 still works, since = 4 needs change 5, which is gone.
    expect((await sut.changesSince(org, LIST, 5, 10)).changes.map((c) => c.version)).toEqual([6, 7, 8, 9]);
    await expect(sut.changesSince(org, LIST, 4, 10)).rejects.toThrow(VersionExpiredError);
    await expect(sut.changesSince(org, LIST, 0, 10)).rejects.toMatchObject({ code: 'VERSION_EXPIRED', oldestRetained: 6 });
    expect((await snapshot(org, 9)).map((e) => e.signalId)).toEqual(ids.slice(3).sort());
    // The oldest version still served exactly is changesFrom − 1.
    expect((await snapshot(org, 5)).map((e) => e.signalId)).toEqual(ids.slice(0, 5).sort());
    expect((await snapshot(org, 7)).map((e) => e.signalId)).toEqual(ids.slice(1).sort());
    expect(await sut.prune(4)).toBe(0);
    // Tighter: the tombstone of the removal at version 7 is no longer needed and goes; live entries stay.
    const entries = connection.db.collection('delisting_entries');
    expect(await entries.countDocuments({ orgId: org })).toBe(6);
    await sut.prune(2);
    expect(await sut.getList(org, LIST)).toMatchObject({ version: 9, changesFrom: 8 });
    expect(await entries.countDocuments({ orgId: org })).toBe(5);
    expect((await snapshot(org, 7)).map((e) => e.signalId)).toEqual(ids.slice(1).sort());
    expect((await snapshot(org, 9)).map((e) => e.signalId)).toEqual(ids.slice(3).sort());
    await expect(sut.changesSince(org, LIST, 6, 10)).rejects.toThrow(VersionExpiredError);
    expect((await sut.changesSince(org, LIST, 7, 10)).changes.map((c) => c.version)).toEqual([8, 9]);
  });

  it('keeps organisations apart', async () => {
    const [org1, org2] = [orgId(), orgId()];
    const a = signalId();
    await process(org1, [add(a)]);
    expect(await sut.getList(org2, LIST)).toMatchObject({ version: 0, entryCount: 0 });
    expect(await snapshot(org2, 1)).toEqual([]);
    expect(await sut.getLists(org2)).toEqual([]);
  });

  it('stores manifests by version', async () => {
    const org = orgId();
    const manifest = { listId: LIST, version: 3, entryCount: 2, snapshotSha256: 'a'.repeat(64), keyId: 'kid', signature: new Uint8Array(randomBytes(64)), createdAt: at };
    expect(await sut.findManifest(org, LIST, 3)).toBeUndefined();
    await sut.saveManifest(org, manifest);
    expect(await sut.findManifest(org, LIST, 3)).toEqual(manifest);
  });

  it('loads live entries for planning', async () => {
    const org = orgId();
    const a = signalId();
    await process(org, [add(a)]);
    const { live } = await sut.loadState(org, LIST, [a, signalId()]);
    expect([...live.keys()]).toEqual([a]);
    expect((live.get(a) as LiveEntry).addedVersion).toBe(1);
  });
});
