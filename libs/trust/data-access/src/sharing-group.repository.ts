import { DuplicateKeyError, type IndexDefinition, isDuplicateKey, type MongoConnection, MongoRepository } from '@signal-mesh/data-access-mongo';
import type { SharingGroup } from '@signal-mesh/trust-domain';

export interface SharingGroupRecord extends SharingGroup {
  readonly name: string;
  readonly description: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface SharingGroupDoc {
  _id: string;
  name: string;
  description: string;
  memberOrgIds: string[];
  createdAt: Date;
  updatedAt: Date;
}

/** Named audiences for AMBER; `_id` is the group id, names are unique. */
export class SharingGroupRepository extends MongoRepository<SharingGroupDoc> {
  constructor(connection: MongoConnection) {
    super(connection.db, 'sharing_groups');
  }

  protected indexes(): IndexDefinition[] {
    return [
      { key: { name: 1 }, options: { unique: true, name: 'uniq_name' } },
      { key: { memberOrgIds: 1 }, options: { name: 'by_member' } },
    ];
  }

  async create(group: SharingGroupRecord): Promise<SharingGroupRecord> {
    const doc = toDoc(group);
    try {
      await this.collection.insertOne(doc);
    } catch (err) {
      if (isDuplicateKey(err)) throw new DuplicateKeyError(`sharing group ${group.groupId} or name ${group.name} exists`, { cause: err });
      throw err;
    }
    return fromDoc(doc);
  }

  async findById(groupId: string): Promise<SharingGroupRecord | undefined> {
    const doc = await this.collection.findOne({ _id: groupId });
    return doc ? fromDoc(doc) : undefined;
  }

  async list(): Promise<SharingGroupRecord[]> {
    return (await this.collection.find().sort({ _id: 1 }).toArray()).map(fromDoc);
  }

  async listForMember(orgId: string): Promise<SharingGroupRecord[]> {
    return (await this.collection.find({ memberOrgIds: orgId }).sort({ _id: 1 }).toArray()).map(fromDoc);
  }

  /** Idempotent; undefined when the group does not exist. */
  async addMember(groupId: string, orgId: string, at: Date): Promise<SharingGroupRecord | undefined> {
    const doc = await this.collection.findOneAndUpdate({ _id: groupId }, { $addToSet: { memberOrgIds: orgId }, $set: { updatedAt: at } }, { returnDocument: 'after' });
    return doc ? fromDoc(doc) : undefined;
  }

  /** Idempotent; undefined when the group does not exist. */
  async removeMember(groupId: string, orgId: string, at: Date): Promise<SharingGroupRecord | undefined> {
    const doc = await this.collection.findOneAndUpdate({ _id: groupId }, { $pull: { memberOrgIds: orgId }, $set: { updatedAt: at } }, { returnDocument: 'after' });
    return doc ? fromDoc(doc) : undefined;
  }
}

function toDoc(group: SharingGroupRecord): SharingGroupDoc {
  return {
    _id: group.groupId,
    name: group.name,
    description: group.description,
    memberOrgIds: [...new Set(group.memberOrgIds)],
    createdAt: group.createdAt,
    updatedAt: group.updatedAt,
  };
}

function fromDoc(doc: SharingGroupDoc): SharingGroupRecord {
  return { groupId: doc._id, name: doc.name, description: doc.description, memberOrgIds: doc.memberOrgIds, createdAt: doc.createdAt, updatedAt: doc.updatedAt };
}
