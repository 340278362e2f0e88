import type { ErrorDetail, SubmitResult, SubmitStreamRequest, SubmitStreamResponse } from '@signal-mesh/contracts';

import type { SubmitItem } from './submit-file';
import { typeName } from './submit-request';

/** The client side of IngestService.SubmitStream as this module uses it (a grpc-js ClientDuplexStream fits). */
export interface SubmitStreamCall {
  write(request: SubmitStreamRequest): boolean;
  end(): void;
  cancel(): void;
  pause(): unknown;
  resume(): unknown;
  on(event: 'data', listener: (response: SubmitStreamResponse) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'end' | 'drain', listener: () => void): unknown;
}

/** Where per-item lines go; when write() returns false and it can say when it drained, responses are paused. */
export interface ResultSink {
  write(chunk: string): unknown;
  once?(event: 'drain', listener: () => void): unknown;
}

/** One printed result line: an accepted item's result, or a rejected item's coded error. */
export type ItemResult =
  | { line: number; index?: number; contributionId: string; signalId: string; type: string; canonicalValue: string; replayed: boolean }
  | { line: number; index?: number; error: { code: string; message: string; field?: string } };

export function acceptedJson(result: SubmitResult): { contributionId: string; signalId: string; type: string; canonicalValue: string; replayed: boolean } {
  return { contributionId: result.contributionId, signalId: result.signalId, type: typeName(result.type), canonicalValue: result.canonicalValue, replayed: result.replayed };
}

export function errorJson(detail: ErrorDetail): { code: string; message: string; field?: string } {
  return { code: detail.code || 'UNKNOWN', message: detail.message, ...(detail.field ? { field: detail.field } : {}) };
}

/** Counts of a run, and the one-line summary printed on stderr. */
export class SubmitSummary {
  accepted = 0;
  replayed = 0;
  readonly rejectedByCode = new Map<string, number>();

  get rejected(): number {
    let n = 0;
    for (const count of this.rejectedByCode.values()) n += count;
    return n;
  }

  get items(): number {
    return this.accepted + this.rejected;
  }

  add(result: ItemResult): void {
    if ('error' in result) {
      this.rejectedByCode.set(result.error.code, (this.rejectedByCode.get(result.error.code) ?? 0) + 1);
    } else {
      this.accepted += 1;
      if (result.replayed) this.replayed += 1;
    }
  }

  /** E.g. `5000 items: 4990 accepted (12 replayed), 10 rejected (URL_INVALID 7, CSV_MALFORMED 3)`. */
  text(): string {
    const codes = [...this.rejectedByCode.entries()].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).map(([code, n]) => `${code} ${n}`);
    return `${this.items} item${this.items === 1 ? '' : 's'}: ${this.accepted} accepted (${this.replayed} replayed), ${this.rejected} rejected${codes.length ? ` (${codes.join(', ')})` : ''}`;
  }

  toJSON(): { items: number; accepted: number; replayed: number; rejected: number; rejectedByCode: Record<string, number> } {
    return { items: this.items, accepted: this.accepted, replayed: this.replayed, rejected: this.rejected, rejectedByCode: Object.fromEntries(this.rejectedByCode) };
  }
}

/** Why a run stopped before every item was answered: the stream failed, the file broke, or the service misbehaved. */
export interface StreamFailure {
  error: unknown;
  /** Items sent that got no answer: their outcome is unknown (rerun with the same idempotency keys to find out). */
  unanswered: number;
  /** Line of the first of them. */
  firstUnansweredLine?: number;
}

export interface StreamOptions {
  /** Most items sent but not yet answered (and printed): bounds memory and keeps the service from being flooded. */
  window: number;
  onResult(result: ItemResult, end: number): void;
  sink: ResultSink;
}

export interface StreamOutcome {
  summary: SubmitSummary;
  failure?: StreamFailure;
  /** How often write() said to wait for 'drain' (observability for tests). */
  drainWaits: number;
  sent: number;
}

interface Entry {
  line: number;
  end: number;
  index?: number;
  result?: ItemResult;
}

/**
 * Sends `items` on one SubmitStream call with flow control, and prints each item's result in file order.
 *
 * - gRPC backpressure: after write() returns false nothing more is written until 'drain'.
 * - A window of at most `options.window` unanswered items, so memory stays bounded whatever the file size and a
 *   slow service slows the file read instead of queueing the file in memory.
 * - Output backpressure: while the sink is full, responses are paused (and through HTTP/2 flow control, the service).
 * - Items the CLI could not parse never reach the wire; their error is printed in order with the rest.
 * - Responses must come one per item, in order, echoing client_item_id; anything else stops the run as a failure.
 */
export async function streamItems(call: SubmitStreamCall, items: AsyncIterable<SubmitItem>, options: StreamOptions): Promise<StreamOutcome> {
  const summary = new SubmitSummary();
  const pending: Entry[] = [];
  const awaiting: Entry[] = [];
  let sent = 0;
  let drainWaits = 0;
  let writable = true;
  let failure: unknown;
  let finished = false;
  let sinkFull = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const sleep = () => new Promise<void>((resolve) => (wake = resolve));
  const fail = (err: unknown) => {
    if (failure === undefined) failure = err;
    notify();
  };

  const flush = () => {
    while (pending[0]?.result !== undefined) {
      const entry = pending.shift() as Entry;
      const result = entry.result as ItemResult;
      summary.add(result);
      options.onResult(result, entry.end);
      if (options.sink.write(`${JSON.stringify(result)}\n`) === false && options.sink.once && !sinkFull) {
        sinkFull = true;
        call.pause();
        options.sink.once('drain', () => {
          sinkFull = false;
          call.resume();
        });
      }
    }
    notify();
  };

  call.on('data', (response) => {
    const entry = awaiting.shift();
    if (entry === undefined || response.index !== String(entry.index) || response.clientItemId !== String(entry.line)) {
      const expected = entry ? `index ${entry.index}, client_item_id ${entry.line}` : 'no answer';
      fail(Object.assign(new Error(`ingest answered index ${response.index}, client_item_id "${response.clientItemId}" where ${expected} was due`), { code: 'STREAM_OUT_OF_ORDER' }));
      call.cancel();
      return;
    }
    const outcome = response.outcome;
    if (outcome?.$case === 'accepted') entry.result = { line: entry.line, index: entry.index, ...acceptedJson(outcome.value) };
    else if (outcome?.$case === 'rejected') entry.result = { line: entry.line, index: entry.index, error: errorJson(outcome.value) };
    else entry.result = { line: entry.line, index: entry.index, error: { code: 'OUTCOME_MISSING', message: 'ingest answered without an outcome' } };
    flush();
  });
  call.on('drain', () => {
    writable = true;
    notify();
  });
  call.on('error', fail);
  call.on('end', () => {
    finished = true;
    notify();
  });

  let exhausted = false;
  try {
    for await (const item of items) {
      if (failure !== undefined || finished) break;
      if (item.request === undefined) {
        pending.push({ line: item.line, end: item.end, result: { line: item.line, error: errorJson(item.error ?? { code: 'INVALID_ITEM', message: 'item could not be read', field: '' }) } });
        flush();
        continue;
      }
      while (failure === undefined && !finished && (!writable || pending.length >= options.window)) await sleep();
      if (failure !== undefined || finished) break;
      const entry: Entry = { line: item.line, end: item.end, index: sent };
      pending.push(entry);
      awaiting.push(entry);
      sent += 1;
      if (!call.write(item.request)) {
        writable = false;
        drainWaits += 1;
      }
    }
    exhausted = failure === undefined && !finished;
  } catch (err) {
    // The file broke (unreadable, a line too long): nothing more can be sent, so the call is abandoned.
    fail(err);
    call.cancel();
  }
  if (exhausted) call.end();
  while (failure === undefined && !finished) await sleep();
  if (failure === undefined && (!exhausted || awaiting.length > 0)) {
    const what = exhausted ? `without answering ${awaiting.length} item(s)` : 'before every item was sent';
    failure = Object.assign(new Error(`ingest closed the stream ${what}`), { code: 'STREAM_INCOMPLETE' });
  }
  if (failure === undefined) return { summary, drainWaits, sent };
  // Results already known behind the first unanswered item (rows the CLI refused) are still printed, in order.
  const unanswered = awaiting.length;
  const firstUnansweredLine = awaiting[0]?.line;
  for (const entry of pending) {
    if (entry.result === undefined) continue;
    summary.add(entry.result);
    options.onResult(entry.result, entry.end);
    options.sink.write(`${JSON.stringify(entry.result)}\n`);
  }
  return { summary, drainWaits, sent, failure: { error: failure, unanswered, ...(firstUnansweredLine === undefined ? {} : { firstUnansweredLine }) } };
}
