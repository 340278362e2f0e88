import { at, contributionSubmission, mergedRecord } from '@signal-mesh/signals-testing';

import { decodeState, decodeSubmission, encodeState, encodeSubmission } from './codec';
import { recordToStateEvent } from './state.mapping';
import { submissionToEvent } from './submission.mapping';

const garbage: [string, Buffer][] = [
  ['empty bytes (a tombstone)', Buffer.alloc(0)],
  ['a length running past the end', Buffer.from([0x0a, 0xff, 0x01, 0x41])],
  ['an invalid wire type', Buffer.from([0x0f, 0x00])],
  ['a truncated varint', Buffer.from([0x08, 0xff, 0xff])],
];

describe('codec', () => {
  it('round-trips a submission event through bytes', () => {
    const event = submissionToEvent(contributionSubmission({ type: 'url', value: 'https://example.com/a' }), { idempotencyKey: 'k-1', acceptedAt: at(1) });
    const bytes = encodeSubmission(event);
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(decodeSubmission(bytes)).toEqual(event);
  });

  it('round-trips a state event through bytes, version as a decimal string', () => {
    const event = recordToStateEvent(mergedRecord({ type: 'prompt-pattern', value: 'placeholder phrase' }), at(31));
    expect(decodeState(encodeState(event))).toEqual(event);
    expect(event.version).toBe('4');
  });

  it.each(garbage)('refuses %s as UNDECODABLE', (_name, bytes) => {
    expect(() => decodeSubmission(bytes)).toThrow(expect.objectContaining({ name: 'EventMappingError', code: 'UNDECODABLE' }));
    expect(() => decodeState(bytes)).toThrow(expect.objectContaining({ code: 'UNDECODABLE' }));
  });
});
