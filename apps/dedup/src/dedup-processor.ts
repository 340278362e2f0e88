import { type Link, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { applySubmission, type SignalRecord, type Submission } from '@signal-mesh/signals-domain';
import { type BatchResults, type ConsumedRecord, PermanentError, type RecordHeaders } from '@signal-mesh/transport-kafka';
import type { Logger } from '@signal-mesh/util-logging';
import { extractTraceContext } from '@signal-mesh/util-otel';

import type { SignalStore, SignalWrite, StateSink, StateToPublish } from './ports';
import { createDedupMetrics, type DedupMetrics, signalIdAttributes, tracer } from './telemetry';

export interface DedupProcessorDeps<E> {
  store: SignalStore;
  sink: StateSink;
  /** Maps a decoded event to a domain submission; throws (with a string `code`) when the event is invalid. */
  toSubmission: (event: E) => Submission;
  clock: () => Date;
  logger: Logger;
  /** Reload-and-reapply rounds after conflicting versioned writes before the chunk fails (transient). Default 5. */
  maxConflictRounds?: number;
  /** Default: instruments of the global MeterProvider. */
  metrics?: DedupMetrics;
}

/** Counts of one chunk, for logs and the benchmark: submissions by outcome, then records written and published. */
export interface ChunkStats {
  records: number;
  signals: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  invalid: number;
  written: number;
  published: number;
  conflictRounds: number;
}

type Outcome = 'created' | 'updated' | 'unchanged' | 'rejected';

interface Item {
  readonly index: number;
  readonly submission: Submission;
  readonly headers: RecordHeaders;
}

interface GroupOutcome {
  readonly record: SignalRecord | undefined;
  readonly changed: boolean;
  /** The last submission that applied (created, updated or unchanged); undefined when all were rejected. */
  readonly lastApplied: Item | undefined;
  readonly counts: Readonly<Record<Outcome, number>>;
}

/**
 * The dedup merge for one chunk of submissions (one partition, offset order), outside any framework:
 *
 * 1. map each event to a submission (invalid → PermanentError for that record: dead-lettered by the consumer);
 * 2. group by signal id, keeping order, and load those signals in one query;
 * 3. apply each group in order (a rejection → PermanentError with the domain code for that record);
 * 4. write the changed records in one bulk write, each guarded by the version it was loaded at; on conflicts
 *    (a rebalance let another instance write, or the expiry sweeper did) reload those signals and re-apply;
 * 5. publish the final state of every signal a submission applied to — replays included — and only then resolve,
 *    so the consumer commits the offsets after the write and the state event are both durable.
 *
 * Why replays ('unchanged') are published too: if the process dies between the MongoDB write and the produce, the
 * redelivered submissions find their contributions stored and change nothing; without re-publishing, that state
 * would never reach the state topic. Republishing a state is harmless: the topic is compacted by signal id and
 * consumers keep the highest `version`.
 */
export class DedupProcessor<E> {
  private readonly maxConflictRounds: number;
  private readonly metrics: DedupMetrics;

  constructor(private readonly deps: DedupProcessorDeps<E>) {
    this.maxConflictRounds = deps.maxConflictRounds ?? 5;
    this.metrics = deps.metrics ?? createDedupMetrics();
  }

  /** The consumer's batch handler: one result per record, in order. */
  async handleBatch(records: readonly ConsumedRecord<E>[]): Promise<BatchResults> {
    return (await this.processChunk(records)).results;
  }

  async processChunk(records: readonly ConsumedRecord<E>[]): Promise<{ results: BatchResults; stats: ChunkStats }> {
    const results: (PermanentError | undefined)[] = records.map(() => undefined);
    const stats: ChunkStats = { records: records.length, signals: 0, created: 0, updated: 0, unchanged: 0, rejected: 0, invalid: 0, written: 0, published: 0, conflictRounds: 0 };
    const groups = new Map<string, Item[]>();
    records.forEach((record, index) => {
      let submission: Submission;
      try {
        submission = this.deps.toSubmission(record.value);
      } catch (err) {
        // Mapping is pure: retrying cannot fix it, whatever the error.
        const code = (err as { code?: unknown }).code;
        results[index] = new PermanentError(typeof code === 'string' ? code : 'INVALID_SUBMISSION', (err as Error).message, { cause: err });
        stats.invalid += 1;
        return;
      }
      const group = groups.get(submission.signalId);
      const item = { index, submission, headers: record.headers };
      if (group) group.push(item);
      else groups.set(submission.signalId, [item]);
    });
    stats.signals = groups.size;
    // The consumer's chunk span (it links every record's producer): which signals this chunk was about.
    const chunkSpan = trace.getActiveSpan();
    chunkSpan?.setAttributes(signalIdAttributes(groups.keys()));
    if (groups.size === 0) {
      this.metrics.merges.add(stats.invalid, { result: 'rejected' });
      return { results, stats };
    }

    const now = this.deps.clock();
    const outcomes = new Map<string, GroupOutcome>();
    let pending = [...groups.keys()];
    let loaded = await this.deps.store.findMany(pending);
    for (let round = 1; ; round++) {
      const writes: SignalWrite[] = [];
      for (const id of pending) {
        const current = loaded.get(id);
        const outcome = this.applyGroup(current, groups.get(id) ?? [], now, results);
        outcomes.set(id, outcome);
        if (outcome.changed && outcome.record) writes.push({ record: outcome.record, expectedVersion: current?.version });
      }
      const { conflicts } = writes.length > 0 ? await this.deps.store.writeBatch(writes) : { conflicts: [] };
      stats.written += writes.length - conflicts.length;
      if (conflicts.length === 0) break;
      stats.conflictRounds = round;
      if (round >= this.maxConflictRounds) {
        // Transient: the consumer retries the chunk, then restarts from the last commit.
        throw new Error(`versioned writes still conflicting after ${round} rounds for ${conflicts.length} signals, e.g. ${conflicts.slice(0, 3).join(', ')}`);
      }
      this.deps.logger.info({ conflicts: conflicts.length, round }, 'signals changed under us; reloading and re-applying');
      pending = conflicts;
      loaded = await this.deps.store.findMany(conflicts);
    }

    const states: StateToPublish[] = [];
    const spans: Span[] = [];
    const links: Link[] = chunkSpan ? [{ context: chunkSpan.spanContext() }] : [];
    for (const [signalId, outcome] of outcomes) {
      if (!outcome.record || !outcome.lastApplied) continue;
      // One span per published state, child of the submission that last contributed (so the submission's trace runs
      // on into the fan-out through the state record) and linked to the chunk's span.
      const parent = extractTraceContext(outcome.lastApplied.headers, ROOT_CONTEXT);
      const span = tracer.startSpan(
        'dedup merge',
        { kind: SpanKind.INTERNAL, links, attributes: { 'signal_mesh.signal_id': signalId, 'signal_mesh.state.version': outcome.record.version, 'signal_mesh.dedup.changed': outcome.changed } },
        parent,
      );
      spans.push(span);
      states.push({ record: outcome.record, traceContext: trace.setSpan(parent, span) });
    }
    try {
      await this.deps.sink.publish(states);
    } catch (err) {
      for (const span of spans) span.setStatus({ code: SpanStatusCode.ERROR, message: 'state not published' });
      throw err;
    } finally {
      for (const span of spans) span.end();
    }
    stats.published = states.length;
    for (const { counts } of outcomes.values()) {
      stats.created += counts.created;
      stats.updated += counts.updated;
      stats.unchanged += counts.unchanged;
      stats.rejected += counts.rejected;
    }
    // Counted only once the chunk's effects are durable: a retried chunk is counted by the attempt that succeeds.
    for (const result of ['created', 'updated', 'unchanged'] as const) this.metrics.merges.add(stats[result], { result });
    this.metrics.merges.add(stats.rejected + stats.invalid, { result: 'rejected' });
    chunkSpan?.setAttributes({ 'signal_mesh.dedup.created': stats.created, 'signal_mesh.dedup.updated': stats.updated, 'signal_mesh.dedup.unchanged': stats.unchanged, 'signal_mesh.dedup.rejected': stats.rejected + stats.invalid });
    this.deps.logger.debug({ stats }, 'chunk merged');
    return { results, stats };
  }

  /** Applies one signal's submissions in order; rejections become that record's result. */
  private applyGroup(current: SignalRecord | undefined, items: readonly Item[], now: Date, results: (PermanentError | undefined)[]): GroupOutcome {
    let record = current;
    let changed = false;
    let lastApplied: Item | undefined;
    const counts: Record<Outcome, number> = { created: 0, updated: 0, unchanged: 0, rejected: 0 };
    for (const item of items) {
      const result = applySubmission(record, item.submission, now);
      counts[result.outcome] += 1;
      if (result.outcome === 'rejected') {
        results[item.index] = new PermanentError(result.code, result.message);
        continue;
      }
      // A re-applied round starts from fresh data: an earlier rejection of this record may no longer hold.
      results[item.index] = undefined;
      record = result.record;
      lastApplied = item;
      if (result.outcome !== 'unchanged') changed = true;
    }
    return { record, changed, lastApplied, counts };
  }
}
