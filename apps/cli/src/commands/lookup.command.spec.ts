import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

import { type FeedServiceServer, FeedServiceService, HashAlgorithm, type LookupRequest, PatternKind, Signal, SignalType, UrlMatchScope } from '@signal-mesh/contracts';
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

describe('signal-mesh lookup', () => {
  const known = Signal.fromPartial({ signalId: `sig_${randomBytes(16).toString('hex')}`, type: SignalType.SIGNAL_TYPE_URL, canonicalValue: 'https://nudify.example.com/', categories: ['service.nudify'] });
  const requests: LookupRequest[] = [];
  let server: GrpcServer;
  let address: string;

  beforeAll(async () => {
    const unimplemented = () => serviceError(GrpcStatus.UNIMPLEMENTED, { code: 'UNIMPLEMENTED', message: 'not in this fake' });
    const implementation: FeedServiceServer = {
      lookup: (call, callback) => {
        if (String(call.metadata.get('x-api-key')[0] ?? '') !== KEY) return callback(serviceError(GrpcStatus.UNAUTHENTICATED, { code: 'API_KEY_INVALID', message: 'unknown API key' }));
        requests.push(call.request);
        const value = call.request.signal?.value ?? '';
        if (value.startsWith('mailto:')) return callback(serviceError(GrpcStatus.INVALID_ARGUMENT, { code: 'UNSUPPORTED_SCHEME', message: 'only http and https URLs', field: 'signal.value' }));
        if (value.toLowerCase() === 'https://nudify.example.com/') return callback(null, { view: known });
        callback(serviceError(GrpcStatus.NOT_FOUND, { code: 'SIGNAL_NOT_FOUND', message: 'no such signal in your view' }));
      },
      subscribe: (call) => call.emit('error', unimplemented()),
      snapshot: (call) => call.emit('error', unimplemented()),
      getSubscription: (_call, callback) => callback(unimplemented()),
      setSubscription: (_call, callback) => callback(unimplemented()),
    };
    server = await GrpcServer.start({ host: '127.0.0.1', port: 0, logger: testLogger(), services: [{ name: 'signalmesh.v1.FeedService', definition: FeedServiceService, implementation }] });
    address = `127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.shutdown(100);
  });
  beforeEach(() => {
    requests.length = 0;
  });

  const lookup = (args: string[], io = fakeIo()) => run(['lookup', '--feed', address, ...args], io);

  it('sends the value with its type and scope and prints the view (exit 0)', async () => {
    const io = fakeIo();
    expect(await lookup(['--type', 'url', '--scope', 'host', 'HTTPS://Nudify.example.com/'], io)).toBe(0);
    expect(requests).toEqual([{ signal: { type: SignalType.SIGNAL_TYPE_URL, value: 'HTTPS://Nudify.example.com/', urlMatchScope: UrlMatchScope.URL_MATCH_SCOPE_HOST, patternKind: PatternKind.PATTERN_KIND_UNSPECIFIED, hashAlgorithm: HashAlgorithm.HASH_ALGORITHM_UNSPECIFIED } }]);
    expect(io.lines()).toEqual([{ view: Signal.toJSON(known) }]);
    expect(io.out.join('') + io.err.join('')).not.toContain(KEY);
  });

  it('sends the pattern kind for prompt patterns', async () => {
    expect(await lookup(['--type', 'prompt-pattern', '--pattern-kind', 'regex', 'placeholder.*phrase'])).toBe(3);
    expect(requests[0]?.signal).toMatchObject({ type: SignalType.SIGNAL_TYPE_PROMPT_PATTERN, patternKind: PatternKind.PATTERN_KIND_REGEX });
  });

  it('exits 3 on NOT_FOUND, 2 on a refused value, 1 on a refused key or an unreachable feed', async () => {
    const missing = fakeIo();
    expect(await lookup(['--type', 'model-hash', randomBytes(32).toString('hex')], missing)).toBe(3);
    expect(missing.lines()).toEqual([{ error: { code: 'SIGNAL_NOT_FOUND', message: 'no such signal in your view', status: 'NOT_FOUND' } }]);
    const refused = fakeIo();
    expect(await lookup(['--type', 'url', 'mailto:someone@example.com'], refused)).toBe(2);
    expect(refused.lines()).toEqual([{ error: { code: 'UNSUPPORTED_SCHEME', message: 'only http and https URLs', field: 'signal.value', status: 'INVALID_ARGUMENT' } }]);
    const wrongKey = fakeIo({ SIGNAL_MESH_API_KEY: 'smk_wrong_KEY' });
    expect(await lookup(['--type', 'url', 'https://example.com/'], wrongKey)).toBe(1);
    expect(wrongKey.lines()).toEqual([{ error: { code: 'API_KEY_INVALID', message: 'unknown API key', status: 'UNAUTHENTICATED' } }]);
    const down = fakeIo();
    expect(await run(['lookup', '--feed', '127.0.0.1:1', '--type', 'url', 'https://example.com/'], down)).toBe(1);
    expect(down.lines()).toEqual([{ error: expect.objectContaining({ code: 'FEED_UNAVAILABLE', status: 'UNAVAILABLE' }) }]);
  });

  it('takes the address from SIGNAL_MESH_FEED_ADDRESS and refuses a malformed one', async () => {
    expect(await run(['lookup', '--type', 'url', 'https://nudify.example.com/'], fakeIo({ SIGNAL_MESH_API_KEY: KEY, SIGNAL_MESH_FEED_ADDRESS: address }))).toBe(0);
    const bad = fakeIo({ SIGNAL_MESH_API_KEY: KEY, SIGNAL_MESH_FEED_ADDRESS: 'http://nowhere' });
    expect(await run(['lookup', '--type', 'url', 'https://example.com/'], bad)).toBe(1);
    expect(bad.lines()).toEqual([{ error: { code: 'CONFIG_INVALID', message: expect.stringContaining('SIGNAL_MESH_FEED_ADDRESS') } }]);
  });

  it('refuses bad usage before connecting', async () => {
    for (const args of [['https://example.com/'], ['--type', 'domain', 'example.com'], ['--type', 'model-hash', '--scope', 'host', 'ab'], ['--type', 'url', '--pattern-kind', 'regex', 'https://example.com/']]) {
      const io = fakeIo();
      expect(await lookup(args, io)).toBe(1);
      expect(io.err.join('')).toMatch(/error: /);
    }
    const noKey = fakeIo({});
    expect(await lookup(['--type', 'url', 'https://example.com/'], noKey)).toBe(1);
    expect(noKey.lines()).toEqual([{ error: { code: 'API_KEY_MISSING', message: expect.any(String) } }]);
    expect(requests).toHaveLength(0);
  });
});
