import { type IndexDefinition, type MongoConnection, MongoRepository } from '@signal-mesh/data-access-mongo';
import type { EntitlementRule, Entitlements } from '@signal-mesh/trust-domain';

interface EntitlementsDoc {
  _id: string;
  receive: EntitlementRule[];
  contribute: EntitlementRule[];
  updatedAt: Date;
}

/**
 * Explicitly set entitlements, one document per organisation (`_id` is the org id). No document means the policy's
 * defaults for the organisation's kind, so `get` returns undefined rather than an empty grant.
 */
export class EntitlementsRepository extends MongoRepository<EntitlementsDoc> {
  constructor(connection: MongoConnection) {
    super(connection.db, 'entitlements');
  }

  protected indexes(): IndexDefinition[] {
    // `_id` (the org id) is the only lookup.
    return [];
  }

  async get(orgId: string): Promise<Entitlements | undefined> {
    const doc = await this.collection.findOne({ _id: orgId });
    return doc ? fromDoc(doc) : undefined;
  }

  /** Replaces (never merges) the organisation's entitlements. */
  async set(orgId: string, entitlements: Entitlements, at: Date): Promise<Entitlements> {
    const doc = { _id: orgId, receive: rules(entitlements.receive), contribute: rules(entitlements.contribute), updatedAt: at };
    await this.collection.replaceOne({ _id: orgId }, doc, { upsert: true });
    return fromDoc(doc);
  }

  /** Falls back to the policy defaults from then on. */
  async clear(orgId: string): Promise<void> {
    await this.collection.deleteOne({ _id: orgId });
  }

  /** Every explicit grant, keyed by org id, for building a TrustContext. */
  async listAll(): Promise<Map<string, Entitlements>> {
    const docs = await this.collection.find().toArray();
    return new Map(docs.map((doc) => [doc._id, fromDoc(doc)]));
  }
}

function rules(list: readonly EntitlementRule[]): EntitlementRule[] {
  return list.map((rule) => ({ signalType: rule.signalType, categories: [...rule.categories] }));
}

function fromDoc(doc: EntitlementsDoc): Entitlements {
  return { receive: rules(doc.receive), contribute: rules(doc.contribute) };
}
