import { type Context, context, type Link, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Signal } from '@signal-mesh/contracts';
import { feedEventFromChange } from '@signal-mesh/feeds-event-mapping';
import { decodeState, recordFromStateEvent } from '@signal-mesh/signals-event-mapping';
import { type BatchResults, type ConsumedRecord, PermanentError, type RecordHeaders } from '@signal-mesh/transport-kafka';
import { type Organisation, type SignalState, type TrustContext, type TrustSnapshot, type ViewChange, viewChanges, viewOf, viewsDiffer } from '@signal-mesh/trust-domain';
import { signalStateFromRecord } from '@signal-mesh/trust-event-mapping';
import { trustChangeFromRecord } from '@signal-mesh/trust-follower';
import type { Logger } from '@signal-mesh/util-logging';
import { extractTraceContext } from '@signal-mesh/util-otel';

import type { FanoutState, FanoutStore, FeedRecord, FeedSink } from './ports';
import { createFanoutMetrics, EventCounts, type FanoutMetrics, latestRevocationSeen, signalIdAttributes, tracer } from './telemetry';

/** Record values as the consumer hands them over: decoding depends on the topic, so it happens here. */
export type RawValue = Buffer | null;

export interface FanoutProcessorDeps {
  /** The trust snapshot as of the trust records already processed; this processor is its only writer. */
  snapshot: TrustSnapshot;
  store: FanoutStore;
  sink: FeedSink;
  topics: { readonly state: string; readonly trust: string };
  clock: () => Date;
  logger: Logger;
  /** Stored states per page when a trust change is re-evaluated. */
  reevaluateBatch: number;
  /** Default: instruments of the global MeterProvider. */
  metrics?: FanoutMetrics;
}

/** A state as the views need it: the trust domain's input, the proto Signal (for the feed event) and the bytes. */
interface ParsedState {
  readonly signalId: string;
  readonly version: bigint;
  readonly stored: FanoutState;
  readonly trust: SignalState;
  readonly signal: Signal;
  readonly emittedAt: Date | undefined;
}

interface Transition {
  readonly previous: ParsedState | undefined;
  readonly next: ParsedState;
  readonly headers?: RecordHeaders;
}

export interface FanoutStats {
  states: number;
  stale: number;
  invalid: number;
  trustChanges: number;
  reevaluated: number;
  events: number;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Decodes a state-topic value; throws EventMappingError (UNDECODABLE / INVALID_STATE) for a poison record. */
export function parseState(bytes: Uint8Array): ParsedState {
  const event = decodeState(bytes);
  const record = recordFromStateEvent(event);
  // recordFromStateEvent has checked that the signal is there; this only narrows the type.
  if (!event.signal) throw new PermanentError('INVALID_STATE', 'state event without a signal');
  return {
    signalId: record.signalId,
    version: BigInt(event.version),
    stored: { signalId: record.signalId, version: event.version, state: bytes },
    trust: signalStateFromRecord(record),
    signal: event.signal,
    emittedAt: event.emittedAt,
  };
}

/**
 * The fan-out, outside any framework. One instance handles every partition of both topics, one chunk at a time
 * (the trust snapshot and the stored states are shared by all of them).
 *
 * - **State chunk**: the newest state per signal in the chunk; states not newer than the stored one are skipped
 *   (re-published or out of order). For the rest: record them in flight, compute each organisation's view change
 *   (previous stored state → new state, one trust context), produce the feed events, save the new states, clear the
 *   in-flight record. Then the consumer commits.
 * - **Trust chunk**: apply the changes to the snapshot; for the organisations they affect, re-evaluate every stored
 *   state under the context before and after, and produce the differences page by page.
 *
 * Why "in flight": a crash after producing and before saving would otherwise redeliver the chunk from the last
 * commit, possibly cut at another place, and emit an older state's views after a newer one's. `recover()` (at boot,
 * before consuming) re-emits the interrupted chunk's events and saves its states, so the redelivered records are all
 * "not newer" and skipped: events are at least once (identical duplicates; clients replace views), never reordered.
 */
export class FanoutProcessor {
  private readonly metrics: FanoutMetrics;

  constructor(private readonly deps: FanoutProcessorDeps) {
    this.metrics = deps.metrics ?? createFanoutMetrics();
  }

  /** Finishes a chunk interrupted by a crash (see the class comment). Call once before consuming. */
  async recover(): Promise<number> {
    const inFlight = await this.deps.store.inFlight();
    if (inFlight.length === 0) return 0;
    const stored = await this.deps.store.findMany(inFlight.map((s) => s.signalId));
    const transitions: Transition[] = [];
    for (const state of inFlight) {
      const previous = stored.get(state.signalId);
      if (previous && BigInt(previous.version) >= BigInt(state.version)) continue;
      // Both were decoded before they were written: a failure here is a bug or corruption, so it stops the boot.
      transitions.push({ previous: previous ? parseState(previous.state) : undefined, next: parseState(state.state) });
    }
    const events = await this.emit(transitions);
    await this.deps.store.clearInFlight(inFlight.map((s) => s.signalId));
    this.deps.logger.info({ inFlight: inFlight.length, recovered: transitions.length, events }, 'finished the chunk interrupted by the last stop');
    return transitions.length;
  }

  /** The consumer's batch handler: one result per record, in order. */
  async handleBatch(records: readonly ConsumedRecord<RawValue>[]): Promise<BatchResults> {
    return (await this.processChunk(records)).results;
  }

  async processChunk(records: readonly ConsumedRecord<RawValue>[]): Promise<{ results: BatchResults; stats: FanoutStats }> {
    const results: (PermanentError | undefined)[] = records.map(() => undefined);
    const stats: FanoutStats = { states: 0, stale: 0, invalid: 0, trustChanges: 0, reevaluated: 0, events: 0 };
    // A chunk is one partition of one topic; runs keep the offset order should a caller ever mix them.
    for (let start = 0; start < records.length; ) {
      const topic = records[start]?.topic;
      let end = start;
      while (end < records.length && records[end]?.topic === topic) end++;
      const run = records.slice(start, end);
      if (topic === this.deps.topics.state) await this.handleStates(run, start, results, stats);
      else if (topic === this.deps.topics.trust) await this.handleTrust(run, stats);
      else for (let i = start; i < end; i++) results[i] = new PermanentError('UNKNOWN_TOPIC', `the fan-out does not consume ${topic}`);
      start = end;
    }
    trace.getActiveSpan()?.setAttributes({ 'signal_mesh.fanout.events': stats.events, 'signal_mesh.fanout.stale': stats.stale, 'signal_mesh.fanout.trust_changes': stats.trustChanges });
    this.deps.logger.debug({ stats }, 'chunk fanned out');
    return { results, stats };
  }

  private async handleStates(run: readonly ConsumedRecord<RawValue>[], offset: number, results: (PermanentError | undefined)[], stats: FanoutStats): Promise<void> {
    const newest = new Map<string, { state: ParsedState; headers: RecordHeaders }>();
    run.forEach((record, i) => {
      let state: ParsedState;
      try {
        state = parseState(record.value ?? Buffer.alloc(0));
      } catch (err) {
        // Decoding is pure: retrying cannot fix it.
        const code = (err as { code?: unknown }).code;
        results[offset + i] = new PermanentError(typeof code === 'string' ? code : 'INVALID_STATE', (err as Error).message, { cause: err });
        stats.invalid += 1;
        return;
      }
      stats.states += 1;
      const seen = newest.get(state.signalId);
      // Views replace each other: only the newest state of the chunk is fanned out.
      if (!seen || seen.state.version < state.version) newest.set(state.signalId, { state, headers: record.headers });
    });
    if (newest.size === 0) return;
    // The consumer's chunk span (it links every state record): which signals this chunk was about.
    trace.getActiveSpan()?.setAttributes(signalIdAttributes(newest.keys()));
    const stored = await this.deps.store.findMany([...newest.keys()]);
    const transitions: Transition[] = [];
    for (const [signalId, { state, headers }] of newest) {
      const previous = stored.get(signalId);
      if (previous && BigInt(previous.version) >= state.version) {
        stats.stale += 1;
        continue;
      }
      transitions.push({ previous: previous ? parseState(previous.state) : undefined, next: state, headers });
    }
    if (transitions.length === 0) return;
    await this.deps.store.recordInFlight(transitions.map((t) => t.next.stored));
    stats.events += await this.emit(transitions);
    await this.deps.store.clearInFlight(transitions.map((t) => t.next.signalId));
  }

  /**
   * Produces each transition's view changes, then saves the new states. Each transition gets a `fanout evaluate` span,
   * child of its state record's trace (dedup's merge span) and linked to the chunk's span; its feed records carry
   * that span's context, so the feed's deliveries continue the submission's trace.
   */
  private async emit(transitions: readonly Transition[]): Promise<number> {
    if (transitions.length === 0) return 0;
    const now = this.deps.clock();
    const ctx = this.deps.snapshot.context(now);
    const orgs = this.deps.snapshot.organisations();
    let orgById: Map<string, Organisation> | undefined;
    const chunkSpan = trace.getActiveSpan();
    const links: Link[] = chunkSpan ? [{ context: chunkSpan.spanContext() }] : [];
    const counts = new EventCounts();
    const revokedAt: number[] = [];
    const spans: Span[] = [];
    const out: FeedRecord[] = [];
    for (const { previous, next, headers } of transitions) {
      const parent: Context = headers ? extractTraceContext(headers, ROOT_CONTEXT) : context.active();
      const span = tracer.startSpan('fanout evaluate', { kind: SpanKind.INTERNAL, links, attributes: { 'signal_mesh.signal_id': next.signalId, 'signal_mesh.state.version': next.version.toString() } }, parent);
      spans.push(span);
      const traceContext = trace.setSpan(parent, span);
      // The previous views as they were when that state was fanned out (about when it was emitted): under `now`, a
      // contribution that expired since would be missing from both sides, and nobody would be told it expired.
      const then = previous?.emittedAt && previous.emittedAt.getTime() < now.getTime() ? this.deps.snapshot.context(previous.emittedAt) : ctx;
      let events = 0;
      for (const change of viewChanges(orgs, { state: previous?.trust, ctx: then }, { state: next.trust, ctx })) {
        out.push({ event: feedEventFromChange(change, next.signal, now), traceContext });
        counts.add(change);
        events++;
        if (change.kind === 'RETRACT' && change.reason === 'REVOKED') {
          orgById ??= new Map(orgs.map((o) => [o.orgId, o]));
          const at = latestRevocationSeen(orgById.get(change.orgId), previous?.trust, then, next.trust);
          if (at !== undefined) revokedAt.push(at);
        }
      }
      span.setAttribute('signal_mesh.fanout.events', events);
    }
    try {
      await this.deps.sink.publish(out);
    } catch (err) {
      for (const span of spans) span.setStatus({ code: SpanStatusCode.ERROR, message: 'feed events not published' });
      throw err;
    } finally {
      for (const span of spans) span.end();
    }
    // Measured once the events are durable (a retried chunk records on the attempt that produced them).
    counts.record(this.metrics);
    const durableAt = this.deps.clock().getTime();
    for (const at of revokedAt) this.metrics.revokeToRetract.record(Math.max(0, durableAt - at));
    // A crash here (events durable, states not saved) is finished by recover() at the next start, which re-emits the
    // same events: at least once, and harmless, since clients replace views.
    await this.deps.store.saveMany(transitions.map((t) => t.next.stored));
    return out.length;
  }

  private async handleTrust(run: readonly ConsumedRecord<RawValue>[], stats: FanoutStats): Promise<void> {
    const { snapshot, logger } = this.deps;
    const now = this.deps.clock();
    // Changes of one chunk are re-evaluated together: the views before the first and after the last, for the union
    // of the organisations they affect. Every other organisation's views are equal under both contexts.
    const before = snapshot.context(now);
    const orgsBefore = snapshot.organisations();
    const affected = new Set<string>();
    let all = false;
    let headers: RecordHeaders | undefined;
    for (const record of run) {
      // Tombstones (compaction) and records this version cannot read are skipped with a warning, never dead-lettered.
      const change = trustChangeFromRecord(record, logger);
      if (!change) continue;
      let result;
      try {
        result = snapshot.apply(change);
      } catch (err) {
        logger.warn({ err, partition: record.partition, offset: record.offset }, 'skipping a trust change the snapshot rejects');
        continue;
      }
      if (!result.changed) continue;
      stats.trustChanges += 1;
      if (result.affectedOrgIds === 'all') all = true;
      else for (const orgId of result.affectedOrgIds) affected.add(orgId);
      headers = record.headers;
    }
    if (!all && affected.size === 0) return;
    const after = snapshot.context(now);
    const viewers = trustViewers(orgsBefore, snapshot.organisations(), all ? 'all' : affected);
    if (viewers.length === 0) return;
    logger.info({ organisations: all ? 'all' : viewers.map((v) => v.orgId), changes: stats.trustChanges }, 're-evaluating stored signals after a trust change');
    // One span for the re-evaluation, child of the (last) trust change's trace and linked to the chunk's span; the
    // feed records it causes carry it. Organisation ids are not attributes: how many is enough to read a trace.
    const chunkSpan = trace.getActiveSpan();
    const parent: Context = headers ? extractTraceContext(headers, ROOT_CONTEXT) : context.active();
    const span = tracer.startSpan(
      'fanout reevaluate',
      { kind: SpanKind.INTERNAL, links: chunkSpan ? [{ context: chunkSpan.spanContext() }] : [], attributes: { 'signal_mesh.fanout.all_organisations': all, 'signal_mesh.fanout.viewers': viewers.length } },
      parent,
    );
    const traceContext = trace.setSpan(parent, span);
    try {
      for await (const page of this.deps.store.scan(this.deps.reevaluateBatch)) {
        const out: FeedRecord[] = [];
        const counts = new EventCounts();
        for (const stored of page) {
          const state = parseState(stored.state);
          for (const change of trustViewChanges(viewers, state.trust, before, after)) {
            out.push({ event: feedEventFromChange(change, state.signal, now), traceContext });
            counts.add(change);
          }
        }
        stats.reevaluated += page.length;
        await this.deps.sink.publish(out);
        counts.record(this.metrics);
        stats.events += out.length;
      }
      span.setAttributes({ 'signal_mesh.fanout.reevaluated': stats.reevaluated, 'signal_mesh.fanout.events': stats.events });
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 're-evaluation failed' });
      throw err;
    } finally {
      span.end();
    }
  }
}

/** An organisation as a viewer before and after a trust change (absent on the side where it did not exist). */
interface Viewer {
  readonly orgId: string;
  readonly before: Organisation | undefined;
  readonly after: Organisation | undefined;
}

function trustViewers(before: readonly Organisation[], after: readonly Organisation[], affected: ReadonlySet<string> | 'all'): Viewer[] {
  const beforeById = new Map(before.map((o) => [o.orgId, o]));
  const afterById = new Map(after.map((o) => [o.orgId, o]));
  const ids = affected === 'all' ? new Set([...beforeById.keys(), ...afterById.keys()]) : affected;
  return [...ids]
    .filter((orgId) => afterById.has(orgId) || beforeById.has(orgId))
    .sort(compare)
    .map((orgId) => ({ orgId, before: beforeById.get(orgId), after: afterById.get(orgId) }));
}

const sameOrganisation = (a: Organisation, b: Organisation): boolean => a.status === b.status && a.tier === b.tier && a.kind === b.kind;

/**
 * One state's view changes between two trust contexts. viewChanges takes one Organisation per viewer for both sides,
 * and viewOf reads the viewer's own status, tier and kind from it; so an organisation that changed itself (suspended,
 * reinstated, re-tiered, created) is compared with its copy of each side. A deleted organisation is not told anything.
 * The state is the same on both sides, so a lost view is always NO_LONGER_VISIBLE (what viewChanges would say).
 */
function trustViewChanges(viewers: readonly Viewer[], state: SignalState, before: TrustContext, after: TrustContext): ViewChange[] {
  const changes: ViewChange[] = [];
  for (const viewer of viewers) {
    if (!viewer.after) continue;
    if (viewer.before && sameOrganisation(viewer.before, viewer.after)) {
      changes.push(...viewChanges([viewer.after], { state, ctx: before }, { state, ctx: after }));
      continue;
    }
    const previous = viewer.before ? viewOf(viewer.before, state, before) : undefined;
    const next = viewOf(viewer.after, state, after);
    if (!viewsDiffer(previous, next)) continue;
    if (next) changes.push({ orgId: viewer.orgId, kind: 'UPSERT', view: next });
    else if (previous) changes.push({ orgId: viewer.orgId, kind: 'RETRACT', reason: 'NO_LONGER_VISIBLE' });
  }
  return changes;
}
