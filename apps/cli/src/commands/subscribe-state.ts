import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Relative to the working directory, like the other local files the CLI keeps (.local/…). */
export const DEFAULT_STATE_FILE = '.signal-mesh/subscribe-state.json';

/** What `subscribe` keeps between runs. The cursor is opaque: stored, never parsed. */
export interface SubscribeState {
  version: 1;
  cursor: string;
  /** The filter flags the cursor was read with (null: none, the stored subscription applied). */
  filter: unknown;
  savedAt: string;
}

function stateError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** The saved state; undefined when there is no state file yet. An unusable file is an error, never "start over". */
export async function readState(path: string): Promise<SubscribeState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw stateError('STATE_FILE_UNREADABLE', `cannot read the state file ${path} (${code ?? 'error'})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const state = parsed as Partial<SubscribeState> | undefined;
  if (typeof state !== 'object' || state === null || state.version !== 1 || typeof state.cursor !== 'string') {
    throw stateError('STATE_FILE_INVALID', `the state file ${path} is not a subscribe state file; fix or remove it (or pass --from-cursor / --snapshot)`);
  }
  return { version: 1, cursor: state.cursor, filter: state.filter ?? null, savedAt: typeof state.savedAt === 'string' ? state.savedAt : '' };
}

/** Checked before connecting, so an unwritable location fails at once rather than after the first event. */
export async function ensureStateDir(path: string): Promise<void> {
  const dir = dirname(path);
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (err) {
    throw stateError('STATE_FILE_UNWRITABLE', `cannot write the state file in ${dir} (${(err as NodeJS.ErrnoException).code ?? 'error'}); pass --state-file <path>`);
  }
}

/**
 * Temp file in the same directory + fsync + rename: a reader (or a crash) sees the old state or the new one,
 * never a torn file.
 */
export async function writeStateAtomic(path: string, state: SubscribeState): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(state)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw stateError('STATE_FILE_UNWRITABLE', `cannot write the state file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/**
 * Keeps the state file at the last cursor whose line was printed. `record` is called only after the line is
 * written; writes are coalesced (one at a time, at most every `intervalMs`), so a busy feed does not rewrite the
 * file per event. A crash may leave it a little behind, which only replays events (the feed is at-least-once);
 * it is never ahead of stdout. `flush` (on every exit path) writes the latest cursor.
 */
export class StateSaver {
  private latest: string | undefined;
  private saved: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** The first write error; once set, nothing more is written. */
  failure: Error | undefined;

  constructor(
    private readonly path: string,
    private readonly filter: unknown,
    private readonly intervalMs = 100,
    private readonly write: typeof writeStateAtomic = writeStateAtomic,
  ) {}

  /** The cursor whose line was just printed. */
  record(cursor: string): void {
    this.latest = cursor;
    if (this.timer === undefined && this.failure === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.save();
      }, this.intervalMs);
    }
  }

  /** The cursor last written to disk (tests, messages). */
  get savedCursor(): string | undefined {
    return this.saved;
  }

  /** Writes the latest recorded cursor now; rejects with the write error if any write failed. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.save();
    if (this.failure) throw this.failure;
  }

  private save(): Promise<void> {
    this.chain = this.chain.then(async () => {
      const cursor = this.latest;
      if (cursor === undefined || cursor === this.saved || this.failure) return;
      try {
        await this.write(this.path, { version: 1, cursor, filter: this.filter, savedAt: new Date().toISOString() });
        this.saved = cursor;
      } catch (err) {
        this.failure = err as Error;
      }
    });
    return this.chain;
  }
}
