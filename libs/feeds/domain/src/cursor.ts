import { FeedDomainError } from './errors';

/** A position in an organisation's feed: the next offset to deliver on the partition that holds its events. */
export interface FeedCursor {
  readonly partition: number;
  /** Decimal Kafka offset (int64), kept as a string. */
  readonly offset: string;
}

const MAX_CURSOR_LENGTH = 128;
const OFFSET_RE = /^\d{1,19}$/;

/** Opaque to clients: base64url of a small versioned JSON, so the format can change behind `v`. */
export function encodeCursor(cursor: FeedCursor): string {
  return Buffer.from(JSON.stringify({ v: 1, p: cursor.partition, o: cursor.offset }), 'utf8').toString('base64url');
}

/** Parses a cursor a client sent back; anything else is INVALID_CURSOR (never a stack trace). */
export function decodeCursor(text: string): FeedCursor {
  const invalid = (why: string) => new FeedDomainError('INVALID_CURSOR', `cursor is not one this service issued (${why})`, 'cursor');
  if (text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalid('bad encoding');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid('bad encoding');
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalid('bad shape');
  const { v, p, o } = parsed as Record<string, unknown>;
  if (v !== 1) throw invalid('unknown version');
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 100_000) throw invalid('bad partition');
  if (typeof o !== 'string' || !OFFSET_RE.test(o) || BigInt(o) > 9_223_372_036_854_775_807n) throw invalid('bad offset');
  return { partition: p, offset: o };
}
