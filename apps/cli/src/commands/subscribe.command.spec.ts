import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import {
  type FeedEvent,
  FeedEventKind,
  type FeedServiceServer,
  FeedServiceService,
  RetractReason,
  Signal,
  SignalType,
  type SnapshotRequest,
  type SnapshotResponse,
  type SubscribeRequest,
  type SubscribeResponse,
} from '@signal-mesh/contracts';
import { testLogger } from '@signal-mesh/testing';
import { GrpcServer, GrpcStatus, type ServiceError, serviceError } from '@signal-mesh/transport-grpc';

import type { CliIo } from '../io';
import { run } from '../main';
import { eventLine } from './subscribe-lines';

const KEY = `smk_${randomBytes(6).toString('hex')}_SECRET`;

type Io = CliIo & { out: string[]; err: string[]; lines(): Record<string, unknown>[] };

function fakeIo(env: Record<string, string | undefined> = { SIGNAL_MESH_API_KEY: KEY }, onWrite?: (line: string) => void): Io {
  const out: string[] = [];
  const err: string[] = [];
  return {
    stdin: Readable.from(['']),
    stdout: {
      write: (s: string) => {
        onWrite?.(s);
        return out.push(s);
      },
    },
    stderr: { write: (s: string) => err.push(s) },
    env,
    out,
    err,
    lines: () => out.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const hex = () => randomBytes(16).toString('hex');

function view(n: number): Signal {
  return Signal.fromPartial({ signalId: `sig_${hex()}`, type: SignalType.SIGNAL_TYPE_URL, canonicalValue: `https://site${n}.example.com/`, categories: ['service.nudify'] });
}

function upsert(n: number): FeedEvent {
  const v = view(n);
  return { kind: FeedEventKind.FEED_EVENT_KIND_UPSERT, orgId: 'org_1', signalId: v.signalId, signalType: v.type, canonicalValue: v.canonicalValue, view: v, retractReason: RetractReason.RETRACT_REASON_UNSPECIFIED, cursor: `cur_${n}`, emittedAt: new Date('2026-01-01T00:00:00Z') };
}

function retract(n: number): FeedEvent {
  return { kind: FeedEventKind.FEED_EVENT_KIND_RETRACT, orgId: 'org_1', signalId: `sig_${hex()}`, signalType: SignalType.SIGNAL_TYPE_MODEL_HASH, canonicalValue: hex() + hex(), view: undefined, retractReason: RetractReason.RETRACT_REASON_FILTERED_OUT, cursor: `cur_${n}`, emittedAt: undefined };
}

type SubscribeCall = Parameters<FeedServiceServer['subscribe']>[0];
type SnapshotCall = Parameters<FeedServiceServer['snapshot']>[0];
/** What one Subscribe call does; tests queue one per expected connection. Default: stays open, silent. */
type Session = (call: SubscribeCall) => void;

/** Sends the events, then either fails with `error` or stays open. */
const sends =
  (events: FeedEvent[], error?: ServiceError): Session =>
  (call) => {
    for (const event of events) call.write({ event } satisfies SubscribeResponse);
    if (error) setTimeout(() => call.emit('error', error), 10);
  };

/** A test double of the feed service: checks x-api-key, records requests, plays queued sessions. */
function fakeFeed() {
  const state = {
    subscribes: [] as SubscribeRequest[],
    snapshots: [] as SnapshotRequest[],
    sessions: [] as Session[],
    snapshot: [] as SnapshotResponse[],
    snapshotError: undefined as ServiceError | undefined,
    /** Snapshot calls that fail UNAVAILABLE before sending anything. */
    snapshotOutages: 0,
  };
  const authorised = (call: { metadata: { get(key: string): unknown[] } }) => String(call.metadata.get('x-api-key')[0] ?? '') === KEY;
  const unauthenticated = () => serviceError(GrpcStatus.UNAUTHENTICATED, { code: 'API_KEY_INVALID', message: 'unknown API key' });
  const unimplemented = () => serviceError(GrpcStatus.UNIMPLEMENTED, { code: 'UNIMPLEMENTED', message: 'not in this fake' });
  const implementation: FeedServiceServer = {
    subscribe: (call) => {
      if (!authorised(call)) return void call.emit('error', unauthenticated());
      state.subscribes.push(call.request);
      (state.sessions.shift() ?? (() => undefined))(call);
    },
    snapshot: (call: SnapshotCall) => {
      if (!authorised(call)) return void call.emit('error', unauthenticated());
      state.snapshots.push(call.request);
      if (state.snapshotOutages > 0) {
        state.snapshotOutages -= 1;
        return void call.emit('error', serviceError(GrpcStatus.UNAVAILABLE, { code: 'FEED_STARTING', message: 'not ready' }));
      }
      for (const response of state.snapshot) call.write(response);
      if (state.snapshotError) call.emit('error', state.snapshotError);
      else call.end();
    },
    lookup: (_call, callback) => callback(unimplemented()),
    getSubscription: (_call, callback) => callback(unimplemented()),
    setSubscription: (_call, callback) => callback(unimplemented()),
  };
  return { state, implementation };
}

describe('signal-mesh subscribe', () => {
  let server: GrpcServer;
  let fake: ReturnType<typeof fakeFeed>;
  let address: string;
  let dir: string;
  let stateFile: string;

  beforeAll(async () => {
    fake = fakeFeed();
    server = await GrpcServer.start({ host: '127.0.0.1', port: 0, logger: testLogger(), services: [{ name: 'signalmesh.v1.FeedService', definition: FeedServiceService, implementation: fake.implementation }] });
    address = `127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.shutdown(100);
  });
  beforeEach(() => {
    Object.assign(fake.state, { subscribes: [], snapshots: [], sessions: [], snapshot: [], snapshotError: undefined, snapshotOutages: 0 });
    dir = mkdtempSync(join(tmpdir(), 'signal-mesh-subscribe-'));
    stateFile = join(dir, 'state', 'subscribe-state.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const noSignals = () => () => undefined;
  const subscribe = (args: string[], io: Io = fakeIo(), deps: Parameters<typeof run>[2] = {}) =>
    run(['subscribe', '--feed', address, '--state-file', stateFile, ...args], io, { stopSignals: noSignals, feedBackoff: { initialMs: 10, maxMs: 20 }, ...deps });
  const savedCursor = () => (JSON.parse(readFileSync(stateFile, 'utf8')) as { cursor: string }).cursor;

  it('prints one stable JSON line per event, saves the last cursor and stops after --max-events (exit 0)', async () => {
    const events = [upsert(1), retract(2), upsert(3)];
    fake.state.sessions.push(sends(events));
    const io = fakeIo();
    expect(await subscribe(['--max-events', '3'], io)).toBe(0);
    const lines = io.lines();
    expect(lines).toHaveLength(3);
    const [first, second] = events;
    expect(lines[0]).toEqual({
      kind: 'UPSERT',
      signalId: first?.signalId,
      type: 'url',
      canonicalValue: first?.canonicalValue,
      view: first?.view ? Signal.toJSON(first.view) : 'missing',
      retractReason: null,
      cursor: 'cur_1',
      emittedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(lines[1]).toEqual({ kind: 'RETRACT', signalId: second?.signalId, type: 'model-hash', canonicalValue: second?.canonicalValue, view: null, retractReason: 'FILTERED_OUT', cursor: 'cur_2', emittedAt: null });
    // Every line has the same keys, whatever its kind.
    for (const line of lines) expect(Object.keys(line)).toEqual(['kind', 'signalId', 'type', 'canonicalValue', 'view', 'retractReason', 'cursor', 'emittedAt']);
    expect(savedCursor()).toBe('cur_3');
    expect(readdirSync(join(dir, 'state'))).toEqual(['subscribe-state.json']);
    expect(fake.state.subscribes).toEqual([{ cursor: '', filter: undefined }]);
    expect(io.err.join('')).toContain('starting at the live tail');
    expect(io.out.join('') + io.err.join('')).not.toContain(KEY);
  });

  it('resumes from the state file on the next run; --from-cursor overrides it', async () => {
    fake.state.sessions.push(sends([upsert(1), upsert(2)]));
    expect(await subscribe(['--max-events', '2'])).toBe(0);
    fake.state.sessions.push(sends([upsert(3)]));
    const io = fakeIo();
    expect(await subscribe(['--max-events', '1'], io)).toBe(0);
    expect(io.err.join('')).toContain('resuming from the cursor in');
    fake.state.sessions.push(sends([upsert(9)]));
    expect(await subscribe(['--max-events', '1', '--from-cursor', 'cur_7'])).toBe(0);
    expect(fake.state.subscribes.map((r) => r.cursor)).toEqual(['', 'cur_2', 'cur_7']);
    expect(savedCursor()).toBe('cur_9');
  });

  it('never lets the state file get ahead of stdout: each cursor is saved only after its line was written', async () => {
    // Spaced wider than the 100 ms save interval, so saves happen between lines, not only at exit.
    fake.state.sessions.push((call) => {
      [1, 2, 3].forEach((n, i) => setTimeout(() => call.write({ event: upsert(n) }), i * 150));
    });
    const savedWhenPrinted: (string | undefined)[] = [];
    const io = fakeIo({ SIGNAL_MESH_API_KEY: KEY }, () => {
      savedWhenPrinted.push(existsSync(stateFile) ? savedCursor() : undefined);
    });
    expect(await subscribe(['--max-events', '3'], io)).toBe(0);
    expect(io.lines().map((l) => l['cursor'])).toEqual(['cur_1', 'cur_2', 'cur_3']);
    // When cur_n is written, the file holds the previous line's cursor: saved after printing, never before.
    expect(savedWhenPrinted).toEqual([undefined, 'cur_1', 'cur_2']);
    expect(savedCursor()).toBe('cur_3');
  });

  it('sends the filter flags and warns when they differ from the saved cursor', async () => {
    fake.state.sessions.push(sends([upsert(1)]));
    expect(await subscribe(['--max-events', '1', '--types', 'url,model-hash', '--categories', 'service.nudify', '--min-confidence', '60'])).toBe(0);
    expect(fake.state.subscribes[0]?.filter).toEqual({ types: [SignalType.SIGNAL_TYPE_URL, SignalType.SIGNAL_TYPE_MODEL_HASH], categories: ['service.nudify'], minConfidence: 60 });
    fake.state.sessions.push(sends([upsert(2)]));
    const io = fakeIo();
    expect(await subscribe(['--max-events', '1', '--types', 'url'], io)).toBe(0);
    expect(io.err.join('')).toContain('the filter differs');
  });

  it('reconnects after UNAVAILABLE mid-stream, resuming from the last printed cursor', async () => {
    fake.state.sessions.push(sends([upsert(1), upsert(2)], serviceError(GrpcStatus.UNAVAILABLE, { code: 'FEED_DRAINING', message: 'shutting down' })));
    fake.state.sessions.push(sends([], serviceError(GrpcStatus.UNAVAILABLE, { code: 'FEED_DRAINING', message: 'still shutting down' })));
    fake.state.sessions.push(sends([upsert(3), upsert(4)]));
    const io = fakeIo();
    expect(await subscribe(['--max-events', '4'], io)).toBe(0);
    expect(fake.state.subscribes.map((r) => r.cursor)).toEqual(['', 'cur_2', 'cur_2']);
    expect(io.lines().map((l) => l['cursor'])).toEqual(['cur_1', 'cur_2', 'cur_3', 'cur_4']);
    expect(io.err.join('')).toMatch(/FEED_DRAINING \(UNAVAILABLE\): shutting down; reconnecting in \d+\.\ds from the last printed cursor/);
    expect(savedCursor()).toBe('cur_4');
  });

  it('reconnects when the server ends the stream cleanly', async () => {
    fake.state.sessions.push((call) => {
      call.write({ event: upsert(1) });
      call.end();
    });
    fake.state.sessions.push(sends([upsert(2)]));
    expect(await subscribe(['--max-events', '2'])).toBe(0);
    expect(fake.state.subscribes.map((r) => r.cursor)).toEqual(['', 'cur_1']);
  });

  it('on CURSOR_EXPIRED exits 4 telling the user to run with --snapshot, without taking one itself', async () => {
    writeFileSync(join(dir, 'old.json'), JSON.stringify({ version: 1, cursor: 'cur_old', filter: null, savedAt: '' }));
    fake.state.sessions.push(sends([], serviceError(GrpcStatus.FAILED_PRECONDITION, { code: 'CURSOR_EXPIRED', message: 'cursor is older than the retention' })));
    const io = fakeIo();
    expect(await run(['subscribe', '--feed', address, '--state-file', join(dir, 'old.json')], io, { stopSignals: noSignals })).toBe(4);
    expect(io.err.join('')).toContain('Run again with --snapshot');
    expect(io.lines()).toEqual([{ error: { code: 'CURSOR_EXPIRED', message: 'cursor is older than the retention', status: 'FAILED_PRECONDITION' } }]);
    expect(fake.state.snapshots).toHaveLength(0);
    expect(fake.state.subscribes).toHaveLength(1);
    // The expired cursor stays: nothing newer was printed.
    expect(JSON.parse(readFileSync(join(dir, 'old.json'), 'utf8'))).toMatchObject({ cursor: 'cur_old' });
  });

  it('exits 1 on UNAUTHENTICATED / PERMISSION_DENIED (state kept at the last printed cursor) and 2 on INVALID_ARGUMENT, without retrying', async () => {
    const wrong = fakeIo({ SIGNAL_MESH_API_KEY: 'smk_wrong_KEY' });
    expect(await subscribe([], wrong)).toBe(1);
    expect(wrong.lines()).toEqual([{ error: { code: 'API_KEY_INVALID', message: 'unknown API key', status: 'UNAUTHENTICATED' } }]);

    fake.state.sessions.push(sends([upsert(1)], serviceError(GrpcStatus.PERMISSION_DENIED, { code: 'ORGANISATION_SUSPENDED', message: 'organisation suspended' })));
    const denied = fakeIo();
    expect(await subscribe([], denied)).toBe(1);
    expect(denied.lines()[1]).toEqual({ error: { code: 'ORGANISATION_SUSPENDED', message: 'organisation suspended', status: 'PERMISSION_DENIED' } });
    expect(savedCursor()).toBe('cur_1');

    fake.state.sessions.push(sends([], serviceError(GrpcStatus.INVALID_ARGUMENT, { code: 'CURSOR_MALFORMED', message: 'not a cursor', field: 'cursor' })));
    const refused = fakeIo();
    expect(await subscribe(['--from-cursor', 'garbage'], refused)).toBe(2);
    expect(refused.lines()).toEqual([{ error: { code: 'CURSOR_MALFORMED', message: 'not a cursor', status: 'INVALID_ARGUMENT', field: 'cursor' } }]);
    expect(refused.err.join('')).not.toMatch(/at .*\.ts:\d+/);
    expect(fake.state.subscribes).toHaveLength(2);
  });

  it('--snapshot prints the views as SNAPSHOT lines, then SNAPSHOT_END, then follows from its cursor with the same filter', async () => {
    const views = [view(1), view(2)];
    fake.state.snapshot = [...views.map((v) => ({ item: { $case: 'view' as const, value: v } })), { item: { $case: 'end' as const, value: { cursor: 'cur_snap', signalCount: '2' } } }];
    fake.state.sessions.push(sends([upsert(5)]));
    const io = fakeIo();
    expect(await subscribe(['--snapshot', '--types', 'url', '--max-events', '1'], io)).toBe(0);
    const lines = io.lines();
    expect(lines.map((l) => l['kind'])).toEqual(['SNAPSHOT', 'SNAPSHOT', 'SNAPSHOT_END', 'UPSERT']);
    expect(lines[0]).toEqual({ kind: 'SNAPSHOT', signalId: views[0]?.signalId, type: 'url', canonicalValue: views[0]?.canonicalValue, view: views[0] ? Signal.toJSON(views[0]) : 'missing', retractReason: null, cursor: null, emittedAt: null });
    expect(lines[2]).toEqual({ kind: 'SNAPSHOT_END', signalId: null, type: null, canonicalValue: null, view: null, retractReason: null, cursor: 'cur_snap', emittedAt: null, signalCount: 2 });
    const filter = { types: [SignalType.SIGNAL_TYPE_URL], categories: [], minConfidence: 0 };
    expect(fake.state.snapshots).toEqual([{ filter }]);
    expect(fake.state.subscribes).toEqual([{ cursor: 'cur_snap', filter }]);
    expect(savedCursor()).toBe('cur_5');
  });

  it('--snapshot retries a snapshot that failed before its first view, but not one that broke off after views were printed', async () => {
    fake.state.snapshotOutages = 2;
    fake.state.snapshot = [{ item: { $case: 'view', value: view(1) } }, { item: { $case: 'end', value: { cursor: 'cur_snap', signalCount: '1' } } }];
    fake.state.sessions.push(sends([upsert(2)]));
    const io = fakeIo();
    expect(await subscribe(['--snapshot', '--max-events', '1'], io)).toBe(0);
    expect(fake.state.snapshots).toHaveLength(3);
    expect(io.lines().map((l) => l['kind'])).toEqual(['SNAPSHOT', 'SNAPSHOT_END', 'UPSERT']);
    expect(io.err.join('')).toContain('reconnecting in');

    rmSync(stateFile, { force: true });
    fake.state.snapshots = [];
    fake.state.snapshot = [{ item: { $case: 'view', value: view(3) } }];
    fake.state.snapshotError = serviceError(GrpcStatus.UNAVAILABLE, { code: 'FEED_DRAINING', message: 'shutting down' });
    const broken = fakeIo();
    expect(await subscribe(['--snapshot'], broken)).toBe(1);
    expect(fake.state.snapshots).toHaveLength(1);
    expect(broken.lines().at(-1)).toEqual({ error: { code: 'FEED_DRAINING', message: 'shutting down (snapshot interrupted after 1 views; run again with --snapshot)', status: 'UNAVAILABLE' } });
    expect(existsSync(stateFile)).toBe(false);
  });

  it('--snapshot refuses an incomplete snapshot (count mismatch) and keeps the old state', async () => {
    fake.state.snapshot = [{ item: { $case: 'view', value: view(1) } }, { item: { $case: 'end', value: { cursor: 'cur_snap', signalCount: '3' } } }];
    const io = fakeIo();
    expect(await subscribe(['--snapshot'], io)).toBe(1);
    expect(io.lines().at(-1)).toEqual({ error: { code: 'SNAPSHOT_INCOMPLETE', message: expect.stringContaining('3 views announced, 1 received') } });
    expect(existsSync(stateFile)).toBe(false);
    expect(fake.state.subscribes).toHaveLength(0);
  });

  it('SIGINT / SIGTERM cancels the stream, leaves the last printed cursor in the state file and exits 0', async () => {
    let stop: (() => void) | undefined;
    fake.state.sessions.push((call) => {
      call.write({ event: upsert(1) });
      call.write({ event: upsert(2) });
      // Then stays open, as a live tail does.
    });
    const io = fakeIo({ SIGNAL_MESH_API_KEY: KEY }, (line) => {
      if ((JSON.parse(line) as { cursor?: string }).cursor === 'cur_2') setTimeout(() => stop?.(), 5);
    });
    const code = await subscribe([], io, {
      stopSignals: (s) => {
        stop = s;
        return () => (stop = undefined);
      },
    });
    expect(code).toBe(0);
    expect(io.lines().map((l) => l['cursor'])).toEqual(['cur_1', 'cur_2']);
    expect(savedCursor()).toBe('cur_2');
    expect(stop).toBeUndefined();
  });

  it('--idle-exit-ms exits 0 on a quiet feed, and 1 with the coded error when the feed was unreachable', async () => {
    fake.state.sessions.push(sends([upsert(1)]));
    expect(await subscribe(['--idle-exit-ms', '150'])).toBe(0);
    expect(savedCursor()).toBe('cur_1');
    const io = fakeIo();
    expect(await run(['subscribe', '--feed', '127.0.0.1:1', '--state-file', stateFile, '--idle-exit-ms', '150'], io, { stopSignals: noSignals, feedBackoff: { initialMs: 10, maxMs: 20 } })).toBe(1);
    expect(io.lines()).toEqual([{ error: expect.objectContaining({ code: 'FEED_UNAVAILABLE', status: 'UNAVAILABLE' }) }]);
    expect(io.err.join('')).toContain('reconnecting in');
  });

  it('refuses bad usage before connecting: unknown type, confidence out of range, --snapshot with --from-cursor, bad state file', async () => {
    for (const args of [['--types', 'url,domain'], ['--min-confidence', '101'], ['--snapshot', '--from-cursor', 'cur_1'], ['--max-events', '0']]) {
      const io = fakeIo();
      expect(await subscribe(args, io)).toBe(1);
      expect(io.err.join('')).toMatch(/error: /);
    }
    const io = fakeIo();
    writeFileSync(join(dir, 'junk.json'), 'not json');
    expect(await run(['subscribe', '--feed', address, '--state-file', join(dir, 'junk.json')], io, { stopSignals: noSignals })).toBe(1);
    expect(io.lines()).toEqual([{ error: { code: 'STATE_FILE_INVALID', message: expect.stringContaining('junk.json') } }]);
    const noKey = fakeIo({});
    expect(await subscribe([], noKey)).toBe(1);
    expect(noKey.lines()).toEqual([{ error: { code: 'API_KEY_MISSING', message: expect.stringContaining('SIGNAL_MESH_API_KEY') } }]);
    expect(fake.state.subscribes).toHaveLength(0);
  });
});

describe(eventLine.name, () => {
  it('maps an unspecified kind and missing fields to the same shape', () => {
    expect(eventLine({ kind: FeedEventKind.FEED_EVENT_KIND_UNSPECIFIED, orgId: '', signalId: '', signalType: SignalType.SIGNAL_TYPE_UNSPECIFIED, canonicalValue: '', view: undefined, retractReason: 0, cursor: '', emittedAt: undefined })).toEqual({
      kind: 'UNSPECIFIED',
      signalId: null,
      type: 'unspecified',
      canonicalValue: null,
      view: null,
      retractReason: null,
      cursor: null,
      emittedAt: null,
    });
  });
});
