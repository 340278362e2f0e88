import { decodeCursor, FeedDomainError } from '@signal-mesh/feeds-domain';

import { FeedError } from './errors';

/** Low (log start) and high (next offset) watermark of the organisation's partition, as decimal strings. */
export interface Watermarks {
  readonly low: string;
  readonly high: string;
}

/**
 * Where a Subscribe starts: the live end for an empty cursor, else the cursor's offset, which must be on the caller's
 * partition, not before the log start (CURSOR_EXPIRED: take a snapshot) and not beyond the end (never issued).
 */
export function startPosition(cursorText: string, partition: number, watermarks: Watermarks): bigint {
  if (cursorText === '') return BigInt(watermarks.high);
  const cursor = decodeCursor(cursorText);
  if (cursor.partition !== partition) throw new FeedDomainError('INVALID_CURSOR', 'cursor was not issued for this organisation', 'cursor');
  const offset = BigInt(cursor.offset);
  if (offset < BigInt(watermarks.low)) throw new FeedError('CURSOR_EXPIRED', 'the cursor is older than the feed retention; take a Snapshot and continue from its cursor', 'cursor');
  if (offset > BigInt(watermarks.high)) throw new FeedDomainError('INVALID_CURSOR', 'cursor is beyond the end of the feed', 'cursor');
  return offset;
}
