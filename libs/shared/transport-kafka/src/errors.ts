/**
 * A failure that retrying cannot fix (undecodable payload, invalid content): the consumer sends the record to the
 * dead-letter topic with this code and reason and moves on. Any other error is treated as transient and retried.
 */
export class PermanentError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

export function isPermanent(err: unknown): err is PermanentError {
  return err instanceof PermanentError || (typeof err === 'object' && err !== null && (err as { permanent?: unknown }).permanent === true);
}
