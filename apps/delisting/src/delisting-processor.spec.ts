import type { FeedEvent } from '@signal-mesh/contracts';
import { TlpMarking } from '@signal-mesh/contracts';
import { type LiveEntry, NUDIFY_SERVICES, type PlannedChange } from '@signal-mesh/delisting-domain';
import { testLogger } from '@signal-mesh/testing';
import { testMeter } from '@signal-mesh/testing';
import { type ConsumedRecord, PermanentError } from '@signal-mesh/transport-kafka';

import { DelistingProcessor } from './delisting-processor';
import { contribution, randomUrlSignalId, retract, upsert, urlViewSignal } from './fakes.fixtures';
import type { ListStore } from './ports';
import { DelistingMetrics } from './telemetry';

/** An in-memory list store with the repository's semantics for live entries and versions. */
function memoryStore() {
  const lists = new Map<string, { version: number; entryCount: number; live: Map<string, LiveEntry> }>();
  const log: { orgId: string; change: PlannedChange }[] = [];
  const store: ListStore = {
    loadState: async (orgId, listId) => {
      const list = lists.get(`${orgId}:${listId}`) ?? { version: 0, entryCount: 0, live: new Map() };
      return { list: { orgId, listId, version: list.version, entryCount: list.entryCount, changesFrom: 1 }, live: new Map(list.live) };
    },
    applyChanges: async (orgId, listId, changes) => {
      const list = lists.get(`${orgId}:${listId}`) ?? { version: 0, entryCount: 0, live: new Map<string, LiveEntry>() };
      for (const change of changes) {
        if (change.kind === 'ADD') list.live.set(change.entry.signalId, { entry: change.entry, addedVersion: change.version });
        else list.live.delete(change.entry.signalId);
        list.version = change.version;
        list.entryCount = change.entryCountAfter;
        log.push({ orgId, change });
      }
      lists.set(`${orgId}:${listId}`, list);
    },
  };
  return { store, lists, log };
}

let offset = 0;
const record = (value: FeedEvent): ConsumedRecord<FeedEvent> => ({ topic: 'feeds', partition: 0, offset: String(offset++), key: value.orgId, value, headers: {}, timestamp: String(Date.now()) });

describe(DelistingProcessor.name, () => {
  const kinds = new Map([
    ['org_search', 'SEARCH_ENGINE'],
    ['org_platform', 'PLATFORM'],
  ]);
  const setup = (wait = 0) => {
    const memory = memoryStore();
    const meter = testMeter();
    const sut = new DelistingProcessor({
      store: memory.store,
      orgKinds: () => (orgId) => kinds.get(orgId),
      lists: [NUDIFY_SERVICES],
      clock: () => new Date(),
      logger: testLogger(),
      unknownOrgWaitMs: wait,
      pollMs: 5,
      metrics: new DelistingMetrics(meter.meter),
    });
    return { ...memory, sut, meter };
  };

  it('counts changes by kind once written and reports the highest version per list, never an organisation id', async () => {
    const { sut, meter } = setup();
    const [a, b] = [urlViewSignal(), urlViewSignal()];
    await sut.handleBatch([record(upsert('org_search', a)), record(upsert('org_search', b))]);
    await sut.handleBatch([record(retract('org_search', a.signalId))]);
    // Reprocessing plans nothing new: nothing is counted twice.
    await sut.handleBatch([record(retract('org_search', a.signalId))]);
    expect(await meter.total('signal_mesh.delisting.changes', { kind: 'ADD' })).toBe(2);
    expect(await meter.total('signal_mesh.delisting.changes', { kind: 'REMOVE' })).toBe(1);
    const versions = await meter.points('signal_mesh.delisting.list_version');
    expect(versions.map((p) => [p.attributes, p.value])).toEqual([[{ list_id: NUDIFY_SERVICES.listId }, 3]]);
  });

  it("lists a search engine's visible nudify URLs; ignores other organisations and signal types", async () => {
    const { sut, lists } = setup();
    const [a, b] = [urlViewSignal(), urlViewSignal()];
    const results = await sut.handleBatch([record(upsert('org_search', a)), record(upsert('org_platform', b)), record(retract('org_search', 'pp_00', undefined, 3))]);
    expect(results).toEqual([undefined, undefined, undefined]);
    expect([...(lists.get('org_search:nudify-services')?.live.keys() ?? [])]).toEqual([a.signalId]);
    expect(lists.has('org_platform:nudify-services')).toBe(false);
  });

  it('removes on RETRACT and when only RED is left; reprocessing the batch adds no version', async () => {
    const { sut, lists, log } = setup();
    const a = urlViewSignal();
    const batch = [record(upsert('org_search', a)), record(upsert('org_search', urlViewSignal({ signalId: a.signalId, contributions: [contribution({ marking: TlpMarking.TLP_MARKING_RED })] })))];
    await sut.handleBatch(batch);
    expect(log.map((l) => [l.change.version, l.change.kind])).toEqual([
      [1, 'ADD'],
      [2, 'REMOVE'],
    ]);
    const b = urlViewSignal();
    await sut.handleBatch([record(upsert('org_search', b)), record(retract('org_search', b.signalId))]);
    await sut.handleBatch([record(upsert('org_search', b)), record(retract('org_search', b.signalId))].slice(1));
    expect(lists.get('org_search:nudify-services')).toMatchObject({ version: 4, entryCount: 0 });
    const c = urlViewSignal();
    const again = [record(upsert('org_search', c, new Date('2025-06-01T00:00:00.000Z')))];
    await sut.handleBatch(again);
    await sut.handleBatch(again);
    expect(lists.get('org_search:nudify-services')?.version).toBe(5);
  });

  it('dead-letters malformed URL events and processes the rest of the chunk', async () => {
    const { sut, lists } = setup();
    const good = urlViewSignal();
    const results = await sut.handleBatch([record({ ...upsert('org_search', urlViewSignal()), signalId: 'url_not-an-id' }), record(upsert('org_search', good))]);
    expect(results[0]).toBeInstanceOf(PermanentError);
    expect(results[0]?.code).toBe('INVALID_FEED_EVENT');
    expect(results[1]).toBeUndefined();
    expect([...(lists.get('org_search:nudify-services')?.live.keys() ?? [])]).toEqual([good.signalId]);
  });

  it('waits for an organisation the trust snapshot does not know yet, once', async () => {
    const memory = memoryStore();
    let known = false;
    const sut = new DelistingProcessor({
      store: memory.store,
      orgKinds: () => (orgId) => (orgId === 'org_late' && known ? 'SEARCH_ENGINE' : undefined),
      lists: [NUDIFY_SERVICES],
      clock: () => new Date(),
      logger: testLogger(),
      unknownOrgWaitMs: 2_000,
      pollMs: 5,
    });
    setTimeout(() => {
      known = true;
    }, 50);
    await sut.handleBatch([record(upsert('org_late', urlViewSignal()))]);
    expect(memory.lists.get('org_late:nudify-services')?.version).toBe(1);
    // An organisation that never shows up is waited for once, then skipped at once.
    const started = Date.now();
    const quick = new DelistingProcessor({ store: memory.store, orgKinds: () => () => undefined, lists: [NUDIFY_SERVICES], clock: () => new Date(), logger: testLogger(), unknownOrgWaitMs: 100, pollMs: 5 });
    await quick.handleBatch([record(upsert('org_gone', urlViewSignal()))]);
    await quick.handleBatch([record(upsert('org_gone', urlViewSignal()))]);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(memory.lists.has('org_gone:nudify-services')).toBe(false);
  });

  it('propagates store failures so the chunk is retried', async () => {
    const { store } = memoryStore();
    const failing: ListStore = { ...store, applyChanges: async () => Promise.reject(new Error('mongo down')) };
    const sut = new DelistingProcessor({ store: failing, orgKinds: () => (orgId) => kinds.get(orgId), lists: [NUDIFY_SERVICES], clock: () => new Date(), logger: testLogger(), unknownOrgWaitMs: 0 });
    await expect(sut.handleBatch([record(upsert('org_search', urlViewSignal({ signalId: randomUrlSignalId() })))])).rejects.toThrow('mongo down');
  });
});
