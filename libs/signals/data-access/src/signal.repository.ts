import { randomUUID } from 'node:crypto';

import { type IndexDefinition, isDuplicateKey, type MongoConnection, MongoRepository } from '@signal-mesh/data-access-mongo';
import type { SignalRecord } from '@signal-mesh/signals-domain';
import type { Logger } from '@signal-mesh/util-logging';
import { MongoBulkWriteError } from 'mongodb';

import { fromDocument, type SignalDocument, toDocument } from './signal.document';

/** A versioned write: `expectedVersion` undefined inserts, otherwise replaces only the record still at that version. */
export interface SignalWrite {
  readonly record: SignalRecord;
  readonly expectedVersion: number | undefined;
}

export interface SignalRepositoryOptions {
  /** Default `signals`. */
  readonly collection?: string;
}

// FerretDB v1.24 (the test stack) never answers an `update` command of 100 or more statements, nor, at times,
// several large ones in flight together; so replaces go in commands of 50, one command at a time. MongoDB would take
// them all at once; sequential commands cost a round trip each (about 20 for a batch of 1,000 replaces).
const REPLACES_PER_COMMAND = 50;
const INSERTS_PER_COMMAND = 1_000;

/**
 * The canonical signals: dedup writes them, ingest and the read services read them. Writes are optimistic, each
 * carrying the version it was derived from, so two writers (e.g. a zombie consumer after a rebalance) never overwrite
 * each other's merge: the loser gets a conflict and re-reads. No transactions, so it runs on FerretDB as well.
 */
export class SignalRepository extends MongoRepository<SignalDocument> {
  private constructor(
    connection: MongoConnection,
    collection: string,
    private readonly logger: Logger,
  ) {
    super(connection.db, collection);
  }

  /** The repository with its indexes created (idempotent; call at boot). */
  static async create(connection: MongoConnection, logger: Logger, options: SignalRepositoryOptions = {}): Promise<SignalRepository> {
    const repository = new SignalRepository(connection, options.collection ?? 'signals', logger.child({ component: 'signal-repository' }));
    await repository.ensureIndexes();
    return repository;
  }

  protected indexes(): IndexDefinition[] {
    return [
      // Multikey over the embedded contributions: revocations find their signal by contribution id.
      { key: { 'contributions.contributionId': 1 }, options: { name: 'by_contribution' } },
      { key: { nextExpiryAt: 1 }, options: { name: 'by_next_expiry' } },
    ];
  }

  async findById(signalId: string): Promise<SignalRecord | undefined> {
    const doc = await this.collection.findOne({ _id: signalId });
    return doc ? fromDocument(doc) : undefined;
  }

  /** The stored records among `signalIds`, in one query; missing ids are simply absent from the map. */
  async findMany(signalIds: readonly string[]): Promise<Map<string, SignalRecord>> {
    const found = new Map<string, SignalRecord>();
    if (signalIds.length === 0) return found;
    const docs = await this.collection.find({ _id: { $in: [...new Set(signalIds)] } }).toArray();
    for (const doc of docs) found.set(doc._id, fromDocument(doc));
    return found;
  }

  async findByContributionId(contributionId: string): Promise<SignalRecord | undefined> {
    const doc = await this.collection.findOne({ 'contributions.contributionId': contributionId });
    return doc ? fromDocument(doc) : undefined;
  }

  /** Records whose nextExpiryAt is at or before `now`, earliest first, at most `limit` (the expiry sweeper). */
  async findDueForExpiry(now: Date, limit: number): Promise<SignalRecord[]> {
    const docs = await this.collection.find({ nextExpiryAt: { $lte: now } }).sort({ nextExpiryAt: 1, _id: 1 }).limit(limit).toArray();
    return docs.map(fromDocument);
  }

  /**
   * Every stored record once, in natural order, fetched `batchSize` at a time through one cursor. Records written
   * during the scan may or may not appear (the feed's snapshot tails the feed from before it began). A consumer that
   * leaves the cursor idle past the server's cursor timeout (MongoDB: 10 minutes) gets an error and must start again.
   */
  async *scan(batchSize = 500): AsyncGenerator<SignalRecord, void, undefined> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');
    // One cursor, no sort: `_id > last` pages sorted by _id cost FerretDB a full scan and an in-memory sort per page
    // (quadratic in the collection). On MongoDB a document keeps its record id when updated, so it is still returned
    // exactly once.
    const cursor = this.collection.find({}).batchSize(batchSize);
    try {
      for await (const doc of cursor) yield fromDocument(doc);
    } finally {
      await cursor.close();
    }
  }

  async count(): Promise<number> {
    return this.collection.countDocuments({});
  }

  /** Contributions stored for one signal (0 when it does not exist), or across all signals. */
  async countContributions(signalId?: string): Promise<number> {
    if (signalId !== undefined) {
      const doc = await this.collection.findOne({ _id: signalId }, { projection: { 'contributions.contributionId': 1 } });
      return doc?.contributions.length ?? 0;
    }
    // $unwind + $count: FerretDB v1 has no $size.
    const [result] = await this.collection.aggregate<{ n: number }>([{ $unwind: '$contributions' }, { $count: 'n' }]).toArray();
    return result?.n ?? 0;
  }

  /**
   * Applies every write; resolved means durable (the connection writes with w: majority, j: true). `conflicts` are
   * the signal ids whose write did not land: an insert that met an existing record, a replace that found the record
   * at another version (or gone). Re-read those and merge again. Any other failure rejects; writes of earlier
   * commands may then have landed, and a retry of the whole batch reports them as conflicts, which the idempotent
   * merge resolves. A signal id may appear only once per batch.
   */
  async writeBatch(writes: readonly SignalWrite[]): Promise<{ conflicts: string[] }> {
    if (writes.length === 0) return { conflicts: [] };
    if (new Set(writes.map((w) => w.record.signalId)).size !== writes.length) throw new Error('writeBatch: a signal id appears more than once in the batch');
    const writeToken = randomUUID();
    const replaces = writes.filter((w): w is SignalWrite & { expectedVersion: number } => w.expectedVersion !== undefined);
    const inserts = writes.filter((w) => w.expectedVersion === undefined).map((w) => w.record);
    const conflicts: string[] = [];
    // Replaces first: on FerretDB each scans the collection, which the inserts would grow.
    for (const part of chunk(replaces, REPLACES_PER_COMMAND)) conflicts.push(...(await this.replaceChunk(part, writeToken)));
    for (const part of chunk(inserts, INSERTS_PER_COMMAND)) conflicts.push(...(await this.insertChunk(part, writeToken)));
    if (conflicts.length > 0) this.logger.debug({ writes: writes.length, conflicts: conflicts.length }, 'signal writes conflicted');
    return { conflicts };
  }

  private async insertChunk(records: readonly SignalRecord[], writeToken: string): Promise<string[]> {
    try {
      await this.collection.bulkWrite(
        records.map((record) => ({ insertOne: { document: { ...toDocument(record), writeToken } } })),
        { ordered: false },
      );
      return [];
    } catch (err) {
      // Write errors come by index into this command's operations.
      return duplicateKeyIndexes(err).map((index) => records[index]?.signalId ?? throwUnmapped(err));
    }
  }

  private async replaceChunk(writes: readonly (SignalWrite & { expectedVersion: number })[], writeToken: string): Promise<string[]> {
    const result = await this.collection.bulkWrite(
      writes.map(({ record, expectedVersion }) => ({
        replaceOne: { filter: { _id: record.signalId, version: expectedVersion }, replacement: { ...toDocument(record), writeToken }, upsert: false },
      })),
      { ordered: false },
    );
    if (result.matchedCount === writes.length) return [];
    // The driver reports only how many matched, not which: the documents carrying this batch's token are the ones
    // that did. The version cannot tell, since two writers merging from the same version write the same number.
    const ids = writes.map((w) => w.record.signalId);
    const landed = await this.collection.find({ _id: { $in: ids }, writeToken }, { projection: { _id: 1 } }).toArray();
    const won = new Set(landed.map((d) => d._id));
    return ids.filter((id) => !won.has(id));
  }
}

/** The operation indexes of duplicate-key write errors; rethrows anything else (other write or write-concern errors). */
function duplicateKeyIndexes(err: unknown): number[] {
  if (!(err instanceof MongoBulkWriteError) || err.result?.getWriteConcernError()) throw err;
  const writeErrors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
  if (writeErrors.length === 0 || !writeErrors.every((e) => isDuplicateKey(e))) throw err;
  return writeErrors.map((e) => e.index);
}

function throwUnmapped(err: unknown): never {
  throw new Error('writeBatch: a write error names no operation of its command', { cause: err });
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
