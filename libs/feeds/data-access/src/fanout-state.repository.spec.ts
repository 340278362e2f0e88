import type { MongoConnection } from '@signal-mesh/data-access-mongo';
import { testLogger } from '@signal-mesh/testing';

import { FanoutStateRepository } from './fanout-state.repository';

// Input checks that must fail before any query; the storage behaviour is in fanout-state.repository.int-spec.ts.
describe(`${FanoutStateRepository.name} (no database)`, () => {
  const queried: string[] = [];
  const collection = new Proxy({}, { get: (_, name) => () => queried.push(String(name)) });
  const connection = { db: { collection: () => collection } } as unknown as MongoConnection;
  let sut: FanoutStateRepository;

  beforeEach(async () => {
    queried.length = 0;
    sut = await FanoutStateRepository.create(connection, testLogger());
  });

  it.each(['', 'v1', '-1', '1.5', '123456789012345678901'])('rejects the version "%s" before writing anything', async (version) => {
    await expect(sut.saveMany([{ signalId: 'sig_a', version, state: new Uint8Array([1]) }])).rejects.toThrow(RangeError);
    await expect(sut.recordInFlight([{ signalId: 'sig_a', version, state: new Uint8Array([1]) }])).rejects.toThrow(RangeError);
    expect(queried).toEqual([]);
  });

  it.each([0, -1, 1.5])('rejects the scan batch size %s', async (size) => {
    await expect(sut.scan(size).next()).rejects.toThrow(RangeError);
    expect(queried).toEqual([]);
  });

  it('answers empty inputs without a query', async () => {
    expect(await sut.findMany([])).toEqual(new Map());
    expect(await sut.saveMany([])).toEqual({ saved: 0, stale: 0 });
    await sut.clearInFlight([]);
    expect(queried).toEqual([]);
  });
});
