/**
 * Why an event could not be mapped. Consumers dead-letter on UNDECODABLE, INVALID_SUBMISSION and INVALID_STATE (a
 * retry cannot fix a pure mapping); UNMAPPABLE_VALUE means a domain value outside its closed set reached the
 * producer side, a bug upstream.
 */
export type EventMappingCode = 'UNDECODABLE' | 'INVALID_SUBMISSION' | 'INVALID_STATE' | 'UNMAPPABLE_VALUE';

export class EventMappingError extends Error {
  constructor(
    readonly code: EventMappingCode,
    message: string,
    /** Path of the offending field in the message, e.g. `contribution.contribution.marking`. */
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EventMappingError';
  }
}

export function isEventMappingError(err: unknown): err is EventMappingError {
  return err instanceof EventMappingError;
}
