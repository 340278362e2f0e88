import { randomBytes } from 'node:crypto';

import { MongoConnection } from '@signal-mesh/data-access-mongo';
import { integrationEnv, testLogger, uniqueName } from '@signal-mesh/testing';

import { type FanoutState, FanoutStateRepository } from './fanout-state.repository';

const state = (signalId: string, version: string | number): FanoutState => ({ signalId, version: String(version), state: randomBytes(64) });

describe(`${FanoutStateRepository.name} (FerretDB)`, () => {
  const logger = testLogger();
  let connection: MongoConnection;
  let sut: FanoutStateRepository;

  beforeAll(async () => {
    connection = await MongoConnection.connect({ uri: integrationEnv().mongoUri, database: uniqueName('fanout_da').replace(/-/g, '_'), appName: 'fanout-state-spec', logger });
    sut = await FanoutStateRepository.create(connection, logger);
  });
  afterAll(async () => {
    await connection.db.dropDatabase();
    await connection.close();
  });

  it('stores new states and reads them back byte for byte; missing ids are absent', async () => {
    const a = state('sig_a', 1);
    const b = state('sig_b', 7);
    expect(await sut.saveMany([a, b])).toEqual({ saved: 2, stale: 0 });
    const found = await sut.findMany(['sig_a', 'sig_b', 'sig_missing']);
    expect([...found.keys()].sort()).toEqual(['sig_a', 'sig_b']);
    expect(found.get('sig_a')).toEqual({ signalId: 'sig_a', version: '1', state: new Uint8Array(a.state) });
    expect(Buffer.from(found.get('sig_b')?.state ?? []).equals(Buffer.from(b.state))).toBe(true);
  });

  it('keeps only newer versions, compared as integers (10 > 9, beyond 2^53)', async () => {
    await sut.saveMany([state('sig_n', 9), state('sig_big', '9007199254740993')]);
    const newer = state('sig_n', 10);
    expect(await sut.saveMany([newer, state('sig_big', '9007199254740992')])).toEqual({ saved: 1, stale: 1 });
    expect(await sut.saveMany([state('sig_n', 2), state('sig_n', 10)])).toEqual({ saved: 0, stale: 2 });
    const found = await sut.findMany(['sig_n', 'sig_big']);
    expect(found.get('sig_n')?.version).toBe('10');
    expect(Buffer.from(found.get('sig_n')?.state ?? []).equals(Buffer.from(newer.state))).toBe(true);
    expect(found.get('sig_big')?.version).toBe('9007199254740993');
  });

  it('within one call keeps the newest state per signal, and writes more than one command (50) worth', async () => {
    const many = Array.from({ length: 120 }, (_, i) => [state(`bulk_${String(i).padStart(3, '0')}`, 3), state(`bulk_${String(i).padStart(3, '0')}`, 2)]).flat();
    expect(await sut.saveMany(many)).toEqual({ saved: 120, stale: 120 });
    const found = await sut.findMany(many.map((s) => s.signalId));
    expect(found.size).toBe(120);
    expect([...found.values()].every((s) => s.version === '3')).toBe(true);
    expect(await sut.saveMany(many.filter((_, i) => i % 2 === 0).map((s) => ({ ...s, version: '4' })))).toEqual({ saved: 120, stale: 0 });
  });

  it('rejects a version that is not a decimal integer', async () => {
    await expect(sut.saveMany([state('sig_bad', 'v1')])).rejects.toThrow(RangeError);
  });

  it('scans every state exactly once, in pages of the batch size', async () => {
    const total = await sut.count();
    const pages: FanoutState[][] = [];
    for await (const page of sut.scan(7)) pages.push(page);
    const ids = pages.flat().map((s) => s.signalId);
    expect(ids).toHaveLength(total);
    expect(new Set(ids).size).toBe(total);
    expect(pages.slice(0, -1).every((p) => p.length === 7)).toBe(true);
    await expect(async () => {
      for await (const page of sut.scan(0)) void page;
    }).rejects.toThrow(RangeError);
  });

  it('records, lists and clears the states in flight', async () => {
    expect(await sut.inFlight()).toEqual([]);
    const x = state('inflight_x', 5);
    await sut.recordInFlight([x, state('inflight_y', 1), state('inflight_x', 4)]);
    expect((await sut.inFlight()).map((s) => [s.signalId, s.version])).toEqual([
      ['inflight_x', '5'],
      ['inflight_y', '1'],
    ]);
    await sut.recordInFlight([state('inflight_y', 2)]);
    await sut.clearInFlight(['inflight_x']);
    expect((await sut.inFlight()).map((s) => [s.signalId, s.version])).toEqual([['inflight_y', '2']]);
    await sut.clearInFlight(['inflight_y']);
    expect(await sut.inFlight()).toEqual([]);
    // In-flight states are not stored states.
    expect((await sut.findMany(['inflight_x'])).size).toBe(0);
  });
});
