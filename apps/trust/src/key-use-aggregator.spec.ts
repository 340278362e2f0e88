import { KeyUseAggregator } from './key-use-aggregator';

describe(KeyUseAggregator.name, () => {
  it('appends one entry per key and use with the count since the last drain, then starts again', () => {
    let now = new Date('2025-01-01T00:00:00Z');
    const sut = new KeyUseAggregator(() => now);
    sut.record('org_1', 'aaaaaaaaaaaa', 'rpc.Authenticate');
    sut.record('org_1', 'aaaaaaaaaaaa', 'rpc.Authenticate');
    sut.record('org_2', 'bbbbbbbbbbbb', 'rpc.Authenticate');
    now = new Date('2025-01-01T00:01:00Z');
    expect(sut.drain()).toEqual([
      { at: now, actorOrgId: 'org_1', keyId: 'aaaaaaaaaaaa', action: 'key.use', outcome: 'ALLOWED', subject: 'rpc.Authenticate', details: { count: 2, since: '2025-01-01T00:00:00.000Z' } },
      { at: now, actorOrgId: 'org_2', keyId: 'bbbbbbbbbbbb', action: 'key.use', outcome: 'ALLOWED', subject: 'rpc.Authenticate', details: { count: 1, since: '2025-01-01T00:00:00.000Z' } },
    ]);
    expect(sut.drain()).toEqual([]);
  });
});
