import { type IndexDefinition, type MongoConnection, MongoRepository } from '@signal-mesh/data-access-mongo';
import { type FeedFilter, isEmptyFilter } from '@signal-mesh/feeds-domain';

/** An organisation's stored default filter (the feed applies it when a request carries none). */
export interface StoredSubscription {
  readonly orgId: string;
  readonly filter: FeedFilter;
  readonly updatedAt: Date;
}

interface SubscriptionDocument {
  _id: string;
  filter: { types: string[]; categories: string[]; minConfidence: number };
  updatedAt: Date;
}

/** `feed_subscriptions`: one document per organisation, keyed by its id (only the _id index, which FerretDB uses). */
export class SubscriptionRepository extends MongoRepository<SubscriptionDocument> {
  private constructor(connection: MongoConnection, collection: string) {
    super(connection.db, collection);
  }

  static async create(connection: MongoConnection, options: { collection?: string } = {}): Promise<SubscriptionRepository> {
    const repository = new SubscriptionRepository(connection, options.collection ?? 'feed_subscriptions');
    await repository.ensureIndexes();
    return repository;
  }

  protected indexes(): IndexDefinition[] {
    return [];
  }

  async find(orgId: string): Promise<StoredSubscription | undefined> {
    const doc = await this.collection.findOne({ _id: orgId });
    if (!doc) return undefined;
    return { orgId: doc._id, filter: { types: [...doc.filter.types], categories: [...doc.filter.categories], minConfidence: doc.filter.minConfidence }, updatedAt: doc.updatedAt };
  }

  /**
   * Stores (replaces) the organisation's filter, already validated and normalised by the caller; an empty filter
   * deletes the record, so "none stored" has one representation. Returns what is stored, or undefined when cleared.
   */
  async set(orgId: string, filter: FeedFilter, now: Date): Promise<StoredSubscription | undefined> {
    if (isEmptyFilter(filter)) {
      await this.collection.deleteOne({ _id: orgId });
      return undefined;
    }
    const stored = { types: [...filter.types], categories: [...filter.categories], minConfidence: filter.minConfidence };
    await this.collection.replaceOne({ _id: orgId }, { filter: stored, updatedAt: now }, { upsert: true });
    return { orgId, filter: stored, updatedAt: now };
  }
}
