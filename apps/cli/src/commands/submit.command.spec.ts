import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import {
  type IngestServiceServer,
  IngestServiceService,
  Opinion,
  SignalType,
  type SubmitRequest,
  type SubmitStreamRequest,
  type SubmitStreamResponse,
  TlpMarking,
  UrlMatchScope,
} from '@signal-mesh/contracts';
import { testLogger } from '@signal-mesh/testing';
import { GrpcServer, GrpcStatus, serviceError } from '@signal-mesh/transport-grpc';

import type { CliIo } from '../io';
import { run } from '../main';
import { connectIngest, STREAM_WINDOW, submitErrorOf } from './submit.command';
import { SubmitFileError } from './submit-csv';
import { openSubmitFile } from './submit-file';
import { streamItems } from './submit-stream';

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

/**
 * A fake of our own IngestService: checks x-api-key, refuses values starting with "mailto:" as the domain would,
 * and answers stream items in batches every few milliseconds, recording how many were in flight at most.
 */
function fakeIngest() {
  const state = {
    keys: [] as string[],
    unary: [] as SubmitRequest[],
    streamed: [] as SubmitStreamRequest[],
    maxInFlight: 0,
    /** Milliseconds the service waits before it starts reading a stream. */
    readDelayMs: 0,
  };
  const keyOf = (metadata: { get(key: string): unknown[] }) => String(metadata.get('x-api-key')[0] ?? '');
  const refusal = (value: string) => (value.startsWith('mailto:') ? { code: 'UNSUPPORTED_SCHEME', message: 'only http and https URLs', field: 'contribution.signal.value' } : undefined);
  const result = (value: string, type: SignalType, n: number) => ({ contributionId: `ctr_${n}`, signalId: `sig_${n}`, type, canonicalValue: value.toLowerCase(), replayed: value.includes('replay') });
  const unauthenticated = () => serviceError(GrpcStatus.UNAUTHENTICATED, { code: 'API_KEY_INVALID', message: 'unknown API key' });

  const implementation: IngestServiceServer = {
    submit: (call, callback) => {
      state.keys.push(keyOf(call.metadata));
      if (keyOf(call.metadata) !== KEY) return callback(unauthenticated());
      state.unary.push(call.request);
      const signal = call.request.contribution?.signal;
      const refused = refusal(signal?.value ?? '');
      if (refused) return callback(serviceError(GrpcStatus.INVALID_ARGUMENT, refused));
      if (call.request.contribution?.marking === TlpMarking.TLP_MARKING_AMBER && call.request.contribution.sharingGroupIds.length === 0) {
        return callback(serviceError(GrpcStatus.INVALID_ARGUMENT, { code: 'SHARING_GROUP_REQUIRED', message: 'AMBER needs a sharing group', field: 'contribution.sharing_group_ids' }));
      }
      callback(null, { result: result(signal?.value ?? '', signal?.type ?? SignalType.SIGNAL_TYPE_UNSPECIFIED, state.unary.length) });
    },
    submitStream: (call) => {
      state.keys.push(keyOf(call.metadata));
      if (keyOf(call.metadata) !== KEY) {
        call.emit('error', unauthenticated());
        return;
      }
      let received = 0;
      let answered = 0;
      let ended = false;
      const queue: SubmitStreamResponse[] = [];
      const timer = setInterval(() => {
        for (const response of queue.splice(0)) {
          call.write(response);
          answered += 1;
        }
        if (ended) {
          clearInterval(timer);
          call.end();
        }
      }, 3);
      call.pause();
      setTimeout(() => call.resume(), state.readDelayMs);
      call.on('data', (request: SubmitStreamRequest) => {
        state.streamed.push(request);
        const index = received++;
        state.maxInFlight = Math.max(state.maxInFlight, received - answered);
        const signal = request.contribution?.signal;
        const refused = refusal(signal?.value ?? '');
        queue.push({
          index: String(index),
          clientItemId: request.clientItemId,
          outcome: refused ? { $case: 'rejected', value: refused } : { $case: 'accepted', value: result(signal?.value ?? '', signal?.type ?? 0, index) },
        });
      });
      call.on('end', () => (ended = true));
    },
    revoke: (_call, callback) => callback(serviceError(GrpcStatus.UNIMPLEMENTED, { code: 'UNIMPLEMENTED', message: 'not in this fake' })),
    dispute: (_call, callback) => callback(serviceError(GrpcStatus.UNIMPLEMENTED, { code: 'UNIMPLEMENTED', message: 'not in this fake' })),
  };
  return { state, implementation };
}

describe('signal-mesh submit', () => {
  let server: GrpcServer;
  let fake: ReturnType<typeof fakeIngest>;
  let address: string;
  let dir: string;

  beforeAll(async () => {
    fake = fakeIngest();
    server = await GrpcServer.start({ host: '127.0.0.1', port: 0, logger: testLogger(), services: [{ name: 'signalmesh.v1.IngestService', definition: IngestServiceService, implementation: fake.implementation }] });
    address = `127.0.0.1:${server.port}`;
    dir = mkdtempSync(join(tmpdir(), 'signal-mesh-submit-'));
  });
  afterAll(async () => {
    await server.shutdown(100);
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    Object.assign(fake.state, { keys: [], unary: [], streamed: [], maxInFlight: 0, readDelayMs: 0 });
  });

  const submit = (args: string[], io = fakeIo()) => run(['submit', '--ingest', address, ...args], io);
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  describe('one value', () => {
    it('sends the mapped request with the key as x-api-key and prints the result (exit 0)', async () => {
      const io = fakeIo();
      const code = await submit(
        ['--type', 'url', '--value', 'https://Nudify.example.com/App', '--scope', 'host', '--category', 'service.nudify', '--category', 'service.nudify.app', '--marking', 'amber', '--group', 'grp_1', '--confidence', '90', '--opinion', 'positive', '--valid-until', '2027-01-01T00:00:00Z', '--note', 'placeholder note', '--ref', 'hotline-case:7:https://example.com/cases/7', '--idempotency-key', 'k-1'],
        io,
      );
      expect(code).toBe(0);
      expect(fake.state.keys).toEqual([KEY]);
      expect(fake.state.unary).toEqual([
        {
          idempotencyKey: 'k-1',
          contribution: {
            signal: { type: SignalType.SIGNAL_TYPE_URL, value: 'https://Nudify.example.com/App', urlMatchScope: UrlMatchScope.URL_MATCH_SCOPE_HOST, patternKind: 0, hashAlgorithm: 0 },
            relatedIdentifiers: [],
            categories: ['service.nudify', 'service.nudify.app'],
            marking: TlpMarking.TLP_MARKING_AMBER,
            sharingGroupIds: ['grp_1'],
            namedOrgIds: [],
            confidence: 90,
            opinion: Opinion.OPINION_POSITIVE,
            validUntil: new Date('2027-01-01T00:00:00Z'),
            evidenceNote: 'placeholder note',
            externalRefs: [{ system: 'hotline-case', id: '7', url: 'https://example.com/cases/7' }],
          },
        },
      ]);
      expect(io.lines()).toEqual([{ contributionId: 'ctr_1', signalId: 'sig_1', type: 'url', canonicalValue: 'https://nudify.example.com/app', replayed: false }]);
      expect(io.out.join('') + io.err.join('')).not.toContain(KEY);
    });

    it('prints the coded error with its field and exits 2 when the service rejects the contribution', async () => {
      const io = fakeIo();
      expect(await submit(['--type', 'url', '--value', 'mailto:someone@example.com', '--category', 'service.nudify', '--marking', 'green'], io)).toBe(2);
      expect(io.lines()).toEqual([{ error: { code: 'UNSUPPORTED_SCHEME', message: 'only http and https URLs', field: 'contribution.signal.value', status: 'INVALID_ARGUMENT' } }]);
      expect(io.err.join('')).not.toMatch(/at .*\.ts:\d+/);
    });

    it('exits 1 with the code when the key is refused', async () => {
      const io = fakeIo({ SIGNAL_MESH_API_KEY: 'smk_wrong_KEY' });
      expect(await submit(['--type', 'url', '--value', 'https://example.com/', '--category', 'service.nudify', '--marking', 'green'], io)).toBe(1);
      expect(io.lines()).toEqual([{ error: { code: 'API_KEY_INVALID', message: 'unknown API key', status: 'UNAUTHENTICATED' } }]);
    });

    it('reads the key from --key-file, and exits 1 with API_KEY_MISSING, unconnected, when there is none', async () => {
      const keyFile = file('key', `${KEY}\n`);
      expect(await submit(['--key-file', keyFile, '--type', 'model-hash', '--value', 'ab'.repeat(32), '--category', 'model.2c', '--marking', 'red', '--org', 'org_1'], fakeIo({}))).toBe(0);
      const io = fakeIo({});
      expect(await submit(['--type', 'url', '--value', 'https://example.com/', '--category', 'c', '--marking', 'green'], io)).toBe(1);
      expect(io.lines()).toEqual([{ error: { code: 'API_KEY_MISSING', message: expect.stringContaining('SIGNAL_MESH_API_KEY') } }]);
      expect(fake.state.keys).toEqual([KEY]);
    });

    it('exits 1 with INGEST_UNAVAILABLE when nothing listens', async () => {
      const io = fakeIo();
      expect(await run(['submit', '--ingest', '127.0.0.1:1', '--type', 'url', '--value', 'https://example.com/', '--category', 'c', '--marking', 'green'], io)).toBe(1);
      expect(io.lines()).toEqual([{ error: expect.objectContaining({ code: 'INGEST_UNAVAILABLE', status: 'UNAVAILABLE' }) }]);
    });

    it('refuses incomplete or contradictory usage with help, before connecting', async () => {
      for (const args of [
        ['--type', 'url', '--value', 'https://example.com/', '--category', 'c'],
        ['--type', 'url', '--value', 'https://example.com/', '--category', 'c', '--marking', 'white'],
        ['--type', 'url', '--value', 'https://example.com/', '--category', 'c', '--marking', 'green', '--confidence', '101'],
        ['--file', 'x.csv', '--value', 'https://example.com/'],
        ['--type', 'url', '--value', 'https://example.com/', '--category', 'c', '--marking', 'green', '--idempotency-prefix', 'p'],
      ]) {
        const io = fakeIo();
        expect(await submit(args, io)).toBe(1);
        expect(io.err.join('')).toContain('Usage: signal-mesh submit');
      }
      expect(fake.state.keys).toEqual([]);
    });
  });

  describe('a file', () => {
    const HEADER = 'type,value,scope,kind,categories,marking,sharing_groups,named_orgs,confidence,opinion,valid_until,evidence_note,idempotency_key';

    it('streams 5,000 CSV rows within the window, prints per-item results in order and a summary, and exits 2 on a rejection', async () => {
      const rows = [HEADER];
      for (let i = 0; i < 5000; i++) {
        const line = i + 2;
        if (line === 1234) rows.push('url,mailto:someone@example.com,,,service.nudify,green,,,,,,,');
        else if (line === 4321) rows.push('url,https://example.com/x,,,service.nudify,purple,,,,,,,');
        else rows.push(`model-hash,${randomBytes(32).toString('hex')},,,model.2c,green,,,80,,,"note ${i}, synthetic",`);
      }
      const path = file('bulk.csv', `${rows.join('\r\n')}\r\n`);
      fake.state.readDelayMs = 50;
      const io = fakeIo();
      expect(await submit(['--file', path, '--idempotency-prefix', 'bulk-1'], io)).toBe(2);

      const results = io.lines();
      expect(results).toHaveLength(5000);
      expect(results.map((r) => r['line'])).toEqual(Array.from({ length: 5000 }, (_, i) => i + 2));
      expect(results.find((r) => r['line'] === 1234)).toEqual({ line: 1234, index: 1232, error: { code: 'UNSUPPORTED_SCHEME', message: 'only http and https URLs', field: 'contribution.signal.value' } });
      expect(results.find((r) => r['line'] === 4321)).toEqual({ line: 4321, error: { code: 'INVALID_MARKING', message: expect.any(String), field: 'contribution.marking' } });
      expect(results[0]).toEqual({ line: 2, index: 0, contributionId: 'ctr_0', signalId: 'sig_0', type: 'model-hash', canonicalValue: expect.stringMatching(/^[0-9a-f]{64}$/), replayed: false });

      // The row the CLI refused never went on the wire; the others did, in order, keyed by line.
      expect(fake.state.streamed).toHaveLength(4999);
      expect(fake.state.streamed.slice(0, 2).map((r) => [r.clientItemId, r.idempotencyKey])).toEqual([
        ['2', 'bulk-1:2'],
        ['3', 'bulk-1:3'],
      ]);
      expect(fake.state.streamed.map((r) => Number(r.clientItemId))).toEqual(Array.from({ length: 5000 }, (_, i) => i + 2).filter((l) => l !== 4321));
      expect(fake.state.maxInFlight).toBeLessThanOrEqual(STREAM_WINDOW);
      expect(io.err.join('')).toContain('signal-mesh: submit: 5000 items: 4998 accepted (0 replayed), 2 rejected (INVALID_MARKING 1, UNSUPPORTED_SCHEME 1)');
    });

    it('writes results to --out, exits 0 when all are accepted, and counts replays (JSON lines)', async () => {
      const path = file('few.jsonl', ['{"type":"url","value":"https://a.example.com/","categories":"service.nudify","marking":"green"}', '{"type":"url","value":"https://b.example.com/replay","categories":["service.nudify"],"marking":"green"}'].join('\n'));
      const out = join(dir, 'results.jsonl');
      const io = fakeIo();
      expect(await submit(['--file', path, '--out', out], io)).toBe(0);
      expect(io.out).toEqual([]);
      expect(
        readFileSync(out, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      ).toMatchObject([{ line: 1, canonicalValue: 'https://a.example.com/' }, { line: 2, replayed: true }]);
      expect(io.err.join('')).toContain('2 items: 2 accepted (1 replayed), 0 rejected');
    });

    it('exits 1 when the stream is refused for the key, and prints the code', async () => {
      const path = file('auth.csv', 'type,value\nurl,https://example.com/\n');
      const io = fakeIo({ SIGNAL_MESH_API_KEY: 'smk_wrong_KEY' });
      expect(await submit(['--file', path], io)).toBe(1);
      expect(io.lines()).toEqual([{ error: { code: 'API_KEY_INVALID', message: 'unknown API key', status: 'UNAUTHENTICATED' } }]);
      expect(io.err.join('')).toContain('stopped: API_KEY_INVALID');
    });

    it('exits 1 before connecting when the file cannot be used (missing, bad header, unknown format)', async () => {
      for (const [args, code] of [
        [['--file', join(dir, 'missing.csv')], 'FILE_UNREADABLE'],
        [['--file', file('bad-header.csv', 'type,value,colour\n')], 'CSV_HEADER_INVALID'],
        [['--file', file('data.txt', 'x\n')], 'FILE_FORMAT_UNKNOWN'],
      ] as const) {
        const io = fakeIo();
        expect(await submit([...args], io)).toBe(1);
        expect(io.lines()).toEqual([{ error: expect.objectContaining({ code }) }]);
      }
      expect(fake.state.keys).toEqual([]);
    });
  });

  it('reads the file no further ahead than the window while gRPC flow control holds the stream, and delivers every item in order', async () => {
    // ~2 KiB per item: the window (256 items) is larger than the HTTP/2 window, so write() must report backpressure.
    const note = 'placeholder evidence note '.repeat(80);
    let produced = 0;
    let answered = 0;
    let maxAhead = 0;
    async function* source() {
      yield 'type,value,marking,evidence_note\n';
      for (let i = 0; i < 5000; i++) {
        produced += 1;
        maxAhead = Math.max(maxAhead, produced - answered);
        yield `url,https://example.com/${i},green,${note}\n`;
      }
    }
    fake.state.readDelayMs = 100;
    const client = connectIngest(address, KEY);
    try {
      const lines: number[] = [];
      const sink = {
        write: (s: string) => {
          answered += 1;
          return lines.push((JSON.parse(s) as { line: number }).line);
        },
      };
      const outcome = await streamItems(client.submitStream(), await openSubmitFile(source(), 'csv'), { window: STREAM_WINDOW, sink, onResult: () => undefined });
      expect(outcome.failure).toBeUndefined();
      expect(outcome.drainWaits).toBeGreaterThan(0);
      expect(lines).toEqual(Array.from({ length: 5000 }, (_, i) => i + 2));
      // Memory stays bounded: the file is read at most a window (plus the row being parsed) ahead of the answers.
      expect(maxAhead).toBeLessThanOrEqual(STREAM_WINDOW + 2);
      expect(fake.state.maxInFlight).toBeLessThanOrEqual(STREAM_WINDOW);
    } finally {
      client.close();
    }
  });
});

describe(submitErrorOf.name, () => {
  it('treats key problems as failures even with PERMISSION_DENIED, and entitlement refusals as rejections', () => {
    expect(submitErrorOf(serviceError(GrpcStatus.PERMISSION_DENIED, { code: 'API_KEY_WRONG_SCOPE', message: 'needs contribute' }))).toMatchObject({ code: 'API_KEY_WRONG_SCOPE', rejected: false });
    expect(submitErrorOf(serviceError(GrpcStatus.PERMISSION_DENIED, { code: 'NOT_ENTITLED', message: 'not entitled to url' }))).toMatchObject({ code: 'NOT_ENTITLED', rejected: true });
    expect(submitErrorOf(serviceError(GrpcStatus.ALREADY_EXISTS, { code: 'IDEMPOTENCY_CONFLICT', message: 'key reused with another body' }))).toMatchObject({ rejected: true, status: 'ALREADY_EXISTS' });
    expect(submitErrorOf(serviceError(GrpcStatus.INTERNAL, { code: 'INTERNAL', message: 'internal error' }))).toMatchObject({ rejected: false });
    expect(submitErrorOf(new SubmitFileError('LINE_TOO_LONG', 'too long'))).toEqual({ code: 'LINE_TOO_LONG', message: 'too long', rejected: false });
  });
});
