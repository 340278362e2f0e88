import { type IndexDefinition, type MongoConnection, MongoRepository } from '@signal-mesh/data-access-mongo';
import type { DelistChange, DelistEntry, LiveEntry, Manifest, MatchScope, PlannedChange } from '@signal-mesh/delisting-domain';
import type { Logger } from '@signal-mesh/util-logging';
import { type AnyBulkWriteOperation, Binary, type Collection, type Document, type Filter } from 'mongodb';

import { VersionExpiredError, VersionNotFoundError } from './errors';
import { currentKey, entryKey, listKey, listPrefix, orgPrefix, pad, RANGE_END, versionKey } from './keys';

/** One organisation's list as stored; an absent document is the empty list at version 0. */
export interface StoredList {
  readonly orgId: string;
  readonly listId: string;
  readonly version: number;
  readonly entryCount: number;
  /** Oldest version still in the change log (1 until pruned): `since` must be ≥ changesFrom − 1. */
  readonly changesFrom: number;
  readonly updatedAt?: Date;
}

interface EntryFields {
  signalId: string;
  canonicalUrl: string;
  matchScope: MatchScope;
  registrableDomain: string;
  categories: string[];
  firstListedAt: Date;
}

interface ListDocument extends Document {
  _id: string;
  orgId: string;
  listId: string;
  version: number;
  entryCount: number;
  changesFrom: number;
  updatedAt: Date;
}

/** An entry valid for versions [addedVersion, removedVersion). */
interface EntryDocument extends EntryFields {
  _id: string;
  orgId: string;
  listId: string;
  addedVersion: number;
  removedVersion?: number;
}

interface CurrentDocument extends EntryFields {
  _id: string;
  addedVersion: number;
}

interface ChangeDocument extends EntryFields {
  _id: string;
  version: number;
  kind: 'ADD' | 'REMOVE';
  previousAddedVersion?: number;
  entryCountAfter: number;
}

interface ManifestDocument {
  _id: string;
  listId: string;
  version: number;
  entryCount: number;
  snapshotSha256: string;
  keyId: string;
  signature: Binary;
  createdAt: Date;
}

export interface DelistingCollections {
  lists: string;
  entries: string;
  current: string;
  changes: string;
  manifests: string;
}

export const DEFAULT_COLLECTIONS: DelistingCollections = {
  lists: 'delisting_lists',
  entries: 'delisting_entries',
  current: 'delisting_current',
  changes: 'delisting_changes',
  manifests: 'delisting_manifests',
};

// FerretDB v1 never answers an update command of 100 or more statements: bulk writes go in commands of 50.
const STATEMENTS_PER_COMMAND = 50;

const entryFields = (entry: DelistEntry): EntryFields => ({
  signalId: entry.signalId,
  canonicalUrl: entry.canonicalUrl,
  matchScope: entry.matchScope,
  registrableDomain: entry.registrableDomain,
  categories: [...entry.categories],
  firstListedAt: entry.firstListedAt,
});

const toEntry = (doc: EntryFields): DelistEntry => ({
  signalId: doc.signalId,
  canonicalUrl: doc.canonicalUrl,
  matchScope: doc.matchScope,
  registrableDomain: doc.registrableDomain,
  categories: [...doc.categories],
  firstListedAt: doc.firstListedAt,
});

const toList = (orgId: string, listId: string, doc: ListDocument | null): StoredList =>
  doc ? { orgId, listId, version: doc.version, entryCount: doc.entryCount, changesFrom: doc.changesFrom, updatedAt: doc.updatedAt } : { orgId, listId, version: 0, entryCount: 0, changesFrom: 1 };

const toChange = (doc: ChangeDocument): PlannedChange => ({
  version: doc.version,
  kind: doc.kind,
  entry: toEntry(doc),
  ...(doc.previousAddedVersion === undefined || doc.previousAddedVersion === null ? {} : { previousAddedVersion: doc.previousAddedVersion }),
  entryCountAfter: doc.entryCountAfter,
});

const range = (prefix: string) => ({ $gte: prefix, $lt: `${prefix}${RANGE_END}` });

/**
 * Versioned delisting lists without transactions. Per change the writer (the delisting consumer, one per organisation
 * at a time) writes the change-log document first, then the entry documents (each valid for a version range) and the
 * current-entry pointers, then the list's version: readers take the list version V first and read entries with
 * addedVersion ≤ V < removedVersion, so a snapshot at V is exact while later changes land. A crash between the writes
 * leaves change-log documents beyond the list version; `loadState` rolls them forward (every write is an idempotent
 * upsert by a deterministic id) before anything new is planned.
 */
export class DelistingRepository extends MongoRepository<ListDocument> {
  private readonly entries: Collection<EntryDocument>;
  private readonly current: Collection<CurrentDocument>;
  private readonly changes: Collection<ChangeDocument>;
  private readonly manifests: Collection<ManifestDocument>;

  private constructor(
    connection: MongoConnection,
    collections: DelistingCollections,
    private readonly logger: Logger,
  ) {
    super(connection.db, collections.lists);
    this.entries = connection.db.collection<EntryDocument>(collections.entries);
    this.current = connection.db.collection<CurrentDocument>(collections.current);
    this.changes = connection.db.collection<ChangeDocument>(collections.changes);
    this.manifests = connection.db.collection<ManifestDocument>(collections.manifests);
  }

  static async create(connection: MongoConnection, logger: Logger, collections: Partial<DelistingCollections> = {}): Promise<DelistingRepository> {
    const repository = new DelistingRepository(connection, { ...DEFAULT_COLLECTIONS, ...collections }, logger.child({ component: 'delisting-repository' }));
    await repository.ensureIndexes();
    return repository;
  }

  protected indexes(): IndexDefinition[] {
    // Only _id ranges (FerretDB uses no other index).
    return [];
  }

  async getList(orgId: string, listId: string): Promise<StoredList> {
    return toList(orgId, listId, await this.collection.findOne({ _id: listKey(orgId, listId) }));
  }

  /** The organisation's stored lists, by list id (lists without any change yet are absent). */
  async getLists(orgId: string): Promise<StoredList[]> {
    const docs = await this.collection.find({ _id: range(orgPrefix(orgId)) }).sort({ _id: 1 }).toArray();
    return docs.map((doc) => toList(orgId, doc.listId, doc));
  }

  /**
   * The list and the live entries of `signalIds`, after rolling forward whatever an interrupted write left beyond
   * the list's version. What the consumer plans new changes against.
   */
  async loadState(orgId: string, listId: string, signalIds: readonly string[]): Promise<{ list: StoredList; live: Map<string, LiveEntry> }> {
    const list = await this.repair(orgId, listId, await this.getList(orgId, listId));
    const live = new Map<string, LiveEntry>();
    if (signalIds.length > 0) {
      const ids = [...new Set(signalIds)].map((signalId) => currentKey(orgId, listId, signalId));
      for (const doc of await this.current.find({ _id: { $in: ids } }).toArray()) live.set(doc.signalId, { entry: toEntry(doc), addedVersion: doc.addedVersion });
    }
    return { list, live };
  }

  /** Makes `changes` (dense, following the list's version) durable; resolved means the list is at the last one. */
  async applyChanges(orgId: string, listId: string, changes: readonly PlannedChange[], at: Date): Promise<void> {
    if (changes.length === 0) return;
    const docs: ChangeDocument[] = changes.map((change) => ({
      _id: versionKey(orgId, listId, change.version),
      version: change.version,
      kind: change.kind,
      ...(change.previousAddedVersion === undefined ? {} : { previousAddedVersion: change.previousAddedVersion }),
      entryCountAfter: change.entryCountAfter,
      ...entryFields(change.entry),
    }));
    // In version order, so an interruption leaves a prefix of the log (what repair() rolls forward).
    await this.bulk(this.changes, docs.map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } })));
    await this.applyEffects(orgId, listId, changes, at);
  }

  /** Entries at version `version` in signal id order, `pageSize` per page, through one cursor. */
  async *entriesAt(orgId: string, listId: string, version: number, pageSize: number): AsyncGenerator<DelistEntry[]> {
    if (!(Number.isInteger(pageSize) && pageSize >= 1)) throw new RangeError(`page size must be a positive integer, got ${pageSize}`);
    pad(version);
    const prefix = listPrefix(orgId, listId);
    const filter: Filter<EntryDocument> = {
      _id: { $gt: prefix, $lt: `${prefix}${RANGE_END}` },
      addedVersion: { $lte: version },
      $or: [{ removedVersion: { $exists: false } }, { removedVersion: { $gt: version } }],
    };
    // One sorted cursor, `pageSize` per batch: on MongoDB the _id index serves the range in order; `_id > last` pages
    // would cost FerretDB (no range pushdown, in-memory sort) a scan and sort per page, quadratic in the list size.
    const cursor = this.entries.find(filter).sort({ _id: 1 }).batchSize(pageSize);
    try {
      let page: DelistEntry[] = [];
      for await (const doc of cursor) {
        page.push(toEntry(doc));
        if (page.length === pageSize) {
          yield page;
          page = [];
        }
      }
      if (page.length > 0) yield page;
    } finally {
      await cursor.close();
    }
  }

  /**
   * Up to `limit` changes after `since`, up to the list's current version (read first, so a change being written is
   * never returned before its version is). VERSION_EXPIRED when `since` is older than the retained log.
   */
  async changesSince(orgId: string, listId: string, since: number, limit: number): Promise<{ list: StoredList; changes: DelistChange[]; hasMore: boolean }> {
    pad(since);
    const list = await this.getList(orgId, listId);
    if (since > list.version) throw new VersionNotFoundError(list.version);
    if (since < list.changesFrom - 1) throw new VersionExpiredError(list.changesFrom, list.version);
    if (since === list.version) return { list, changes: [], hasMore: false };
    const docs = await this.changes
      .find({ _id: { $gt: versionKey(orgId, listId, since), $lte: versionKey(orgId, listId, list.version) } })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    // Pruned between the two reads (the retention job raced this call): same answer as before it.
    if (docs[0]?.version !== since + 1) {
      const now = await this.getList(orgId, listId);
      throw new VersionExpiredError(Math.max(now.changesFrom, since + 2), now.version);
    }
    const changes = docs.map((doc) => {
      const { version, kind, entry } = toChange(doc);
      return { version, kind, entry };
    });
    const lastVersion = changes.at(-1)?.version ?? since;
    return { list, changes, hasMore: lastVersion < list.version };
  }

  async findManifest(orgId: string, listId: string, version: number): Promise<Manifest | undefined> {
    const doc = await this.manifests.findOne({ _id: versionKey(orgId, listId, version) });
    if (!doc) return undefined;
    return { listId: doc.listId, version: doc.version, entryCount: doc.entryCount, snapshotSha256: doc.snapshotSha256, keyId: doc.keyId, signature: new Uint8Array(doc.signature.buffer), createdAt: doc.createdAt };
  }

  async saveManifest(orgId: string, manifest: Manifest): Promise<void> {
    const _id = versionKey(orgId, manifest.listId, manifest.version);
    const doc: ManifestDocument = {
      _id,
      listId: manifest.listId,
      version: manifest.version,
      entryCount: manifest.entryCount,
      snapshotSha256: manifest.snapshotSha256,
      keyId: manifest.keyId,
      signature: new Binary(Buffer.from(manifest.signature)),
      createdAt: manifest.createdAt,
    };
    await this.manifests.replaceOne({ _id }, doc, { upsert: true });
  }

  /**
   * Retention: keeps the last `retainVersions` changes of every list, and the entries and manifests snapshots at
   * those versions need. The list's `changesFrom` moves first, so readers answer VERSION_EXPIRED before anything they
   * could have read disappears. Returns how many lists were pruned.
   */
  async prune(retainVersions: number): Promise<number> {
    if (!(Number.isInteger(retainVersions) && retainVersions >= 1)) throw new RangeError('retainVersions must be a positive integer');
    let pruned = 0;
    let last = '';
    for (;;) {
      const lists = await this.collection.find({ _id: { $gt: last } }).sort({ _id: 1 }).limit(100).toArray();
      if (lists.length === 0) return pruned;
      for (const doc of lists) {
        const from = doc.version - retainVersions + 1;
        if (from <= doc.changesFrom) continue;
        await this.collection.updateOne({ _id: doc._id, changesFrom: { $lt: from } }, { $set: { changesFrom: from } });
        await this.changes.deleteMany({ _id: { $gte: listPrefix(doc.orgId, doc.listId), $lt: versionKey(doc.orgId, doc.listId, from) } });
        await this.manifests.deleteMany({ _id: { $gte: listPrefix(doc.orgId, doc.listId), $lt: versionKey(doc.orgId, doc.listId, from - 1) } });
        await this.entries.deleteMany({ _id: range(listPrefix(doc.orgId, doc.listId)), removedVersion: { $lt: from } });
        pruned += 1;
      }
      last = (lists.at(-1) as ListDocument)._id;
    }
  }

  /** Rolls forward change-log documents beyond the list's version (left by an interrupted applyChanges). */
  private async repair(orgId: string, listId: string, list: StoredList): Promise<StoredList> {
    let current = list;
    for (;;) {
      const docs = await this.changes
        .find({ _id: { $gt: versionKey(orgId, listId, current.version), $lt: `${listPrefix(orgId, listId)}${RANGE_END}` } })
        .sort({ _id: 1 })
        .limit(500)
        .toArray();
      const tail: PlannedChange[] = [];
      for (const doc of docs) {
        if (doc.version !== current.version + tail.length + 1) break;
        tail.push(toChange(doc));
      }
      if (tail.length === 0) return current;
      this.logger.warn({ orgId, listId, from: current.version + 1, to: current.version + tail.length }, 'rolling forward an interrupted list update');
      await this.applyEffects(orgId, listId, tail, new Date());
      current = await this.getList(orgId, listId);
    }
  }

  /** Entry documents, current pointers, then the list's version: each an idempotent write by id. */
  private async applyEffects(orgId: string, listId: string, changes: readonly PlannedChange[], at: Date): Promise<void> {
    const entryOps: AnyBulkWriteOperation<EntryDocument>[] = [];
    const finalBySignal = new Map<string, PlannedChange>();
    for (const change of changes) {
      const { signalId } = change.entry;
      if (change.previousAddedVersion !== undefined) {
        entryOps.push({ updateOne: { filter: { _id: entryKey(orgId, listId, signalId, change.previousAddedVersion) }, update: { $set: { removedVersion: change.version } } } });
      }
      if (change.kind === 'ADD') {
        const doc: EntryDocument = { _id: entryKey(orgId, listId, signalId, change.version), orgId, listId, addedVersion: change.version, ...entryFields(change.entry) };
        entryOps.push({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } });
      }
      finalBySignal.set(signalId, change);
    }
    await this.bulk(this.entries, entryOps);
    const currentOps: AnyBulkWriteOperation<CurrentDocument>[] = [...finalBySignal.values()].map((change) => {
      const _id = currentKey(orgId, listId, change.entry.signalId);
      return change.kind === 'ADD' ? { replaceOne: { filter: { _id }, replacement: { _id, addedVersion: change.version, ...entryFields(change.entry) }, upsert: true } } : { deleteOne: { filter: { _id } } };
    });
    await this.bulk(this.current, currentOps);
    const last = changes.at(-1) as PlannedChange;
    await this.collection.updateOne(
      { _id: listKey(orgId, listId) },
      { $set: { version: last.version, entryCount: last.entryCountAfter, updatedAt: at }, $setOnInsert: { orgId, listId, changesFrom: 1 } },
      { upsert: true },
    );
  }

  private async bulk<T extends Document>(collection: Collection<T>, ops: AnyBulkWriteOperation<T>[]): Promise<void> {
    for (let i = 0; i < ops.length; i += STATEMENTS_PER_COMMAND) await collection.bulkWrite(ops.slice(i, i + STATEMENTS_PER_COMMAND), { ordered: true });
  }
}
