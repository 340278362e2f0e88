import type { StoredList } from '@signal-mesh/delisting-data-access';
import { type DelistEntry, generateSigningKeyPem, keysFromPublished, type Manifest, publishedKey, signingKeyFromPem, snapshotDigest, verifyManifestSignature } from '@signal-mesh/delisting-domain';
import { testLogger } from '@signal-mesh/testing';
import { TrustClientError } from '@signal-mesh/trust-client';

import { DelistingApi } from './delisting-api';
import { randomUrlSignalId } from './fakes.fixtures';
import type { ListReader, Trust } from './ports';

const limits = { pageSize: 2, changesPageSize: 10, maxChangesPageSize: 100 };
const entry = (): DelistEntry => ({ signalId: randomUrlSignalId(), canonicalUrl: 'https://a.nudify.test/', matchScope: 'HOST', registrableDomain: 'nudify.test', categories: ['service.nudify'], firstListedAt: new Date('2025-06-01T12:00:00.000Z') });

function setup(options: { list?: Partial<StoredList>; entries?: DelistEntry[]; denied?: string } = {}) {
  const calls: unknown[][] = [];
  const trust: Trust = {
    authenticate: async () => ({ orgId: 'org_search', orgKind: 'SEARCH_ENGINE', tier: 3, scopes: ['SUBSCRIBE'], keyId: 'k' }),
    authorize: async (...args) => {
      calls.push(args);
      if (options.denied) throw new TrustClientError(options.denied, 'PERMISSION_DENIED', 'denied');
    },
  };
  const entries = [...(options.entries ?? [])].sort((a, b) => (a.signalId < b.signalId ? -1 : 1));
  const manifests = new Map<number, Manifest>();
  let digests = 0;
  const list: StoredList = { orgId: 'org_search', listId: 'nudify-services', version: 5, entryCount: entries.length, changesFrom: 3, ...options.list };
  const reader: ListReader = {
    getList: async () => list,
    getLists: async () => [],
    entriesAt: async function* (_org, _list, _version, pageSize) {
      digests += 1;
      for (let i = 0; i < entries.length; i += pageSize) yield entries.slice(i, i + pageSize);
    },
    changesSince: async () => ({ list, changes: [], hasMore: false }),
    findManifest: async (_org, _list, version) => manifests.get(version),
    saveManifest: async (_org, manifest) => {
      manifests.set(manifest.version, manifest);
    },
  };
  const signing = signingKeyFromPem(generateSigningKeyPem());
  const make = (key = signing) => new DelistingApi({ trust, lists: reader, signing: key, published: { keys: [publishedKey(key.publicKey)] }, limits, clock: () => new Date(), logger: testLogger() });
  return { api: make(), make, calls, digests: () => digests, signing, entries };
}

describe(DelistingApi.name, () => {
  it('authenticates, then has trust authorise PULL_DELISTING for the list', async () => {
    const { api, calls } = setup();
    expect(await api.caller('key', 'nudify-services')).toEqual({ orgId: 'org_search' });
    expect(calls).toEqual([['key', 'PULL_DELISTING', { listId: 'nudify-services' }]]);
    await expect(api.caller(undefined)).rejects.toMatchObject({ code: 'API_KEY_MISSING' });
    await expect(setup({ denied: 'NOT_SEARCH_ENGINE' }).api.caller('key')).rejects.toMatchObject({ code: 'NOT_SEARCH_ENGINE' });
  });

  it('lists every defined list, at version 0 before its first change; unknown list ids are not available', async () => {
    const { api } = setup();
    expect(await api.lists({ orgId: 'org_search' })).toEqual([expect.objectContaining({ listId: 'nudify-services', version: 0, entryCount: 0, description: expect.any(String) })]);
    await expect(api.list({ orgId: 'org_search' }, 'other-list')).rejects.toMatchObject({ code: 'LIST_NOT_AVAILABLE' });
  });

  it('signs a manifest over the streamed digest once per version, and re-signs a cached one after a key change', async () => {
    const { api, make, digests, signing, entries } = setup({ entries: [entry(), entry(), entry()] });
    const manifest = await api.manifest({ orgId: 'org_search' }, 'nudify-services');
    expect(manifest).toMatchObject({ listId: 'nudify-services', version: 5, entryCount: 3, snapshotSha256: snapshotDigest(entries).sha256, keyId: signing.keyId });
    expect(() => verifyManifestSignature(manifest, keysFromPublished({ keys: [publishedKey(signing.publicKey)] }))).not.toThrow();
    await api.manifest({ orgId: 'org_search' }, 'nudify-services', 5);
    expect(digests()).toBe(1);
    const rotated = signingKeyFromPem(generateSigningKeyPem());
    const resigned = await make(rotated).manifest({ orgId: 'org_search' }, 'nudify-services');
    expect(resigned.keyId).toBe(rotated.keyId);
    expect(resigned.snapshotSha256).toBe(manifest.snapshotSha256);
    expect(digests()).toBe(1);
  });

  it('refuses manifests of future versions and of versions before the retained history', async () => {
    const { api } = setup();
    await expect(api.manifest({ orgId: 'org_search' }, 'nudify-services', 6)).rejects.toMatchObject({ code: 'VERSION_NOT_FOUND' });
    await expect(api.manifest({ orgId: 'org_search' }, 'nudify-services', 1)).rejects.toMatchObject({ code: 'VERSION_EXPIRED' });
    expect((await api.manifest({ orgId: 'org_search' }, 'nudify-services', 2)).version).toBe(2);
  });

  it('bounds the changes page size', async () => {
    const { api } = setup();
    await expect(api.changes({ orgId: 'org_search' }, 'nudify-services', 0, 101)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await api.changes({ orgId: 'org_search' }, 'nudify-services', 0, 0)).toEqual({ changes: [], currentVersion: 5, hasMore: false });
  });
});
