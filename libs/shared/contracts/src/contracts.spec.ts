import { allTopicSpecs, deadLetterTopicName, SignalType, SubmissionEvent, Topics, TrustChangeEvent } from './index';

describe('generated contracts', () => {
  it('round-trips a Kafka payload through the protobuf wire format', () => {
    const event: TrustChangeEvent = TrustChangeEvent.fromPartial({ entityId: 'organisation/org-1', version: '3' });
    const bytes = TrustChangeEvent.encode(event).finish();
    expect(TrustChangeEvent.decode(bytes)).toMatchObject({ entityId: 'organisation/org-1', version: '3' });
  });

  it('keeps enum zero values unspecified so an unset field is never a real type', () => {
    expect(SignalType.SIGNAL_TYPE_UNSPECIFIED).toBe(0);
    expect(SubmissionEvent.fromPartial({}).idempotencyKey).toBe('');
  });
});

describe(allTopicSpecs.name, () => {
  it('lists every catalogue topic once, plus a dead-letter topic per consumed topic', () => {
    const names = allTopicSpecs().map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(Object.values(Topics).map((t) => t.name)));
    expect(names).toContain(deadLetterTopicName(Topics.submissions.name));
    expect(allTopicSpecs().find((t) => t.name === Topics.signalState.name)?.cleanupPolicy).toBe('compact');
  });
});
