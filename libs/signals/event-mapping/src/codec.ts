import { SignalStateEvent, SubmissionEvent } from '@signal-mesh/contracts';

import { EventMappingError } from './event-mapping.error';

/** Protobuf bytes of a submissions-topic payload. */
export function encodeSubmission(event: SubmissionEvent): Buffer {
  return asBuffer(SubmissionEvent.encode(event).finish());
}

/**
 * Throws EventMappingError UNDECODABLE when the bytes are empty (a tombstone) or not a SubmissionEvent. Decoding
 * checks the wire format only: validate the result with submissionFromEvent.
 */
export function decodeSubmission(bytes: Uint8Array): SubmissionEvent {
  return decode(bytes, (b) => SubmissionEvent.decode(b), 'SubmissionEvent');
}

/** Protobuf bytes of a state-topic payload. */
export function encodeState(event: SignalStateEvent): Buffer {
  return asBuffer(SignalStateEvent.encode(event).finish());
}

/** As decodeSubmission, for the state topic; validate the result with recordFromStateEvent. */
export function decodeState(bytes: Uint8Array): SignalStateEvent {
  return decode(bytes, (b) => SignalStateEvent.decode(b), 'SignalStateEvent');
}

function decode<T>(bytes: Uint8Array, run: (bytes: Uint8Array) => T, name: string): T {
  // Zero bytes are a valid all-defaults message to protobuf, but never a payload of ours (a null record value is).
  if (!bytes || bytes.length === 0) throw new EventMappingError('UNDECODABLE', `empty ${name} payload`);
  try {
    return run(bytes);
  } catch (err) {
    throw new EventMappingError('UNDECODABLE', `not a ${name}: ${(err as Error).message}`, undefined, { cause: err });
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
