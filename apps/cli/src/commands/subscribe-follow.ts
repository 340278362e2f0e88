import type { SubscriptionFilter } from '@signal-mesh/contracts';
import { GrpcStatus, readErrorDetail } from '@signal-mesh/transport-grpc';

import type { CliIo } from '../io';
import { eventLine, type FeedLine, snapshotEndLine, snapshotLine } from './subscribe-lines';
import type { StateSaver } from './subscribe-state';
import {
  FEED_EXIT_CURSOR_EXPIRED,
  FEED_EXIT_FAILED,
  FEED_EXIT_OK,
  FEED_EXIT_REFUSED,
  type FeedClient,
  type FeedError,
  feedErrorOf,
  type FeedStream,
  isServiceError,
} from './subscription-client';

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 };

export interface FollowOptions {
  /** Where Subscribe starts ('' = the live tail); ignored with `snapshot`, which supplies its own. */
  cursor: string;
  snapshot: boolean;
  /** Undefined: the request carries no filter and the organisation's stored subscription applies. */
  filter: SubscriptionFilter | undefined;
  maxEvents?: number;
  idleExitMs?: number;
  backoff?: Backoff;
}

/** Statuses after which reconnecting can help; everything else ends the run. */
const TRANSIENT: ReadonlySet<number> = new Set([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.RESOURCE_EXHAUSTED,
  GrpcStatus.ABORTED,
  GrpcStatus.INTERNAL,
  GrpcStatus.UNKNOWN,
  // A cancel we did not ask for (e.g. a proxy or the server going away).
  GrpcStatus.CANCELLED,
]);

export function isTransient(err: unknown): boolean {
  return isServiceError(err) && TRANSIENT.has(err.code);
}

export function isCursorExpired(err: unknown): boolean {
  return isServiceError(err) && err.code === GrpcStatus.FAILED_PRECONDITION && readErrorDetail(err)?.code === 'CURSOR_EXPIRED';
}

/** The exit code for an error that ends a subscribe run. */
export function subscribeExitCodeOf(err: unknown): number {
  if (isCursorExpired(err)) return FEED_EXIT_CURSOR_EXPIRED;
  if (isServiceError(err) && (err.code === GrpcStatus.INVALID_ARGUMENT || err.code === GrpcStatus.FAILED_PRECONDITION || err.code === GrpcStatus.OUT_OF_RANGE)) return FEED_EXIT_REFUSED;
  return FEED_EXIT_FAILED;
}

/** Exponential, capped, with jitter (half to full) so many clients do not reconnect in step. */
export function backoffDelay(attempt: number, backoff: Backoff, random: () => number = Math.random): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.5 + random() * 0.5));
}

type StopReason = 'signal' | 'max-events' | 'idle' | 'stdout';

interface Fatal {
  exitCode: number;
  error: FeedError;
}

class Stop {
  constructor(readonly reason: StopReason) {}
}

/**
 * Runs `subscribe`: an optional Snapshot, then Subscribe from the cursor, printing one JSON line per item and
 * recording each event's cursor only after its line is written. Transient failures reconnect with backoff from
 * the last printed cursor; anything else ends the run with its coded error. Resolves with the exit code.
 */
export class FeedFollower {
  private stopReason: StopReason | undefined;
  private current: FeedStream<unknown> | undefined;
  private wake: (() => void) | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private cursor: string;
  private printed = 0;
  /** The last transient failure since the last line: what an idle exit reports. */
  private failing: FeedError | undefined;

  constructor(
    private readonly client: FeedClient,
    private readonly io: CliIo,
    private readonly saver: StateSaver,
    private readonly options: FollowOptions,
  ) {
    this.cursor = options.cursor;
  }

  /** SIGINT / SIGTERM: cancel the stream; run() then saves the last printed cursor and resolves 0. */
  stop(reason: StopReason = 'signal'): void {
    this.stopReason ??= reason;
    this.current?.cancel();
    this.wake?.();
  }

  /** The cursor of the last printed event (or snapshot end). */
  get lastCursor(): string {
    return this.cursor;
  }

  async run(): Promise<number> {
    const stdout = this.io.stdout as { on?: (event: 'error', listener: (err: Error) => void) => unknown; off?: (event: 'error', listener: (err: Error) => void) => unknown };
    // A reader that went away (EPIPE) stops the run instead of crashing it.
    const onStdoutError = () => this.stop('stdout');
    stdout.on?.('error', onStdoutError);
    this.armIdle();
    let exitCode: number;
    try {
      exitCode = await this.follow();
    } finally {
      clearTimeout(this.idleTimer);
      stdout.off?.('error', onStdoutError);
    }
    try {
      await this.saver.flush();
    } catch (err) {
      this.report(feedErrorOf(err));
      return exitCode === FEED_EXIT_OK ? FEED_EXIT_FAILED : exitCode;
    }
    return exitCode;
  }

  private async follow(): Promise<number> {
    if (this.options.snapshot) {
      const outcome = await this.snapshot();
      if (outcome !== undefined) return this.finish(outcome);
    }
    let attempt = 0;
    for (;;) {
      if (this.stopReason) return this.finish(new Stop(this.stopReason));
      const stream = this.client.subscribe({ cursor: this.cursor, filter: this.options.filter });
      this.current = stream;
      let failure: unknown;
      let ended = false;
      try {
        for await (const response of stream) {
          const event = response.event;
          if (event === undefined) continue;
          await this.print(eventLine(event));
          if (event.cursor !== '') {
            this.cursor = event.cursor;
            this.saver.record(event.cursor);
          }
          attempt = 0;
          if (this.saver.failure) return this.finish({ exitCode: FEED_EXIT_FAILED, error: feedErrorOf(this.saver.failure) });
          if (this.options.maxEvents !== undefined && ++this.printed >= this.options.maxEvents) this.stop('max-events');
          if (this.stopReason) break;
        }
        // The server ended the stream without an error (e.g. it is shutting down): resume like after a failure.
        ended = true;
        failure = Object.assign(new Error('the feed service ended the stream'), { code: 'FEED_STREAM_ENDED' });
      } catch (err) {
        failure = err;
      } finally {
        stream.cancel();
        this.current = undefined;
      }
      if (this.stopReason) return this.finish(new Stop(this.stopReason));
      if (!ended && !isTransient(failure)) {
        return this.finish({ exitCode: subscribeExitCodeOf(failure), error: feedErrorOf(failure) });
      }
      await this.backoff(attempt++, failure);
    }
  }

  /** The Snapshot phase: undefined when it completed (the cursor is then its end cursor, saved), else the outcome. */
  private async snapshot(): Promise<Fatal | Stop | undefined> {
    let attempt = 0;
    for (;;) {
      if (this.stopReason) return new Stop(this.stopReason);
      const stream = this.client.snapshot({ filter: this.options.filter });
      this.current = stream;
      let views = 0;
      try {
        for await (const response of stream) {
          const item = response.item;
          if (item?.$case === 'view') {
            await this.print(snapshotLine(item.value));
            views += 1;
            if (this.stopReason) break;
          } else if (item?.$case === 'end') {
            // The end marker is the completeness check: a count that does not match means views were lost.
            if (Number(item.value.signalCount) !== views || item.value.cursor === '') {
              return { exitCode: FEED_EXIT_FAILED, error: { code: 'SNAPSHOT_INCOMPLETE', message: `the snapshot ended with ${item.value.signalCount} views announced, ${views} received${item.value.cursor === '' ? ' and no cursor' : ''}; run again with --snapshot` } };
            }
            await this.print(snapshotEndLine(item.value));
            this.cursor = item.value.cursor;
            this.saver.record(this.cursor);
            await this.saver.flush();
            return undefined;
          }
        }
        if (this.stopReason) return new Stop(this.stopReason);
        return { exitCode: FEED_EXIT_FAILED, error: { code: 'SNAPSHOT_INCOMPLETE', message: `the snapshot stream ended after ${views} views without its end marker; run again with --snapshot` } };
      } catch (err) {
        if (this.stopReason) return new Stop(this.stopReason);
        // Retrying is only safe before any view was printed: a second, partial copy would confuse a consumer.
        if (!isTransient(err) || views > 0) {
          const error = feedErrorOf(err);
          return { exitCode: subscribeExitCodeOf(err), error: views > 0 ? { ...error, message: `${error.message} (snapshot interrupted after ${views} views; run again with --snapshot)` } : error };
        }
        await this.backoff(attempt++, err);
      } finally {
        stream.cancel();
        this.current = undefined;
      }
    }
  }

  private finish(outcome: Fatal | Stop): number {
    if (outcome instanceof Stop) {
      if (outcome.reason === 'stdout') {
        this.io.stderr.write('signal-mesh: subscribe: stdout was closed; stopping\n');
        return FEED_EXIT_FAILED;
      }
      if (outcome.reason === 'idle' && this.failing !== undefined) return this.finish({ exitCode: FEED_EXIT_FAILED, error: this.failing });
      return FEED_EXIT_OK;
    }
    if (outcome.exitCode === FEED_EXIT_CURSOR_EXPIRED) {
      this.io.stderr.write(
        'signal-mesh: subscribe: the cursor has expired: the feed no longer holds the events after it, so resuming would miss changes. ' +
          'Run again with --snapshot to read the current view and continue from its end (the state file is updated then).\n',
      );
    }
    this.report(outcome.error);
    return outcome.exitCode;
  }

  /** A fatal error: one human line on stderr, the coded error as a JSON line on stdout (as `submit` does). */
  private report(error: FeedError): void {
    this.io.stderr.write(`signal-mesh: subscribe: stopped: ${error.code}: ${error.message}\n`);
    this.io.stdout.write(`${JSON.stringify({ error })}\n`);
  }

  /** Writes one line and waits while stdout is full, so a slow reader slows the stream instead of buffering it. */
  private async print(line: FeedLine): Promise<void> {
    const stdout = this.io.stdout as { write(chunk: string): unknown; once?: (event: 'drain', listener: () => void) => unknown };
    const flushed = stdout.write(`${JSON.stringify(line)}\n`);
    if (flushed === false && typeof stdout.once === 'function') {
      const once = stdout.once.bind(stdout);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        once('drain', () => resolve());
      });
      this.wake = undefined;
    }
    this.failing = undefined;
    this.armIdle();
  }

  private armIdle(): void {
    if (this.options.idleExitMs === undefined) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop('idle'), this.options.idleExitMs);
  }

  private async backoff(attempt: number, err: unknown): Promise<void> {
    const error = feedErrorOf(err);
    this.failing = error;
    const delay = backoffDelay(attempt, this.options.backoff ?? DEFAULT_BACKOFF);
    const from = this.cursor === '' ? 'at the live tail (no cursor yet: events in between are not replayed)' : 'from the last printed cursor';
    this.io.stderr.write(`signal-mesh: subscribe: ${error.code}${error.status ? ` (${error.status})` : ''}: ${error.message}; reconnecting in ${(delay / 1000).toFixed(1)}s ${this.options.snapshot && this.cursor === '' ? 'to take the snapshot' : from}\n`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }
}
