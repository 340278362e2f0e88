/** Coded refusals of the feed domain; each transport maps the code once. */
export type FeedErrorCode = 'INVALID_CURSOR' | 'INVALID_FILTER';

export class FeedDomainError extends Error {
  constructor(
    readonly code: FeedErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'FeedDomainError';
  }
}
