import { type IndexDefinition, isDuplicateKey, type MongoConnection, MongoRepository } from '@signal-mesh/data-access-mongo';
import { type AuditDetails, type AuditEntry, type AuditOutcome, type AuditRecord, chainRecord, type ChainVerification, verifyChain } from '@signal-mesh/trust-domain';
import type { Logger } from '@signal-mesh/util-logging';
import { ObjectId } from 'mongodb';

import { optional, withoutUndefined } from './documents';

interface AuditDoc {
  _id?: ObjectId;
  seq: number;
  at: Date;
  actorOrgId?: string | null;
  keyId?: string | null;
  action: string;
  outcome: AuditOutcome;
  subject?: string | null;
  details?: AuditDetails | null;
  prevHash: string;
  hash: string;
}

export class AuditAppendError extends Error {
  readonly code = 'AUDIT_APPEND_CONTENDED';
  constructor(message: string) {
    super(message);
    this.name = 'AuditAppendError';
  }
}

export interface AuditLogOptions {
  logger?: Logger;
  maxAttempts?: number;
}

/**
 * The hash-chained audit log. Appends are optimistic, without transactions (FerretDB has none): read the last
 * record, chain onto it, insert; the unique index on `seq` lets exactly one of two racing appenders win a seq and
 * the loser re-reads and retries. Any number of processes may append; the chain stays gapless and linear.
 */
export class AuditLogRepository extends MongoRepository<AuditDoc> {
  private readonly logger: Logger | undefined;
  private readonly maxAttempts: number;
  /** The last record this instance wrote: saves a read per append when it is the only writer. */
  private head: AuditRecord | undefined;

  constructor(connection: MongoConnection, { logger, maxAttempts = 50 }: AuditLogOptions = {}) {
    super(connection.db, 'audit_log');
    this.logger = logger?.child({ component: 'audit-log' });
    this.maxAttempts = maxAttempts;
  }

  protected indexes(): IndexDefinition[] {
    return [{ key: { seq: 1 }, options: { unique: true, name: 'uniq_seq' } }];
  }

  /** Appends one entry and resolves once it is durable. Throws AuditError for unsafe details. */
  async append(entry: AuditEntry): Promise<AuditRecord> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const prev = this.head ?? (await this.last());
      const record = chainRecord(prev, entry);
      // Our own id, to recognise a write of ours that landed although the driver reported an error.
      const _id = new ObjectId();
      try {
        await this.collection.insertOne({ ...toDoc(record), _id });
        this.head = record;
        return record;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        const holder = await this.collection.findOne({ seq: record.seq }, { projection: { _id: 1 } });
        if (holder?._id?.equals(_id)) {
          this.head = record;
          return record;
        }
        this.head = undefined;
        this.logger?.debug({ seq: record.seq, attempt }, 'audit seq taken, retrying');
        await sleep(Math.random() * Math.min(50, 2 ** attempt));
      }
    }
    throw new AuditAppendError(`audit append gave up after ${this.maxAttempts} contended attempts`);
  }

  async last(): Promise<AuditRecord | undefined> {
    const doc = await this.collection.findOne({}, { sort: { seq: -1 } });
    return doc ? fromDoc(doc) : undefined;
  }

  /** Records in seq order, read in batches; stopping early closes the cursor. */
  async *stream({ fromSeq = 1, batchSize = 500 }: { fromSeq?: number; batchSize?: number } = {}): AsyncGenerator<AuditRecord> {
    const cursor = this.collection.find({ seq: { $gte: fromSeq } }).sort({ seq: 1 }).batchSize(batchSize);
    try {
      for await (const doc of cursor) yield fromDoc(doc);
    } finally {
      await cursor.close();
    }
  }

  /** The newest `n` records, oldest first. */
  async tail(n: number): Promise<AuditRecord[]> {
    if (n <= 0) return [];
    const docs = await this.collection.find().sort({ seq: -1 }).limit(n).toArray();
    return docs.reverse().map(fromDoc);
  }

  verify(): Promise<ChainVerification> {
    return verifyChain(this.stream());
  }
}

function toDoc(record: AuditRecord): AuditDoc {
  return withoutUndefined({
    seq: record.seq,
    at: record.at,
    actorOrgId: record.actorOrgId,
    keyId: record.keyId,
    action: record.action,
    outcome: record.outcome,
    subject: record.subject,
    details: record.details,
    prevHash: record.prevHash,
    hash: record.hash,
  });
}

// Maps exactly the hashed fields: whatever is stored is what gets verified, nothing is normalised away.
function fromDoc(doc: AuditDoc): AuditRecord {
  return withoutUndefined({
    seq: doc.seq,
    at: doc.at,
    actorOrgId: optional(doc.actorOrgId),
    keyId: optional(doc.keyId),
    action: doc.action,
    outcome: doc.outcome,
    subject: optional(doc.subject),
    details: optional(doc.details),
    prevHash: doc.prevHash,
    hash: doc.hash,
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
