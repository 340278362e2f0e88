import { DuplicateKeyError, type IndexDefinition, isDuplicateKey, type MongoConnection, MongoRepository } from '@signal-mesh/data-access-mongo';
import type { Organisation, OrganisationStatus, Tier } from '@signal-mesh/trust-domain';

import { optional, withoutUndefined } from './documents';

export interface OrganisationRecord extends Organisation {
  readonly name: string;
  /** Why it is suspended; unset while active. */
  readonly suspensionReason?: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface OrganisationDoc {
  _id: string;
  name: string;
  kind: OrganisationRecord['kind'];
  tier: Tier;
  status: OrganisationStatus;
  suspensionReason?: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Member organisations; `_id` is the org id. Names are unique (case-sensitive). */
export class OrganisationRepository extends MongoRepository<OrganisationDoc> {
  constructor(connection: MongoConnection) {
    super(connection.db, 'organisations');
  }

  protected indexes(): IndexDefinition[] {
    return [{ key: { name: 1 }, options: { unique: true, name: 'uniq_name' } }];
  }

  /** Throws DuplicateKeyError when the id or the name is taken. */
  async create(org: OrganisationRecord): Promise<OrganisationRecord> {
    try {
      await this.collection.insertOne(toDoc(org));
    } catch (err) {
      if (isDuplicateKey(err)) throw new DuplicateKeyError(`organisation ${org.orgId} or name ${org.name} exists`, { cause: err });
      throw err;
    }
    return org;
  }

  async findById(orgId: string): Promise<OrganisationRecord | undefined> {
    const doc = await this.collection.findOne({ _id: orgId });
    return doc ? fromDoc(doc) : undefined;
  }

  async findByName(name: string): Promise<OrganisationRecord | undefined> {
    const doc = await this.collection.findOne({ name });
    return doc ? fromDoc(doc) : undefined;
  }

  /** Every member, for building a TrustContext; the mesh has hundreds of members, not millions. */
  async list(): Promise<OrganisationRecord[]> {
    return (await this.collection.find().sort({ _id: 1 }).toArray()).map(fromDoc);
  }

  /** Suspends (with a reason) or reinstates; undefined when the organisation does not exist. */
  async setStatus(orgId: string, status: OrganisationStatus, reason: string | undefined, at: Date): Promise<OrganisationRecord | undefined> {
    const update =
      status === 'SUSPENDED'
        ? { $set: { status, suspensionReason: reason ?? '', updatedAt: at } }
        : { $set: { status, updatedAt: at }, $unset: { suspensionReason: '' as const } };
    const doc = await this.collection.findOneAndUpdate({ _id: orgId }, update, { returnDocument: 'after' });
    return doc ? fromDoc(doc) : undefined;
  }

  async setTier(orgId: string, tier: Tier, at: Date): Promise<OrganisationRecord | undefined> {
    const doc = await this.collection.findOneAndUpdate({ _id: orgId }, { $set: { tier, updatedAt: at } }, { returnDocument: 'after' });
    return doc ? fromDoc(doc) : undefined;
  }
}

function toDoc(org: OrganisationRecord): OrganisationDoc {
  return withoutUndefined({
    _id: org.orgId,
    name: org.name,
    kind: org.kind,
    tier: org.tier,
    status: org.status,
    suspensionReason: org.suspensionReason,
    createdAt: org.createdAt,
    updatedAt: org.updatedAt,
  });
}

function fromDoc(doc: OrganisationDoc): OrganisationRecord {
  return withoutUndefined({
    orgId: doc._id,
    name: doc.name,
    kind: doc.kind,
    tier: doc.tier,
    status: doc.status,
    suspensionReason: optional(doc.suspensionReason),
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  });
}
