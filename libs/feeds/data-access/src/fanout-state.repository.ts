import { type IndexDefinition, isDuplicateKey, type MongoConnection, MongoRepository } from '@signal-mesh/data-access-mongo';
import type { Logger } from '@signal-mesh/util-logging';
import { Binary, type Collection, MongoBulkWriteError } from 'mongodb';

/** The last state of one signal the fan-out has emitted the feed events of (or, in flight, is about to). */
export interface FanoutState {
  readonly signalId: string;
  /** The state's version as a decimal integer string (uint64 on the wire): compare as BigInt. */
  readonly version: string;
  /** The encoded SignalStateEvent, exactly as it came from the state topic. */
  readonly state: Uint8Array;
}

export interface FanoutStateDocument {
  _id: string;
  version: string;
  state: Binary;
}

export interface FanoutStateRepositoryOptions {
  /** Default `fanout_signals`. */
  readonly collection?: string;
  /** Default `fanout_inflight`. */
  readonly inFlightCollection?: string;
}

/** A write the repository could not land after several re-reads (another writer kept moving the same documents). */
export class FanoutStateConflictError extends Error {
  readonly code = 'FANOUT_STATE_CONFLICT';
  constructor(message: string) {
    super(message);
    this.name = 'FanoutStateConflictError';
  }
}

// FerretDB v1.24 (the test stack) never answers an `update` command of 100 or more statements: writes go in commands
// of 50, one at a time (see SignalRepository).
const STATEMENTS_PER_COMMAND = 50;
const MAX_WRITE_ROUNDS = 5;
const VERSION_RE = /^\d{1,20}$/;

/**
 * What the fan-out remembers per signal (`fanout_signals`: signal id → last processed state), so the previous views
 * can be recomputed instead of stored per organisation. Plus `fanout_inflight`: the states of the chunk being emitted,
 * written before its feed events are produced, so a restart can finish an interrupted chunk instead of replaying
 * older states after newer events. Only `_id` is ever queried (FerretDB uses no other index).
 */
export class FanoutStateRepository extends MongoRepository<FanoutStateDocument> {
  private readonly inFlightCollection: Collection<FanoutStateDocument>;

  private constructor(
    connection: MongoConnection,
    collection: string,
    inFlightCollection: string,
    private readonly logger: Logger,
  ) {
    super(connection.db, collection);
    this.inFlightCollection = connection.db.collection<FanoutStateDocument>(inFlightCollection);
  }

  static async create(connection: MongoConnection, logger: Logger, options: FanoutStateRepositoryOptions = {}): Promise<FanoutStateRepository> {
    const repository = new FanoutStateRepository(connection, options.collection ?? 'fanout_signals', options.inFlightCollection ?? 'fanout_inflight', logger.child({ component: 'fanout-state-repository' }));
    await repository.ensureIndexes();
    return repository;
  }

  protected indexes(): IndexDefinition[] {
    // Only _id lookups and _id-ordered scans.
    return [];
  }

  /** The stored states among `signalIds`, in one query; missing ids are absent from the map. */
  async findMany(signalIds: readonly string[]): Promise<Map<string, FanoutState>> {
    const found = new Map<string, FanoutState>();
    if (signalIds.length === 0) return found;
    const docs = await this.collection.find({ _id: { $in: [...new Set(signalIds)] } }).toArray();
    for (const doc of docs) found.set(doc._id, fromDocument(doc));
    return found;
  }

  /**
   * Stores each state unless the stored one is as new or newer (versions compared as BigInt); resolved means durable.
   * Replaces are conditional on the version read just before, so a concurrent writer makes this re-read and decide
   * again rather than overwrite a newer state. Returns how many were written and how many were not newer.
   */
  async saveMany(states: readonly FanoutState[]): Promise<{ saved: number; stale: number }> {
    let pending = newestPerSignal(states);
    let saved = 0;
    let stale = states.length - pending.length;
    for (let round = 1; pending.length > 0; round++) {
      if (round > MAX_WRITE_ROUNDS) throw new FanoutStateConflictError(`fanout states still conflicting after ${MAX_WRITE_ROUNDS} rounds, e.g. ${pending.slice(0, 3).map((s) => s.signalId).join(', ')}`);
      const current = await this.versions(pending.map((s) => s.signalId));
      const writes = pending.filter((s) => {
        const stored = current.get(s.signalId);
        return stored === undefined || BigInt(stored) < BigInt(s.version);
      });
      stale += pending.length - writes.length;
      const conflicts = new Set<string>();
      for (let i = 0; i < writes.length; i += STATEMENTS_PER_COMMAND) {
        for (const id of await this.writeChunk(writes.slice(i, i + STATEMENTS_PER_COMMAND), current)) conflicts.add(id);
      }
      saved += writes.length - conflicts.size;
      pending = writes.filter((s) => conflicts.has(s.signalId));
      if (pending.length > 0) this.logger.info({ conflicts: pending.length, round }, 'fanout states changed under us; re-reading');
    }
    return { saved, stale };
  }

  /** Every stored state once, `batchSize` at a time (the trust re-evaluation). */
  async *scan(batchSize: number): AsyncGenerator<FanoutState[]> {
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`scan batch size must be a positive integer, got ${batchSize}`);
    // One cursor in natural order: sorted `_id > last` pages cost FerretDB a full scan and sort per page.
    const cursor = this.collection.find({}).batchSize(batchSize);
    try {
      let page: FanoutState[] = [];
      for await (const doc of cursor) {
        page.push(fromDocument(doc));
        if (page.length === batchSize) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    } finally {
      await cursor.close();
    }
  }

  async count(): Promise<number> {
    return this.collection.countDocuments({});
  }

  /**
   * Records the states whose feed events are about to be produced (replacing whatever was in flight before). Inserts
   * first: the collection is empty between chunks, and on FerretDB an insert costs a fraction of an upsert statement;
   * only ids a crash left behind are replaced.
   */
  async recordInFlight(states: readonly FanoutState[]): Promise<void> {
    const docs = newestPerSignal(states).map(toDocument);
    const leftovers: FanoutStateDocument[] = [];
    try {
      if (docs.length > 0) await this.inFlightCollection.insertMany(docs, { ordered: false });
    } catch (err) {
      if (!(err instanceof MongoBulkWriteError) || err.result?.getWriteConcernError()) throw err;
      const writeErrors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
      if (!writeErrors.every((e) => isDuplicateKey(e))) throw err;
      for (const e of writeErrors) {
        const doc = docs[e.index];
        if (doc) leftovers.push(doc);
      }
    }
    for (let i = 0; i < leftovers.length; i += STATEMENTS_PER_COMMAND) {
      await this.inFlightCollection.bulkWrite(
        leftovers.slice(i, i + STATEMENTS_PER_COMMAND).map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } })),
        { ordered: false },
      );
    }
  }

  /** States recorded in flight and not cleared: a chunk interrupted between recordInFlight and clearInFlight. */
  async inFlight(): Promise<FanoutState[]> {
    return (await this.inFlightCollection.find({}).sort({ _id: 1 }).toArray()).map(fromDocument);
  }

  async clearInFlight(signalIds: readonly string[]): Promise<void> {
    const ids = [...new Set(signalIds)];
    for (let i = 0; i < ids.length; i += STATEMENTS_PER_COMMAND) {
      await this.inFlightCollection.deleteMany({ _id: { $in: ids.slice(i, i + STATEMENTS_PER_COMMAND) } });
    }
  }

  private async versions(signalIds: readonly string[]): Promise<Map<string, string>> {
    const docs = await this.collection.find({ _id: { $in: [...signalIds] } }, { projection: { _id: 1, version: 1 } }).toArray();
    return new Map(docs.map((d) => [d._id, d.version]));
  }

  /** Inserts new ids and replaces stored ones still at the version read; returns the ids that did not land. */
  private async writeChunk(states: readonly FanoutState[], current: ReadonlyMap<string, string>): Promise<string[]> {
    const ops = states.map((s) => {
      const stored = current.get(s.signalId);
      const doc = toDocument(s);
      return stored === undefined ? { insertOne: { document: doc } } : { replaceOne: { filter: { _id: s.signalId, version: stored }, replacement: doc, upsert: false } };
    });
    try {
      const result = await this.collection.bulkWrite(ops, { ordered: false });
      if (result.insertedCount + result.matchedCount === states.length) return [];
    } catch (err) {
      // Only duplicate keys (another writer inserted first) are conflicts; anything else fails the save.
      if (!(err instanceof MongoBulkWriteError) || err.result?.getWriteConcernError()) throw err;
      const writeErrors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
      if (!writeErrors.every((e) => isDuplicateKey(e))) throw err;
    }
    // The driver does not say which replace missed: re-read and keep those not at the version just written.
    const after = await this.versions(states.map((s) => s.signalId));
    return states.filter((s) => after.get(s.signalId) !== s.version).map((s) => s.signalId);
  }
}

function newestPerSignal(states: readonly FanoutState[]): FanoutState[] {
  const newest = new Map<string, FanoutState>();
  for (const s of states) {
    if (!VERSION_RE.test(s.version)) throw new RangeError(`fanout state version must be a decimal integer, got "${s.version}"`);
    const seen = newest.get(s.signalId);
    if (!seen || BigInt(seen.version) < BigInt(s.version)) newest.set(s.signalId, s);
  }
  return [...newest.values()];
}

function toDocument(state: FanoutState): FanoutStateDocument {
  return { _id: state.signalId, version: state.version, state: new Binary(state.state) };
}

function fromDocument(doc: FanoutStateDocument): FanoutState {
  // A copy: the driver may reuse the buffer behind a Binary.
  return { signalId: doc._id, version: doc.version, state: Uint8Array.from(doc.state.value()) };
}
