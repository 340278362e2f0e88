import { encodeCursor } from '@signal-mesh/feeds-domain';
import { thrownCode } from '@signal-mesh/testing';

import { startPosition } from './start-position';

describe('startPosition', () => {
  const w = { low: '100', high: '250' };
  const cursor = (offset: string, partition = 3) => encodeCursor({ partition, offset });

  it('starts an empty cursor at the live end (high watermark)', () => {
    expect(startPosition('', 3, w)).toBe(250n);
  });

  it('resumes at the cursor anywhere from the log start to the end', () => {
    expect(startPosition(cursor('100'), 3, w)).toBe(100n);
    expect(startPosition(cursor('180'), 3, w)).toBe(180n);
    expect(startPosition(cursor('250'), 3, w)).toBe(250n);
  });

  it.each([
    ['malformed', 'not a cursor', 'INVALID_CURSOR'],
    ['of another partition', cursor('180', 4), 'INVALID_CURSOR'],
    ['beyond the end', cursor('251'), 'INVALID_CURSOR'],
    ['before the log start', cursor('99'), 'CURSOR_EXPIRED'],
  ])('refuses a cursor %s', (_, text, code) => {
    expect(thrownCode(() => startPosition(text, 3, w))).toBe(code);
  });
});
