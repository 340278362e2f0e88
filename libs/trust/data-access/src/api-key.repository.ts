import { DuplicateKeyError, type IndexDefinition, isDuplicateKey, type MongoConnection, MongoRepository } from '@signal-mesh/data-access-mongo';
import type { ApiKeyRecord, ApiKeyScope } from '@signal-mesh/trust-domain';

import { optional, withoutUndefined } from './documents';

interface ApiKeyDoc {
  _id: string;
  orgId: string;
  label?: string | null;
  scopes: ApiKeyScope[];
  secretHash: string;
  createdAt: Date;
  expiresAt?: Date | null;
  revokedAt?: Date | null;
  rotatedFrom?: string | null;
}

// What hashSecret produces; anything else is refused so a raw secret can never be stored by mistake.
const SECRET_HASH_RE = /^sha256:[0-9a-f]{64}$/;

/**
 * Credentials. `_id` is the key id, so it is unique by construction. Only the fields of ApiKeyRecord are written:
 * a stray `secret` on the object passed in is never stored.
 */
export class ApiKeyRepository extends MongoRepository<ApiKeyDoc> {
  constructor(connection: MongoConnection) {
    super(connection.db, 'api_keys');
  }

  protected indexes(): IndexDefinition[] {
    return [{ key: { orgId: 1, createdAt: 1 }, options: { name: 'by_org_created' } }];
  }

  /** Throws DuplicateKeyError on a key id collision (the caller issues a new id). */
  async insert(record: ApiKeyRecord): Promise<ApiKeyRecord> {
    if (!SECRET_HASH_RE.test(record.secretHash)) throw new Error('secretHash must be a hashSecret() value');
    try {
      await this.collection.insertOne(toDoc(record));
    } catch (err) {
      if (isDuplicateKey(err)) throw new DuplicateKeyError(`API key ${record.keyId} exists`, { cause: err });
      throw err;
    }
    return fromDoc(toDoc(record));
  }

  /**
   * The authentication lookup: the key id is all a caller presents before it is authenticated, so this one read is
   * not scoped to an organisation. Everything else is.
   */
  async findByKeyId(keyId: string): Promise<ApiKeyRecord | undefined> {
    const doc = await this.collection.findOne({ _id: keyId });
    return doc ? fromDoc(doc) : undefined;
  }

  async findForOrg(orgId: string, keyId: string): Promise<ApiKeyRecord | undefined> {
    const doc = await this.collection.findOne({ _id: keyId, orgId });
    return doc ? fromDoc(doc) : undefined;
  }

  async listForOrg(orgId: string): Promise<ApiKeyRecord[]> {
    return (await this.collection.find({ orgId }).sort({ createdAt: 1, _id: 1 }).toArray()).map(fromDoc);
  }

  /** Revokes; idempotent (the first revocation time stays). Undefined when the org has no such key. */
  async revoke(orgId: string, keyId: string, at: Date): Promise<ApiKeyRecord | undefined> {
    await this.collection.updateOne({ _id: keyId, orgId, revokedAt: { $exists: false } }, { $set: { revokedAt: at } });
    return this.findForOrg(orgId, keyId);
  }

  /** Makes the key expire at `at` unless it already expires earlier (rotation grace period). */
  async expireBy(orgId: string, keyId: string, at: Date): Promise<ApiKeyRecord | undefined> {
    await this.collection.updateOne({ _id: keyId, orgId, $or: [{ expiresAt: { $exists: false } }, { expiresAt: { $gt: at } }] }, { $set: { expiresAt: at } });
    return this.findForOrg(orgId, keyId);
  }
}

function toDoc(record: ApiKeyRecord): ApiKeyDoc {
  return withoutUndefined({
    _id: record.keyId,
    orgId: record.orgId,
    label: record.label,
    scopes: [...record.scopes],
    secretHash: record.secretHash,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    revokedAt: record.revokedAt,
    rotatedFrom: record.rotatedFrom,
  });
}

function fromDoc(doc: ApiKeyDoc): ApiKeyRecord {
  return withoutUndefined({
    keyId: doc._id,
    orgId: doc.orgId,
    label: optional(doc.label),
    scopes: doc.scopes,
    secretHash: doc.secretHash,
    createdAt: doc.createdAt,
    expiresAt: optional(doc.expiresAt),
    revokedAt: optional(doc.revokedAt),
    rotatedFrom: optional(doc.rotatedFrom),
  });
}
