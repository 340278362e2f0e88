import { decodeCursor, encodeCursor } from './cursor';
import { FeedDomainError } from './errors';

describe('feed cursors', () => {
  it('round-trip and are URL-safe', () => {
    const cursor = { partition: 5, offset: '9223372036854775807' };
    const text = encodeCursor(cursor);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(cursor);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'abc$'],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['unknown version', Buffer.from(JSON.stringify({ v: 2, p: 0, o: '1' })).toString('base64url')],
    ['negative partition', Buffer.from(JSON.stringify({ v: 1, p: -1, o: '1' })).toString('base64url')],
    ['numeric offset', Buffer.from(JSON.stringify({ v: 1, p: 0, o: 1 })).toString('base64url')],
    ['offset beyond int64', Buffer.from(JSON.stringify({ v: 1, p: 0, o: '9223372036854775808' })).toString('base64url')],
    ['too long', 'a'.repeat(200)],
  ])('refuses a cursor that is %s with INVALID_CURSOR', (_, text) => {
    expect(() => decodeCursor(text)).toThrow(FeedDomainError);
    expect(() => decodeCursor(text)).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
  });
});
