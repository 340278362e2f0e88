import { type Contribution, type Signal, type SignalStateEvent, SignalStatus, SignalType } from '@signal-mesh/contracts';
import { at, mergedRecord, randomHex, signalVariants } from '@signal-mesh/signals-testing';

import { decodeState, encodeState } from './codec';
import { recordFromStateEvent, recordToSignal, recordToStateEvent } from './state.mapping';

const emittedAt = at(30);

function validState(): SignalStateEvent {
  return recordToStateEvent(mergedRecord({ type: 'url', value: 'https://app.nudify.example.com/x', scope: 'host' }), emittedAt);
}

function signalOf(event: SignalStateEvent): Signal {
  if (!event.signal) throw new Error('fixture: no signal');
  return event.signal;
}

function contributionAt(event: SignalStateEvent, index: number): Contribution {
  const contribution = signalOf(event).contributions[index];
  if (!contribution) throw new Error(`fixture: no contribution ${index}`);
  return contribution;
}

const invalidStates: [string, (e: SignalStateEvent) => void, string][] = [
  ['no signal', (e) => (e.signal = undefined), 'signal'],
  ['version 0', (e) => (e.version = '0'), 'version'],
  ['a non-numeric version', (e) => (e.version = '1e3'), 'version'],
  ['a version beyond 2^53', (e) => (e.version = '18446744073709551615'), 'version'],
  ['no emittedAt', (e) => (e.emittedAt = undefined), 'emittedAt'],
  ['no signal id', (e) => (signalOf(e).signalId = ''), 'signal.signalId'],
  ['a signal id of another value', (e) => (signalOf(e).signalId = `url_${randomHex(16)}`), 'signal.signalId'],
  ['type UNSPECIFIED', (e) => (signalOf(e).type = SignalType.SIGNAL_TYPE_UNSPECIFIED), 'signal.type'],
  ['status UNSPECIFIED', (e) => (signalOf(e).status = SignalStatus.SIGNAL_STATUS_UNSPECIFIED), 'signal.status'],
  ['an unknown status', (e) => (signalOf(e).status = 12 as SignalStatus), 'signal.status'],
  ['details of another type', (e) => (signalOf(e).details = { $case: 'promptPattern', value: { kind: 1 } }), 'signal.details'],
  ['a URL without host', (e) => (signalOf(e).details = { $case: 'url', value: { matchScope: 3, host: '', registrableDomain: '' } }), 'signal.url.host'],
  ['no aggregates', (e) => (signalOf(e).aggregates = undefined), 'signal.aggregates'],
  ['no firstSeenAt', (e) => (signalOf(e).firstSeenAt = undefined), 'signal.firstSeenAt'],
  ['a contribution of another signal', (e) => (contributionAt(e, 1).signalId = `url_${randomHex(16)}`), 'signal.contributions[1].signalId'],
  ['a revocation reason without revokedAt', (e) => (contributionAt(e, 1).revocationReason = 'x'), 'signal.contributions[1].revocationReason'],
];

describe(recordToStateEvent.name, () => {
  it.each(signalVariants())('round-trips the full state of %s through the Kafka bytes', (_name, input) => {
    const record = mergedRecord(input, emittedAt);
    const event = recordToStateEvent(record, emittedAt);
    expect(recordFromStateEvent(decodeState(encodeState(event)))).toStrictEqual(record);
  });

  it('keeps revoked and expiring contributions, the revocation reason and the derived nextExpiryAt', () => {
    const record = mergedRecord({ type: 'prompt-pattern', value: 'placeholder (alpha|beta)', kind: 'regex' }, emittedAt);
    expect(record.nextExpiryAt).toEqual(at(45));
    const sut = recordFromStateEvent(decodeState(encodeState(recordToStateEvent(record, emittedAt))));
    expect(sut.contributions).toHaveLength(3);
    expect(sut.contributions[0]).toMatchObject({ revokedAt: at(20), revocationReason: 'contributed by mistake', marking: 'RED' });
    expect(sut.contributions[2]).toMatchObject({ validUntil: at(45) });
    expect(sut.nextExpiryAt).toEqual(at(45));
    expect(sut.version).toBe(4);
  });

  it('re-derives nextExpiryAt as of emittedAt: none once every valid-until has passed', () => {
    const record = mergedRecord({ type: 'url', value: 'https://example.com/a' }, emittedAt);
    const sut = recordFromStateEvent(recordToStateEvent(record, at(24 * 60 * 365)));
    expect('nextExpiryAt' in sut).toBe(false);
  });

  it('carries the version as a decimal string', () => {
    const record = mergedRecord({ type: 'url', value: 'https://example.com/a' });
    expect(recordToStateEvent({ ...record, version: 9_007_199_254_740_991 }, emittedAt).version).toBe('9007199254740991');
  });
});

describe(recordToSignal.name, () => {
  it('holds every contribution with its own marking and audience, and the full-state aggregates', () => {
    const record = mergedRecord({ type: 'url', value: 'https://www.example.org/x', scope: 'domain' });
    const sut = recordToSignal(record);
    expect(sut).toMatchObject({
      signalId: record.signalId,
      type: SignalType.SIGNAL_TYPE_URL,
      canonicalValue: record.canonical,
      status: SignalStatus.SIGNAL_STATUS_DISPUTED,
      details: { $case: 'url', value: { matchScope: 4, host: 'www.example.org', registrableDomain: 'example.org' } },
      aggregates: record.aggregates,
      firstSeenAt: record.firstSeenAt,
      updatedAt: record.updatedAt,
    });
    expect(sut.contributions.map((c) => [c.marking, c.namedOrgIds, c.sharingGroupIds, c.signalId])).toEqual([
      [5, ['org_platform_x'], [], record.signalId],
      [3, [], ['grp_hotlines', 'grp_platforms'], record.signalId],
      [2, [], [], record.signalId],
    ]);
  });
});

describe(recordFromStateEvent.name, () => {
  it.each(invalidStates)('refuses a state event with %s', (_name, mutate, field) => {
    const event = validState();
    mutate(event);
    expect(() => recordFromStateEvent(event)).toThrow(expect.objectContaining({ name: 'EventMappingError', code: 'INVALID_STATE', field }));
  });
});
