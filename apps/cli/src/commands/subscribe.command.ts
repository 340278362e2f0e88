import { resolve } from 'node:path';

import { Command, InvalidArgumentError, Option } from 'commander';

import { type CliIo, printError } from '../io';
import { type Backoff, FeedFollower } from './subscribe-follow';
import { DEFAULT_STATE_FILE, ensureStateDir, readState, StateSaver,type SubscribeState } from './subscribe-state';
import {
  type ConnectFeed,
  connectFeed,
  DEFAULT_FEED_ADDRESS,
  FEED_EXIT_FAILED,
  feedErrorOf,
  filterJson,
  type FilterOptions,
  isEmptyFilter,
  parseCategories,
  parseMinConfidence,
  parseTypes,
  resolveFeedTarget,
  toFilter,
} from './subscription-client';

/** Subscribes `stop` to the signals that end a run; returns the unsubscribe. Tests pass their own. */
export type StopSignals = (stop: () => void) => () => void;

/** SIGINT / SIGTERM stop the run cleanly (state saved, exit 0); a second one exits at once. */
export const processStopSignals: StopSignals = (stop) => {
  let received = 0;
  const handler = () => {
    received += 1;
    if (received > 1) process.exit(130);
    stop();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
};

export interface SubscribeDeps {
  connect?: ConnectFeed;
  stopSignals?: StopSignals;
  backoff?: Backoff;
  /** How often the state file may be rewritten while events flow (ms). */
  stateIntervalMs?: number;
}

interface SubscribeOptions extends FilterOptions {
  feed?: string;
  keyFile?: string;
  fromCursor?: string;
  snapshot?: boolean;
  stateFile: string;
  maxEvents?: number;
  idleExitMs?: number;
}

function positiveInt(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`must be a positive integer, not "${value}"`);
  return n;
}

function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty');
  return value.trim();
}

/** The filter flags, shared with `subscription set`. */
export function filterOptions(): Option[] {
  return [
    new Option('--types <types>', 'signal types, comma-separated: url, model-hash, prompt-pattern; repeatable').argParser(parseTypes),
    new Option('--categories <categories>', 'categories, comma-separated, e.g. service.nudify,model.2c (each covers its dotted sub-categories); repeatable').argParser(parseCategories),
    new Option('--min-confidence <0-100>', "minimum aggregated confidence of a view").argParser(parseMinConfidence),
  ];
}

export function subscribeCommand(io: CliIo, setExitCode: (code: number) => void, deps: SubscribeDeps = {}): Command {
  const connect = deps.connect ?? connectFeed;
  const stopSignals = deps.stopSignals ?? processStopSignals;

  const subscribe = async (options: SubscribeOptions): Promise<number> => {
    const stateFile = resolve(options.stateFile);
    const filter = isEmptyFilter(options) ? undefined : toFilter(options);
    const filterShown = filter === undefined ? null : filterJson(filter);
    let target: Awaited<ReturnType<typeof resolveFeedTarget>>;
    let state: SubscribeState | undefined;
    try {
      target = await resolveFeedTarget(io, options);
      await ensureStateDir(stateFile);
      // --snapshot starts afresh and --from-cursor overrides: the state file is only read when it is used.
      state = options.snapshot || options.fromCursor !== undefined ? undefined : await readState(stateFile);
    } catch (err) {
      const { code, message } = feedErrorOf(err);
      printError(io, code, message);
      return FEED_EXIT_FAILED;
    }

    const cursor = options.fromCursor ?? state?.cursor ?? '';
    if (options.snapshot) io.stderr.write('signal-mesh: subscribe: taking a snapshot of the current view, then following the feed from its end\n');
    else if (options.fromCursor !== undefined) io.stderr.write('signal-mesh: subscribe: resuming from --from-cursor\n');
    else if (state !== undefined) {
      io.stderr.write(`signal-mesh: subscribe: resuming from the cursor in ${stateFile}\n`);
      // The feed does not re-deliver what an earlier filter left out: a changed filter needs a snapshot to be complete.
      if (JSON.stringify(state.filter ?? null) !== JSON.stringify(filterShown)) {
        io.stderr.write('signal-mesh: subscribe: warning: the filter differs from the one this cursor was read with; signals it now admits appear only when they change (run with --snapshot for the complete view)\n');
      }
    } else io.stderr.write('signal-mesh: subscribe: no cursor: starting at the live tail (use --snapshot to get the current view first)\n');

    const saver = new StateSaver(stateFile, filterShown, deps.stateIntervalMs);
    const client = connect(target.address, target.apiKey);
    const follower = new FeedFollower(client, io, saver, { cursor, snapshot: options.snapshot === true, filter, maxEvents: options.maxEvents, idleExitMs: options.idleExitMs, backoff: deps.backoff });
    const unsubscribe = stopSignals(() => follower.stop('signal'));
    try {
      return await follower.run();
    } finally {
      unsubscribe();
      client.close();
    }
  };

  const command = new Command('subscribe')
    .description("follow your organisation's feed: one JSON line per event on stdout, resumable from a saved cursor")
    .option('--feed <host:port>', `feed service gRPC address (default: SIGNAL_MESH_FEED_ADDRESS, else ${DEFAULT_FEED_ADDRESS})`)
    .option('--key-file <path>', "file holding your organisation's API key (default: SIGNAL_MESH_API_KEY)")
    .addOption(new Option('--from-cursor <cursor>', 'resume after this cursor (overrides the state file)').argParser(nonEmpty).conflicts('snapshot'))
    .option('--snapshot', 'print the current view first (kind SNAPSHOT), then follow from the end of the snapshot')
    .option('--state-file <path>', 'where the last printed cursor is kept', DEFAULT_STATE_FILE)
    .addOption(new Option('--max-events <n>', 'stop (exit 0) after n Subscribe events; snapshot lines do not count').argParser(positiveInt))
    .addOption(new Option('--idle-exit-ms <n>', 'stop (exit 0) when no line was printed for n ms; exit 1 if the feed was unreachable meanwhile').argParser(positiveInt));
  for (const option of filterOptions()) command.addOption(option);
  return command
    .addHelpText(
      'after',
      `
Examples:
  signal-mesh subscribe --snapshot --types url --categories service.nudify > feed.jsonl
  signal-mesh subscribe >> feed.jsonl            # resumes from .signal-mesh/subscribe-state.json

Each line: { kind, signalId, type, canonicalValue, view, retractReason, cursor, emittedAt }; kind is UPSERT
(view = the complete new view: replace, do not merge), RETRACT (stop acting on the signal; retractReason REVOKED,
EXPIRED, NO_LONGER_VISIBLE or FILTERED_OUT), SNAPSHOT, or SNAPSHOT_END (with signalCount). Delivery is at least
once: a resumed run may repeat events. The cursor is saved (atomically) only after its line was written.
Without filter flags the organisation's stored subscription applies (signal-mesh subscription get).

Exit codes: 0 stopped (SIGINT/SIGTERM, --max-events, --idle-exit-ms); 1 could not run or failed (usage, key,
state file, authentication, permission, feed unreachable at an idle exit); 2 refused by the service (e.g. an
invalid filter or cursor); 4 the cursor has expired: run again with --snapshot. UNAVAILABLE and other transient
errors reconnect with backoff from the last printed cursor. See docs/cli.md.`,
    )
    .action(async (options: SubscribeOptions) => {
      setExitCode(await subscribe(options));
    });
}
