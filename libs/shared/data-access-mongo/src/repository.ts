import type { Collection, CreateIndexesOptions, Db, Document, IndexSpecification, MongoServerError } from 'mongodb';

export interface IndexDefinition {
  key: IndexSpecification;
  options?: Pick<CreateIndexesOptions, 'unique' | 'name'>;
}

export class DuplicateKeyError extends Error {
  readonly code = 'DUPLICATE_KEY';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DuplicateKeyError';
  }
}

export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as MongoServerError).code === 11000;
}

/**
 * Base for every repository: owns one collection and declares its indexes, created at boot. Only unique and
 * compound indexes, which both MongoDB and FerretDB support.
 */
export abstract class MongoRepository<TDoc extends Document> {
  protected readonly collection: Collection<TDoc>;

  protected constructor(db: Db, collectionName: string) {
    this.collection = db.collection<TDoc>(collectionName);
  }

  protected abstract indexes(): readonly IndexDefinition[];

  async ensureIndexes(): Promise<void> {
    for (const { key, options } of this.indexes()) {
      await this.collection.createIndex(key, options ?? {});
    }
  }
}

/** Creates every repository's indexes; call once at boot, before serving. */
export async function ensureIndexes(repositories: readonly Pick<MongoRepository<Document>, 'ensureIndexes'>[]): Promise<void> {
  for (const repository of repositories) await repository.ensureIndexes();
}
