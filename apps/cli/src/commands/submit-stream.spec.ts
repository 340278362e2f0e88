import { EventEmitter } from 'node:events';

import { SignalType, type SubmitStreamRequest, type SubmitStreamResponse } from '@signal-mesh/contracts';

import { SubmitFileError } from './submit-csv';
import type { SubmitItem } from './submit-file';
import { type ItemResult, streamItems, type SubmitStreamCall, SubmitSummary } from './submit-stream';

/** A SubmitStream call that buffers `highWater` writes before asking for 'drain', and answers in batches. */
class FakeCall extends EventEmitter implements SubmitStreamCall {
  readonly written: SubmitStreamRequest[] = [];
  answered = 0;
  maxUnanswered = 0;
  writesWhileBlocked = 0;
  drains = 0;
  ended = false;
  cancelled = false;
  pauses = 0;
  private buffered = 0;
  private blocked = false;
  private paused = false;
  private timer: NodeJS.Timeout;

  constructor(
    private readonly highWater: number,
    private readonly answer: (request: SubmitStreamRequest, index: number) => SubmitStreamResponse | 'stop' = accept,
  ) {
    super();
    // The "service" answers everything it has received every few milliseconds, and drains the write buffer.
    this.timer = setInterval(() => this.tick(), 2);
  }

  write(request: SubmitStreamRequest): boolean {
    if (this.blocked) this.writesWhileBlocked += 1;
    this.written.push(request);
    this.maxUnanswered = Math.max(this.maxUnanswered, this.written.length - this.answered);
    this.buffered += 1;
    if (this.buffered < this.highWater) return true;
    this.blocked = true;
    return false;
  }

  end(): void {
    this.ended = true;
  }

  cancel(): void {
    this.cancelled = true;
    this.stop();
    setImmediate(() => this.emit('error', Object.assign(new Error('Cancelled on client'), { code: 'CANCELLED' })));
  }

  pause(): this {
    this.paused = true;
    this.pauses += 1;
    return this;
  }

  resume(): this {
    this.paused = false;
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    if (this.blocked) {
      this.blocked = false;
      this.buffered = 0;
      this.drains += 1;
      this.emit('drain');
    }
    while (!this.paused && this.answered < this.written.length) {
      const index = this.answered;
      const response = this.answer(this.written[index] as SubmitStreamRequest, index);
      if (response === 'stop') {
        this.stop();
        this.emit('error', Object.assign(new Error('14 UNAVAILABLE: connection reset'), { code: 'INGEST_UNAVAILABLE' }));
        return;
      }
      this.answered += 1;
      this.emit('data', response);
    }
    if (this.ended && this.answered === this.written.length) {
      this.stop();
      this.emit('end');
    }
  }
}

function accept(request: SubmitStreamRequest, index: number): SubmitStreamResponse {
  const value = request.contribution?.signal?.value ?? '';
  if (value.startsWith('bad')) return { index: String(index), clientItemId: request.clientItemId, outcome: { $case: 'rejected', value: { code: 'URL_INVALID', message: 'not a URL', field: 'contribution.signal.value' } } };
  return {
    index: String(index),
    clientItemId: request.clientItemId,
    outcome: { $case: 'accepted', value: { contributionId: `ctr_${index}`, signalId: `url_${index}`, type: SignalType.SIGNAL_TYPE_URL, canonicalValue: value, replayed: value.endsWith('/again') } },
  };
}

function request(line: number, value: string): SubmitItem {
  return { line, end: line * 10, request: { clientItemId: String(line), idempotencyKey: '', contribution: { signal: { type: SignalType.SIGNAL_TYPE_URL, value, urlMatchScope: 0, patternKind: 0, hashAlgorithm: 0 }, relatedIdentifiers: [], categories: [], marking: 2, sharingGroupIds: [], namedOrgIds: [], confidence: 0, opinion: 0, evidenceNote: '', externalRefs: [] } } };
}

async function* from(list: SubmitItem[]): AsyncGenerator<SubmitItem> {
  for (const item of list) yield item;
}

function sink() {
  const lines: ItemResult[] = [];
  return { lines, write: (s: string) => lines.push(JSON.parse(s) as ItemResult) };
}

describe(SubmitSummary.name, () => {
  it('counts accepted, replayed and rejected by code, and says so in one line', () => {
    const sut = new SubmitSummary();
    sut.add({ line: 2, contributionId: 'c', signalId: 's', type: 'url', canonicalValue: 'v', replayed: false });
    sut.add({ line: 3, contributionId: 'c', signalId: 's', type: 'url', canonicalValue: 'v', replayed: true });
    for (const code of ['URL_INVALID', 'CSV_MALFORMED', 'URL_INVALID']) sut.add({ line: 4, error: { code, message: 'm' } });
    expect(sut.toJSON()).toEqual({ items: 5, accepted: 2, replayed: 1, rejected: 3, rejectedByCode: { URL_INVALID: 2, CSV_MALFORMED: 1 } });
    expect(sut.text()).toBe('5 items: 2 accepted (1 replayed), 3 rejected (URL_INVALID 2, CSV_MALFORMED 1)');
  });
});

describe(streamItems.name, () => {
  it('sends every item without writing while a drain is awaited, within the window, and prints results in file order', async () => {
    const call = new FakeCall(8);
    const list: SubmitItem[] = [];
    for (let line = 2; line < 2002; line++) {
      if (line % 500 === 0) list.push({ line, end: line * 10, error: { code: 'CSV_MALFORMED', message: 'bad quotes', field: '' } });
      else list.push(request(line, line % 250 === 1 ? `bad-${line}` : `https://example.com/${line}`));
    }
    const out = sink();
    const progress: number[] = [];
    const outcome = await streamItems(call, from(list), { window: 32, sink: out, onResult: (_r, end) => progress.push(end) });
    expect(outcome.failure).toBeUndefined();
    expect(call.writesWhileBlocked).toBe(0);
    expect(outcome.drainWaits).toBeGreaterThan(0);
    expect(call.maxUnanswered).toBeLessThanOrEqual(32);
    expect(call.ended).toBe(true);
    expect(out.lines.map((l) => l.line)).toEqual(list.map((i) => i.line));
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(out.lines.find((l) => l.line === 251)).toEqual({ line: 251, index: expect.any(Number), error: { code: 'URL_INVALID', message: 'not a URL', field: 'contribution.signal.value' } });
    expect(out.lines.find((l) => l.line === 500)).toEqual({ line: 500, error: { code: 'CSV_MALFORMED', message: 'bad quotes' } });
    expect(outcome.summary.toJSON()).toMatchObject({ items: 2000, rejectedByCode: { CSV_MALFORMED: 4, URL_INVALID: 8 } });
    expect(outcome.sent).toBe(1996);
  });

  it('reports a stream that fails part-way, with the items that got no answer, and still prints results it knows', async () => {
    const call = new FakeCall(100, (req, index) => (index === 3 ? 'stop' : accept(req, index)));
    const list = [request(1, 'https://example.com/1'), request(2, 'https://example.com/2'), request(3, 'https://example.com/3'), request(4, 'https://example.com/4'), request(5, 'https://example.com/5'), { line: 6, end: 60, error: { code: 'JSON_INVALID', message: 'x', field: '' } }];
    const out = sink();
    const outcome = await streamItems(call, from(list), { window: 100, sink: out, onResult: () => undefined });
    expect(outcome.failure).toMatchObject({ error: { code: 'INGEST_UNAVAILABLE' }, unanswered: 2, firstUnansweredLine: 4 });
    expect(out.lines.map((l) => l.line)).toEqual([1, 2, 3, 6]);
    expect(outcome.summary.toJSON()).toMatchObject({ accepted: 3, rejected: 1 });
  });

  it('stops when an answer does not match the item due (order or client_item_id)', async () => {
    const call = new FakeCall(100, (req, index) => ({ ...accept(req, index), clientItemId: index === 1 ? '999' : req.clientItemId }));
    const outcome = await streamItems(call, from([request(1, 'https://example.com/1'), request(2, 'https://example.com/2')]), { window: 10, sink: sink(), onResult: () => undefined });
    expect(outcome.failure?.error).toMatchObject({ code: 'STREAM_OUT_OF_ORDER' });
    expect(call.cancelled).toBe(true);
  });

  it('stops, cancelling the call, when the file breaks part-way', async () => {
    const call = new FakeCall(100);
    async function* broken(): AsyncGenerator<SubmitItem> {
      yield request(1, 'https://example.com/1');
      throw new SubmitFileError('LINE_TOO_LONG', 'line 2 is longer than 1048576 characters');
    }
    const outcome = await streamItems(call, broken(), { window: 10, sink: sink(), onResult: () => undefined });
    expect(outcome.failure?.error).toMatchObject({ code: 'LINE_TOO_LONG' });
    expect(call.cancelled).toBe(true);
  });

  it('reports a stream the service closes before answering everything', async () => {
    const call = new FakeCall(100);
    call.stop();
    const run = streamItems(call, from([request(1, 'https://example.com/1')]), { window: 10, sink: sink(), onResult: () => undefined });
    setTimeout(() => call.emit('end'), 5);
    expect((await run).failure?.error).toMatchObject({ code: 'STREAM_INCOMPLETE' });
  });

  it('pauses the responses while the output is full, and resumes on its drain', async () => {
    const call = new FakeCall(100);
    const output = new EventEmitter();
    const lines: string[] = [];
    const full = { write: (s: string) => lines.push(s) !== 3, once: (event: 'drain', listener: () => void) => output.once(event, listener) };
    const run = streamItems(call, from([1, 2, 3, 4, 5].map((n) => request(n, `https://example.com/${n}`))), { window: 10, sink: full, onResult: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(call.pauses).toBe(1);
    expect(lines).toHaveLength(3);
    output.emit('drain');
    const outcome = await run;
    expect(outcome.failure).toBeUndefined();
    expect(lines).toHaveLength(5);
  });
});
