import { EventEmitter } from 'node:events';

import { type ContributionDraft, type IngestServiceServer, SignalType, type SubmitStreamRequest, type SubmitStreamResponse, TlpMarking, UrlMatchScope } from '@signal-mesh/contracts';
import { eventually } from '@signal-mesh/testing';
import { GrpcStatus, Metadata, readErrorDetail, type ServiceError } from '@signal-mesh/transport-grpc';

import type { IngestLimits } from './config';
import { callerOf, newTestApi, silentLogger } from './fakes.fixtures';
import { ingestGrpcService } from './ingest.grpc-service';

/** The slice of a grpc-js duplex call the service uses, recording what it writes. */
class FakeStream extends EventEmitter {
  readonly written: SubmitStreamResponse[] = [];
  readonly metadata = new Metadata();
  ended = false;
  error: ServiceError | undefined;
  paused = false;

  constructor(apiKey?: string) {
    super();
    if (apiKey) this.metadata.set('x-api-key', apiKey);
    this.on('error', (err: ServiceError) => (this.error = err));
  }
  pause() {
    this.paused = true;
    return this;
  }
  resume() {
    this.paused = false;
    return this;
  }
  write(response: SubmitStreamResponse) {
    this.written.push(response);
    return true;
  }
  end() {
    this.ended = true;
  }
}

const draft = (value: string, overrides: Partial<ContributionDraft> = {}): ContributionDraft => ({
  signal: { type: SignalType.SIGNAL_TYPE_URL, value, urlMatchScope: UrlMatchScope.URL_MATCH_SCOPE_EXACT, patternKind: 0, hashAlgorithm: 0 },
  relatedIdentifiers: [],
  categories: ['service.nudify'],
  marking: TlpMarking.TLP_MARKING_GREEN,
  sharingGroupIds: [],
  namedOrgIds: [],
  confidence: 50,
  opinion: 0,
  evidenceNote: '',
  externalRefs: [],
  validUntil: undefined,
  ...overrides,
});

function open(limits: Partial<IngestLimits>, apiKey = callerOf().apiKey) {
  const t = newTestApi(limits);
  const service = ingestGrpcService({ api: () => t.api, logger: silentLogger });
  const stream = new FakeStream(apiKey);
  (service.submitStream as unknown as (call: FakeStream) => void)(stream);
  const send = async (requests: SubmitStreamRequest[]) => {
    // The service starts reading once the caller is authenticated.
    await eventually(async () => (stream.listenerCount('data') > 0 ? true : undefined), { timeoutMs: 2_000, intervalMs: 5 });
    for (const request of requests) stream.emit('data', request);
  };
  return { ...t, stream, send };
}

const outcome = (r: SubmitStreamResponse) => (r.outcome?.$case === 'accepted' ? 'accepted' : r.outcome?.value && 'code' in r.outcome.value ? r.outcome.value.code : '?');

describe('IngestService.SubmitStream', () => {
  it('answers every item once, in request order, in chunks, echoing client ids', async () => {
    const { stream, send, publisher } = open({ chunkItems: 2 });
    await send([
      { contribution: draft('https://a.example.com/'), idempotencyKey: '', clientItemId: 'r1' },
      { contribution: draft('ftp://b.example.com/'), idempotencyKey: '', clientItemId: 'r2' },
      { contribution: draft('https://c.example.com/'), idempotencyKey: 'k-3', clientItemId: 'r3' },
      { contribution: undefined, idempotencyKey: '', clientItemId: 'r4' },
      { contribution: draft('https://e.example.com/', { confidence: 7 }), idempotencyKey: '', clientItemId: 'r5' },
    ]);
    stream.emit('end');
    await eventually(async () => (stream.ended ? true : undefined), { timeoutMs: 2_000, intervalMs: 5 });
    expect(stream.written.map((r) => [r.index, r.clientItemId, outcome(r)])).toEqual([
      ['0', 'r1', 'accepted'],
      ['1', 'r2', 'UNSUPPORTED_SCHEME'],
      ['2', 'r3', 'accepted'],
      ['3', 'r4', 'INVALID_REQUEST'],
      ['4', 'r5', 'accepted'],
    ]);
    expect(stream.written[1].outcome).toMatchObject({ $case: 'rejected', value: { field: 'contribution.signal.value' } });
    expect(publisher.sends.map((s) => s.length)).toEqual([1, 1, 1]);
    expect(stream.error).toBeUndefined();
  });

  it('refuses items past the per-stream limit one by one, without ending the stream early', async () => {
    const { stream, send } = open({ maxBatchItems: 2, chunkItems: 10 });
    await send(Array.from({ length: 4 }, (_, i) => ({ contribution: draft(`https://x${i}.example.com/`), idempotencyKey: '', clientItemId: '' })));
    stream.emit('end');
    await eventually(async () => (stream.ended ? true : undefined), { timeoutMs: 2_000, intervalMs: 5 });
    expect(stream.written.map(outcome)).toEqual(['accepted', 'accepted', 'BATCH_TOO_LARGE', 'BATCH_TOO_LARGE']);
  });

  it('answers a lone item without waiting for more (interactive clients) or for the end of the stream', async () => {
    const { stream, send } = open({ chunkItems: 500 });
    await send([{ contribution: draft('https://a.example.com/'), idempotencyKey: '', clientItemId: '' }]);
    await eventually(async () => (stream.written.length === 1 ? true : undefined), { timeoutMs: 2_000, intervalMs: 5 });
    expect(stream.ended).toBe(false);
    expect(stream.paused).toBe(false);
  });

  it('fails the whole stream with UNAUTHENTICATED when the caller has no valid key, reading nothing', async () => {
    for (const key of ['', 'placeholder-unknown-key']) {
      const { stream } = open({}, key);
      await eventually(async () => stream.error, { timeoutMs: 2_000, intervalMs: 5 });
      expect(stream.error?.code).toBe(GrpcStatus.UNAUTHENTICATED);
      expect(readErrorDetail(stream.error as ServiceError)?.code).toBe(key ? 'API_KEY_INVALID' : 'API_KEY_MISSING');
      expect(stream.listenerCount('data')).toBe(0);
    }
  });

  it('is part of a complete IngestService implementation', () => {
    const service: IngestServiceServer = ingestGrpcService({ api: () => newTestApi().api, logger: silentLogger });
    expect(Object.keys(service).sort()).toEqual(['dispute', 'revoke', 'submit', 'submitStream']);
  });
});
