import { type IndexDefinition, isDuplicateKey, type MongoConnection, MongoRepository } from '@signal-mesh/data-access-mongo';
import type { Logger } from '@signal-mesh/util-logging';

/** What an accepted, keyed request became: replayed verbatim to a retry with the same key and body. */
export interface IdempotentResult {
  readonly contributionId: string;
  readonly signalId: string;
  /** Domain spelling of the signal type, e.g. `url`. */
  readonly type: string;
  readonly canonical: string;
}

export interface IdempotencyRecord {
  readonly orgId: string;
  readonly key: string;
  /** SHA-256 (hex) of the canonical JSON of the validated request. */
  readonly bodyHash: string;
  readonly result: IdempotentResult;
  readonly createdAt: Date;
}

/** One key to reserve for an organisation (the organisation is a separate, required argument). */
export type IdempotencyEntry = Omit<IdempotencyRecord, 'orgId'>;

/** `reserved`: this call owns the key now. `existing`: an earlier request holds it (compare its bodyHash). */
export type Reservation = { readonly outcome: 'reserved' } | { readonly outcome: 'existing'; readonly record: IdempotencyRecord };

interface IdempotencyDoc {
  /** `<orgId>:<key>`: unique per organisation by construction (org ids hold no colon). */
  _id: string;
  orgId: string;
  key: string;
  bodyHash: string;
  result: IdempotentResult;
  createdAt: Date;
}

const docId = (orgId: string, key: string): string => `${orgId}:${key}`;

function toDoc(orgId: string, entry: IdempotencyEntry): IdempotencyDoc {
  const { contributionId, signalId, type, canonical } = entry.result;
  return { _id: docId(orgId, entry.key), orgId, key: entry.key, bodyHash: entry.bodyHash, result: { contributionId, signalId, type, canonical }, createdAt: entry.createdAt };
}

function fromDoc(doc: IdempotencyDoc): IdempotencyRecord {
  const { contributionId, signalId, type, canonical } = doc.result;
  return { orgId: doc.orgId, key: doc.key, bodyHash: doc.bodyHash, result: { contributionId, signalId, type, canonical }, createdAt: doc.createdAt };
}

/** The write errors of an unordered bulk insert, as the driver reports them (MongoBulkWriteError). */
interface BulkInsertFailure {
  writeErrors?: { index: number; code: number }[] | { index: number; code: number };
}

function writeErrorsOf(err: unknown): { index: number; code: number }[] | undefined {
  if (typeof err !== 'object' || err === null || !('writeErrors' in err)) return undefined;
  const raw = (err as BulkInsertFailure).writeErrors;
  if (raw === undefined) return undefined;
  return Array.isArray(raw) ? raw : [raw];
}

/**
 * Idempotency keys per organisation. A key is reserved BEFORE the request's effect (the Kafka produce), so a crash
 * between the two leaves a reservation whose retry replays and produces again (harmless: the contribution id is
 * derived from the key, and dedup ignores a known one).
 *
 * MongoDB and FerretDB v1 share no TTL index, so records are removed by `deleteOlderThan` from a periodic job.
 */
export class IdempotencyRepository extends MongoRepository<IdempotencyDoc> {
  private readonly logger: Logger | undefined;

  constructor(connection: MongoConnection, options: { logger?: Logger } = {}) {
    super(connection.db, 'idempotency_keys');
    this.logger = options.logger?.child({ component: 'idempotency-repository' });
  }

  /** The repository with its indexes created (call once at boot). */
  static async create(connection: MongoConnection, logger?: Logger): Promise<IdempotencyRepository> {
    const repository = new IdempotencyRepository(connection, { logger });
    await repository.ensureIndexes();
    return repository;
  }

  protected indexes(): IndexDefinition[] {
    return [{ key: { createdAt: 1 }, options: { name: 'by_created' } }];
  }

  async find(orgId: string, key: string): Promise<IdempotencyRecord | undefined> {
    const doc = await this.collection.findOne({ _id: docId(orgId, key), orgId });
    return doc ? fromDoc(doc) : undefined;
  }

  async reserve(orgId: string, entry: IdempotencyEntry): Promise<Reservation> {
    const [reservation] = await this.reserveMany(orgId, [entry]);
    return reservation as Reservation;
  }

  /**
   * Reserves many keys with one unordered insert; each answer is at the index of its entry. A key already held (by an
   * earlier request, or earlier in this same list) answers `existing` with the holder.
   */
  async reserveMany(orgId: string, entries: readonly IdempotencyEntry[]): Promise<Reservation[]> {
    if (entries.length === 0) return [];
    const docs = entries.map((entry) => toDoc(orgId, entry));
    const duplicates = new Set<number>();
    try {
      await this.collection.insertMany(docs, { ordered: false });
    } catch (err) {
      const writeErrors = writeErrorsOf(err);
      if (!writeErrors && isDuplicateKey(err) && docs.length === 1) duplicates.add(0);
      else if (!writeErrors || writeErrors.some((e) => e.code !== 11000)) throw err;
      else for (const e of writeErrors) duplicates.add(e.index);
    }
    if (duplicates.size === 0) return docs.map(() => ({ outcome: 'reserved' }));

    const ids = [...new Set([...duplicates].map((i) => docs[i]._id))];
    const holders = new Map((await this.collection.find({ _id: { $in: ids }, orgId }).toArray()).map((doc) => [doc._id, fromDoc(doc)]));
    const answers: Reservation[] = [];
    for (const [index, doc] of docs.entries()) {
      if (!duplicates.has(index)) {
        answers.push({ outcome: 'reserved' });
        continue;
      }
      const holder = holders.get(doc._id);
      // Removed by cleanup between the insert and the read: reserve again (the holder had expired anyway).
      answers.push(holder ? { outcome: 'existing', record: holder } : await this.reserve(orgId, entries[index]));
    }
    return answers;
  }

  /** Removes reservations created before `cutoff`; returns how many. */
  async deleteOlderThan(cutoff: Date): Promise<number> {
    const { deletedCount } = await this.collection.deleteMany({ createdAt: { $lt: cutoff } });
    if (deletedCount > 0) this.logger?.info({ deleted: deletedCount, cutoff }, 'expired idempotency keys removed');
    return deletedCount;
  }
}
