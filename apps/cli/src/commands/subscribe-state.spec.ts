import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { readState, StateSaver, type SubscribeState, writeStateAtomic } from './subscribe-state';

describe('subscribe state file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'signal-mesh-state-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const cursor = () => randomBytes(9).toString('base64url');

  it('reads nothing when there is no file, and refuses a file that is not a state file', async () => {
    expect(await readState(join(dir, 'missing.json'))).toBeUndefined();
    writeFileSync(join(dir, 'bad.json'), '{"cursor": 7}');
    await expect(readState(join(dir, 'bad.json'))).rejects.toMatchObject({ code: 'STATE_FILE_INVALID' });
    writeFileSync(join(dir, 'torn.json'), '{"version":1,"cur');
    await expect(readState(join(dir, 'torn.json'))).rejects.toMatchObject({ code: 'STATE_FILE_INVALID' });
  });

  it('writes atomically: the final file only, no temp file left, readable back', async () => {
    const path = join(dir, 'state.json');
    const state: SubscribeState = { version: 1, cursor: cursor(), filter: { types: ['url'], categories: [], minConfidence: 0 }, savedAt: '2026-01-01T00:00:00.000Z' };
    await writeStateAtomic(path, state);
    await writeStateAtomic(path, { ...state, cursor: 'second' });
    expect(readdirSync(dir)).toEqual(['state.json']);
    expect(await readState(path)).toEqual({ ...state, cursor: 'second' });
  });

  it('fails with STATE_FILE_UNWRITABLE and leaves no temp file when the directory is missing', async () => {
    await expect(writeStateAtomic(join(dir, 'nope', 'state.json'), { version: 1, cursor: 'c', filter: null, savedAt: '' })).rejects.toMatchObject({ code: 'STATE_FILE_UNWRITABLE' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('coalesces recorded cursors into few writes and flushes the latest one', async () => {
    const writes: string[] = [];
    const saver = new StateSaver(join(dir, 's.json'), null, 20, async (_path, state) => {
      writes.push(state.cursor);
    });
    for (const c of ['c1', 'c2', 'c3']) saver.record(c);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(writes).toEqual(['c3']);
    saver.record('c4');
    await saver.flush();
    expect(writes).toEqual(['c3', 'c4']);
    expect(saver.savedCursor).toBe('c4');
    await saver.flush();
    expect(writes).toHaveLength(2);
  });

  it('reports the first write failure on flush and stops writing', async () => {
    let calls = 0;
    const saver = new StateSaver(join(dir, 's.json'), null, 1, async () => {
      calls += 1;
      throw Object.assign(new Error('disk full'), { code: 'STATE_FILE_UNWRITABLE' });
    });
    saver.record('c1');
    await expect(saver.flush()).rejects.toMatchObject({ code: 'STATE_FILE_UNWRITABLE' });
    saver.record('c2');
    await expect(saver.flush()).rejects.toThrow('disk full');
    expect(calls).toBe(1);
  });

  it('writes the real file through flush', async () => {
    const path = join(dir, 's.json');
    const saver = new StateSaver(path, null);
    const c = cursor();
    saver.record(c);
    await saver.flush();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ version: 1, cursor: c, filter: null });
  });
});
