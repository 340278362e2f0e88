import { MongoConnection } from '@signal-mesh/data-access-mongo';
import { integrationEnv, testLogger, uniqueName } from '@signal-mesh/testing';
import { type ApiKeyRecord, checkPresentedKey, generateApiKey, hashSecret, parseApiKey } from '@signal-mesh/trust-domain';

import type { OrganisationRecord } from './organisation.repository';
import { createTrustRepositories, type TrustRepositories } from './trust-repositories';

const t0 = new Date('2025-06-01T12:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

function org(overrides: Partial<OrganisationRecord> = {}): OrganisationRecord {
  return { orgId: 'org-ngo-1', name: 'Example NGO', kind: 'NGO', tier: 3, status: 'ACTIVE', createdAt: t0, updatedAt: t0, ...overrides };
}

function keyRecord(orgId: string, overrides: Partial<ApiKeyRecord> = {}) {
  const issued = generateApiKey();
  const record: ApiKeyRecord = { keyId: issued.keyId, orgId, label: 'ingest-pipeline', scopes: ['CONTRIBUTE', 'SUBSCRIBE'], secretHash: hashSecret(issued.secret), createdAt: t0, ...overrides };
  return { issued, record };
}

describe('trust repositories', () => {
  let connection: MongoConnection;
  let repos: TrustRepositories;

  beforeAll(async () => {
    connection = await MongoConnection.connect({ uri: integrationEnv().mongoUri, database: uniqueName('trust'), appName: 'trust-repos-spec', logger: testLogger() });
    repos = await createTrustRepositories(connection);
  });
  afterAll(async () => {
    await connection.db.dropDatabase();
    await connection.close();
  });

  it('creates the declared indexes, idempotently', async () => {
    await createTrustRepositories(connection);
    const names = async (collection: string) => (await connection.db.collection(collection).indexes()).map((i) => i.name);
    expect(await names('organisations')).toEqual(expect.arrayContaining(['_id_', 'uniq_name']));
    expect(await names('api_keys')).toEqual(expect.arrayContaining(['_id_', 'by_org_created']));
    expect(await names('sharing_groups')).toEqual(expect.arrayContaining(['_id_', 'uniq_name', 'by_member']));
    expect(await names('audit_log')).toEqual(expect.arrayContaining(['_id_', 'uniq_seq']));
  });

  describe('OrganisationRepository', () => {
    it('round-trips an organisation and refuses a second one with the same name or id', async () => {
      await repos.organisations.create(org());
      expect(await repos.organisations.findById('org-ngo-1')).toEqual(org());
      expect(await repos.organisations.findByName('Example NGO')).toEqual(org());
      await expect(repos.organisations.create(org({ orgId: 'org-ngo-2' }))).rejects.toMatchObject({ code: 'DUPLICATE_KEY' });
      await expect(repos.organisations.create(org({ name: 'Another NGO' }))).rejects.toMatchObject({ code: 'DUPLICATE_KEY' });
    });

    it('suspends with a reason, reinstates without one, and changes tier', async () => {
      await repos.organisations.create(org({ orgId: 'org-platform-1', name: 'Example Platform', kind: 'PLATFORM', tier: 2 }));
      expect(await repos.organisations.setStatus('org-platform-1', 'SUSPENDED', 'under review', at(1))).toMatchObject({ status: 'SUSPENDED', suspensionReason: 'under review', updatedAt: at(1) });
      const reinstated = await repos.organisations.setStatus('org-platform-1', 'ACTIVE', undefined, at(2));
      expect(reinstated).toMatchObject({ status: 'ACTIVE', updatedAt: at(2) });
      expect(reinstated).not.toHaveProperty('suspensionReason');
      expect(await repos.organisations.setTier('org-platform-1', 4, at(3))).toMatchObject({ tier: 4 });
      expect(await repos.organisations.setTier('org-missing', 4, at(3))).toBeUndefined();
      expect((await repos.organisations.list()).map((o) => o.orgId)).toEqual(expect.arrayContaining(['org-ngo-1', 'org-platform-1']));
    });
  });

  describe('ApiKeyRepository', () => {
    it('stores only the hash and authenticates the issued key against what it reads back', async () => {
      const { issued, record } = keyRecord('org-ngo-1', { expiresAt: at(86_400_000) });
      await repos.apiKeys.insert({ ...record, secret: issued.secret, apiKey: issued.apiKey } as ApiKeyRecord);

      const stored = await connection.db.collection('api_keys').findOne({ _id: issued.keyId as never });
      expect(JSON.stringify(stored)).not.toContain(issued.secret);
      expect(Object.keys(stored ?? {}).sort()).toEqual(['_id', 'createdAt', 'expiresAt', 'label', 'orgId', 'scopes', 'secretHash']);

      const found = await repos.apiKeys.findByKeyId(parseApiKey(issued.apiKey).keyId);
      expect(found).toEqual(record);
      expect(checkPresentedKey(parseApiKey(issued.apiKey), found, at(1), 'CONTRIBUTE')).toEqual({ ok: true });
    });

    it('refuses a raw secret in place of a hash, and a duplicate key id', async () => {
      const { issued, record } = keyRecord('org-ngo-1');
      await expect(repos.apiKeys.insert({ ...record, secretHash: issued.secret })).rejects.toThrow('secretHash');
      await repos.apiKeys.insert(record);
      await expect(repos.apiKeys.insert(record)).rejects.toMatchObject({ code: 'DUPLICATE_KEY' });
    });

    it('scopes organisation-owned reads and changes to the owning organisation', async () => {
      const { record } = keyRecord('org-hotline-1');
      await repos.apiKeys.insert(record);
      expect(await repos.apiKeys.findForOrg('org-ngo-1', record.keyId)).toBeUndefined();
      expect((await repos.apiKeys.listForOrg('org-ngo-1')).map((k) => k.orgId)).not.toContain('org-hotline-1');
      expect((await repos.apiKeys.listForOrg('org-hotline-1')).map((k) => k.keyId)).toEqual([record.keyId]);
      expect(await repos.apiKeys.revoke('org-ngo-1', record.keyId, at(1))).toBeUndefined();
      expect(await repos.apiKeys.findByKeyId(record.keyId)).not.toHaveProperty('revokedAt');
    });

    it('revokes once (the first time stays) and a revoked key no longer authenticates', async () => {
      const { issued, record } = keyRecord('org-ngo-1');
      await repos.apiKeys.insert(record);
      expect(await repos.apiKeys.revoke('org-ngo-1', record.keyId, at(10))).toMatchObject({ revokedAt: at(10) });
      expect(await repos.apiKeys.revoke('org-ngo-1', record.keyId, at(20))).toMatchObject({ revokedAt: at(10) });
      const found = await repos.apiKeys.findByKeyId(record.keyId);
      expect(checkPresentedKey(parseApiKey(issued.apiKey), found, at(30))).toEqual({ ok: false, code: 'API_KEY_REVOKED' });
    });

    it('shortens expiry for a rotation grace period but never extends it', async () => {
      const { record } = keyRecord('org-ngo-1');
      await repos.apiKeys.insert(record);
      expect(await repos.apiKeys.expireBy('org-ngo-1', record.keyId, at(60_000))).toMatchObject({ expiresAt: at(60_000) });
      expect(await repos.apiKeys.expireBy('org-ngo-1', record.keyId, at(120_000))).toMatchObject({ expiresAt: at(60_000) });
      expect(await repos.apiKeys.expireBy('org-ngo-1', record.keyId, at(30_000))).toMatchObject({ expiresAt: at(30_000) });
    });
  });

  describe('SharingGroupRepository', () => {
    const group = { groupId: 'grp-hotlines', name: 'Hotlines', description: 'Hotline operators', memberOrgIds: ['org-ngo-1'], createdAt: t0, updatedAt: t0 };

    it('round-trips a group and refuses a duplicate name', async () => {
      expect(await repos.sharingGroups.create(group)).toEqual(group);
      expect(await repos.sharingGroups.findById('grp-hotlines')).toEqual(group);
      await expect(repos.sharingGroups.create({ ...group, groupId: 'grp-other' })).rejects.toMatchObject({ code: 'DUPLICATE_KEY' });
    });

    it('adds and removes members idempotently and finds the groups of a member', async () => {
      await repos.sharingGroups.addMember('grp-hotlines', 'org-hotline-1', at(1));
      const added = await repos.sharingGroups.addMember('grp-hotlines', 'org-hotline-1', at(2));
      expect(added?.memberOrgIds).toEqual(['org-ngo-1', 'org-hotline-1']);
      expect((await repos.sharingGroups.listForMember('org-hotline-1')).map((g) => g.groupId)).toEqual(['grp-hotlines']);

      const removed = await repos.sharingGroups.removeMember('grp-hotlines', 'org-ngo-1', at(3));
      expect(removed).toMatchObject({ memberOrgIds: ['org-hotline-1'], updatedAt: at(3) });
      expect(await repos.sharingGroups.listForMember('org-ngo-1')).toEqual([]);
      expect(await repos.sharingGroups.addMember('grp-missing', 'org-ngo-1', at(4))).toBeUndefined();
    });
  });

  describe('EntitlementsRepository', () => {
    it('has nothing for an organisation on policy defaults, then replaces rather than merges', async () => {
      expect(await repos.entitlements.get('org-search-1')).toBeUndefined();
      await repos.entitlements.set('org-search-1', { receive: [{ signalType: 'url', categories: ['service.nudify'] }], contribute: [{ signalType: 'url', categories: [] }] }, t0);
      const replaced = { receive: [{ signalType: 'model-hash' as const, categories: [] }], contribute: [] };
      expect(await repos.entitlements.set('org-search-1', replaced, at(1))).toEqual(replaced);
      expect(await repos.entitlements.get('org-search-1')).toEqual(replaced);
      expect((await repos.entitlements.listAll()).get('org-search-1')).toEqual(replaced);
      await repos.entitlements.clear('org-search-1');
      expect(await repos.entitlements.get('org-search-1')).toBeUndefined();
    });
  });
});
