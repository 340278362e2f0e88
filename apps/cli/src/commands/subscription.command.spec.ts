import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { type FeedServiceServer, FeedServiceService, type SetSubscriptionRequest, SignalType, type Subscription } from '@signal-mesh/contracts';
import { testLogger } from '@signal-mesh/testing';
import { GrpcServer, GrpcStatus, serviceError } from '@signal-mesh/transport-grpc';

import type { CliIo } from '../io';
import { run } from '../main';

const KEY = `smk_${randomBytes(6).toString('hex')}_SECRET`;

function fakeIo(env: Record<string, string | undefined> = { SIGNAL_MESH_API_KEY: KEY }): CliIo & { out: string[]; err: string[]; lines(): Record<string, unknown>[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    stdin: Readable.from(['']),
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    env,
    out,
    err,
    lines: () => out.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('signal-mesh subscription', () => {
  const sets: SetSubscriptionRequest[] = [];
  let stored: Subscription | undefined;
  let server: GrpcServer;
  let address: string;
  const at = new Date('2026-02-03T04:05:06Z');

  beforeAll(async () => {
    const unimplemented = () => serviceError(GrpcStatus.UNIMPLEMENTED, { code: 'UNIMPLEMENTED', message: 'not in this fake' });
    const authorised = (call: { metadata: { get(key: string): unknown[] } }) => String(call.metadata.get('x-api-key')[0] ?? '') === KEY;
    const implementation: FeedServiceServer = {
      getSubscription: (call, callback) => {
        if (!authorised(call)) return callback(serviceError(GrpcStatus.UNAUTHENTICATED, { code: 'API_KEY_INVALID', message: 'unknown API key' }));
        if (stored === undefined) return callback(serviceError(GrpcStatus.NOT_FOUND, { code: 'SUBSCRIPTION_NOT_FOUND', message: 'no subscription stored' }));
        callback(null, { subscription: stored });
      },
      setSubscription: (call, callback) => {
        if (!authorised(call)) return callback(serviceError(GrpcStatus.UNAUTHENTICATED, { code: 'API_KEY_INVALID', message: 'unknown API key' }));
        sets.push(call.request);
        const filter = call.request.filter;
        if (filter?.categories.includes('no.such')) return callback(serviceError(GrpcStatus.INVALID_ARGUMENT, { code: 'UNKNOWN_CATEGORY', message: 'unknown category no.such', field: 'filter.categories' }));
        const empty = filter === undefined || (filter.types.length === 0 && filter.categories.length === 0 && filter.minConfidence === 0);
        stored = empty ? undefined : { filter, updatedAt: at };
        callback(null, { subscription: stored ?? { filter: undefined, updatedAt: at } });
      },
      lookup: (_call, callback) => callback(unimplemented()),
      subscribe: (call) => call.emit('error', unimplemented()),
      snapshot: (call) => call.emit('error', unimplemented()),
    };
    server = await GrpcServer.start({ host: '127.0.0.1', port: 0, logger: testLogger(), services: [{ name: 'signalmesh.v1.FeedService', definition: FeedServiceService, implementation }] });
    address = `127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.shutdown(100);
  });
  beforeEach(() => {
    sets.length = 0;
    stored = undefined;
  });

  const subscription = (args: string[], io = fakeIo()) => run(['subscription', '--feed', address, ...args], io);

  it('set replaces the filter and prints it; get prints it back (exit 0)', async () => {
    const io = fakeIo();
    expect(await subscription(['set', '--types', 'url,model-hash', '--categories', 'service.nudify', '--min-confidence', '50'], io)).toBe(0);
    expect(sets).toEqual([{ filter: { types: [SignalType.SIGNAL_TYPE_URL, SignalType.SIGNAL_TYPE_MODEL_HASH], categories: ['service.nudify'], minConfidence: 50 } }]);
    const printed = { subscription: { filter: { types: ['url', 'model-hash'], categories: ['service.nudify'], minConfidence: 50 }, updatedAt: '2026-02-03T04:05:06.000Z' } };
    expect(io.lines()).toEqual([printed]);
    const got = fakeIo();
    expect(await subscription(['get'], got)).toBe(0);
    expect(got.lines()).toEqual([printed]);
  });

  it('clear sends an empty filter; get then exits 3 with the NOT_FOUND code', async () => {
    expect(await subscription(['set', '--min-confidence', '10'])).toBe(0);
    const io = fakeIo();
    expect(await subscription(['clear'], io)).toBe(0);
    expect(sets.at(-1)).toEqual({ filter: { types: [], categories: [], minConfidence: 0 } });
    expect(io.lines()).toEqual([{ subscription: { filter: { types: [], categories: [], minConfidence: 0 }, updatedAt: '2026-02-03T04:05:06.000Z' } }]);
    const got = fakeIo();
    expect(await subscription(['get'], got)).toBe(3);
    expect(got.lines()).toEqual([{ error: { code: 'SUBSCRIPTION_NOT_FOUND', message: 'no subscription stored', status: 'NOT_FOUND' } }]);
  });

  it('exits 2 when the service refuses the filter, 1 when the key is refused', async () => {
    const refused = fakeIo();
    expect(await subscription(['set', '--categories', 'no.such'], refused)).toBe(2);
    expect(refused.lines()).toEqual([{ error: { code: 'UNKNOWN_CATEGORY', message: 'unknown category no.such', field: 'filter.categories', status: 'INVALID_ARGUMENT' } }]);
    const wrong = fakeIo({ SIGNAL_MESH_API_KEY: 'smk_wrong_KEY' });
    expect(await subscription(['get'], wrong)).toBe(1);
    expect(wrong.lines()).toEqual([{ error: { code: 'API_KEY_INVALID', message: 'unknown API key', status: 'UNAUTHENTICATED' } }]);
  });

  it('reads the key from --key-file (given before or after the subcommand)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signal-mesh-subscription-'));
    try {
      const keyFile = join(dir, 'key');
      writeFileSync(keyFile, `${KEY}\n`);
      expect(await run(['subscription', '--feed', address, '--key-file', keyFile, 'set', '--types', 'url'], fakeIo({}))).toBe(0);
      expect(await run(['subscription', 'get', '--feed', address, '--key-file', keyFile], fakeIo({}))).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validates the filter flags client-side and refuses set without any, before connecting', async () => {
    for (const args of [['set'], ['set', '--types', 'domain'], ['set', '--min-confidence', '-5'], ['set', '--min-confidence', '100.5'], ['set', '--categories', ',']]) {
      const io = fakeIo();
      expect(await subscription(args, io)).toBe(1);
      expect(io.err.join('')).toMatch(/error: /);
    }
    expect(sets).toHaveLength(0);
  });
});
