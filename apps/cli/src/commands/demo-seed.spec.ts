import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { ApiKeyScope, ErrorDetail, OrganisationKind, OrganisationStatus, SignalType } from '@signal-mesh/contracts';
import { GrpcStatus, Metadata } from '@signal-mesh/transport-grpc';

import type { CliIo } from '../io';
import { run } from '../main';
import type { TrustAdmin } from './admin.command';
import { DEMO_POPULATION, type DemoKeys, readDemoKeys, seedDemo } from './demo-seed';

function fakeIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { stdin: Readable.from(['']), stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env: {}, out, err };
}

function serviceError(code: GrpcStatus, detail: string, message: string) {
  const metadata = new Metadata();
  metadata.set('signalmesh-error-bin', Buffer.from(ErrorDetail.encode(ErrorDetail.fromPartial({ code: detail, message })).finish()));
  return Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${message}`), { code, details: message, metadata });
}

/** An in-memory trust service: unique organisation and group names (ALREADY_EXISTS / DUPLICATE_KEY, like the real one). */
function fakeTrust({ failOn }: { failOn?: string } = {}) {
  const orgs = new Map<string, string>();
  const groups = new Map<string, string[]>();
  const calls: { method: string; request: unknown }[] = [];
  let n = 0;
  const duplicate = () => serviceError(GrpcStatus.ALREADY_EXISTS, 'DUPLICATE_KEY', 'duplicate key');
  const client: TrustAdmin = {
    createOrganisation: async (request) => {
      calls.push({ method: 'createOrganisation', request });
      if (failOn === request.name) throw serviceError(GrpcStatus.UNAVAILABLE, 'TRUST_EVENT_NOT_PUBLISHED', 'event not published');
      if (orgs.has(request.name)) throw duplicate();
      const orgId = `org_${++n}`;
      orgs.set(request.name, orgId);
      return { organisation: { orgId, name: request.name, kind: request.kind, tier: request.tier, status: OrganisationStatus.ORGANISATION_STATUS_ACTIVE, suspensionReason: '' } };
    },
    issueApiKey: async (request) => {
      calls.push({ method: 'issueApiKey', request });
      const keyId = `key${String(++n).padStart(9, '0')}`;
      return { apiKey: { keyId, orgId: request.orgId, label: request.label, scopes: request.scopes }, secret: `smk_${keyId}_SECRET${n}` };
    },
    createSharingGroup: async (request) => {
      calls.push({ method: 'createSharingGroup', request });
      if (groups.has(request.name)) throw duplicate();
      groups.set(request.name, request.memberOrgIds);
      return { sharingGroup: { groupId: `grp_${++n}`, name: request.name, description: request.description, memberOrgIds: request.memberOrgIds } };
    },
    setEntitlements: async (request) => {
      calls.push({ method: 'setEntitlements', request });
      return { entitlements: request.entitlements };
    },
    revokeApiKey: () => Promise.reject(new Error('not used')),
    suspendOrganisation: () => Promise.reject(new Error('not used')),
    reinstateOrganisation: () => Promise.reject(new Error('not used')),
    rotateApiKey: () => Promise.reject(new Error('not used')),
    setTrustTier: () => Promise.reject(new Error('not used')),
    addGroupMember: () => Promise.reject(new Error('not used')),
    removeGroupMember: () => Promise.reject(new Error('not used')),
    close: () => undefined,
  };
  return { client, calls, orgs, groups, count: (method: string) => calls.filter((c) => c.method === method).length };
}

const seed = (trust: ReturnType<typeof fakeTrust>, keys: DemoKeys = {}) => {
  const saved: string[] = [];
  const progress: string[] = [];
  const result = seedDemo(trust.client, { keys, save: async (k) => void saved.push(JSON.stringify(k)), progress: (l) => void progress.push(l) });
  return result.then((r) => ({ ...r, keys, saved, progress }));
};

describe('DEMO_POPULATION', () => {
  const byName = new Map(DEMO_POPULATION.organisations.map((o) => [o.name, o]));

  it('has unique, synthetic names and two platforms, two NGOs, a search engine, a hotline and a researcher', () => {
    expect(byName.size).toBe(DEMO_POPULATION.organisations.length);
    for (const name of byName.keys()) expect(name).toMatch(/^Demo [A-Za-z ]+ [A-Z]$/);
    const kinds = DEMO_POPULATION.organisations.map((o) => o.kind).sort();
    const K = OrganisationKind;
    expect(kinds).toEqual([K.ORGANISATION_KIND_PLATFORM, K.ORGANISATION_KIND_PLATFORM, K.ORGANISATION_KIND_NGO, K.ORGANISATION_KIND_NGO, K.ORGANISATION_KIND_SEARCH_ENGINE, K.ORGANISATION_KIND_HOTLINE, K.ORGANISATION_KIND_RESEARCHER].sort());
  });

  it('names only its own organisations in groups and entitlements', () => {
    for (const group of DEMO_POPULATION.sharingGroups) for (const member of group.members) expect(byName.has(member)).toBe(true);
    for (const e of DEMO_POPULATION.entitlements) expect(byName.has(e.org)).toBe(true);
  });

  it('puts the NGOs, the hotline and one platform in nudify-watch, and only tier 3+ members in model-hashes-trusted', () => {
    const group = (name: string) => DEMO_POPULATION.sharingGroups.find((g) => g.name === name)?.members.map((m) => byName.get(m)) ?? [];
    const nudify = group('nudify-watch');
    expect(nudify.filter((o) => o?.kind === OrganisationKind.ORGANISATION_KIND_NGO)).toHaveLength(2);
    expect(nudify.filter((o) => o?.kind === OrganisationKind.ORGANISATION_KIND_HOTLINE)).toHaveLength(1);
    expect(nudify.filter((o) => o?.kind === OrganisationKind.ORGANISATION_KIND_PLATFORM)).toHaveLength(1);
    const trusted = group('model-hashes-trusted');
    expect(trusted.length).toBeGreaterThan(0);
    for (const o of trusted) expect(o?.tier).toBeGreaterThanOrEqual(3);
  });

  it('lets the search engine receive nudify URLs only', () => {
    expect(DEMO_POPULATION.entitlements).toEqual([{ org: 'Demo Search Engine A', receive: [{ signalType: SignalType.SIGNAL_TYPE_URL, categories: ['service.nudify'] }], contribute: [] }]);
  });
});

describe(seedDemo.name, () => {
  it('creates every organisation with one CONTRIBUTE+SUBSCRIBE key, both groups with member ids, and the entitlements', async () => {
    const trust = fakeTrust();
    const { report, error, keys, saved, progress } = await seed(trust);
    expect(error).toBeUndefined();
    expect(trust.count('createOrganisation')).toBe(7);
    expect(trust.count('issueApiKey')).toBe(7);
    expect(trust.calls.find((c) => c.method === 'issueApiKey')?.request).toMatchObject({ label: 'demo-seed', scopes: [ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE, ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE] });
    expect(report.organisations.every((o) => o.outcome === 'created' && o.key === 'issued')).toBe(true);
    expect(keys['Demo Search Engine A']).toEqual({ orgId: trust.orgs.get('Demo Search Engine A'), kind: 'SEARCH_ENGINE', tier: 2, keyId: expect.any(String), apiKey: expect.stringMatching(/^smk_/) });
    expect(trust.groups.get('nudify-watch')).toEqual(['Demo NGO A', 'Demo NGO B', 'Demo Hotline A', 'Demo Platform A'].map((name) => trust.orgs.get(name)));
    expect(report.sharingGroups.map((g) => [g.name, g.outcome, g.members])).toEqual([
      ['nudify-watch', 'created', 4],
      ['model-hashes-trusted', 'created', 4],
    ]);
    expect(trust.calls.find((c) => c.method === 'setEntitlements')?.request).toEqual({
      entitlements: { orgId: trust.orgs.get('Demo Search Engine A'), receive: [{ signalType: SignalType.SIGNAL_TYPE_URL, categories: ['service.nudify'] }], contribute: [] },
    });
    expect(report.entitlements).toEqual([{ org: 'Demo Search Engine A', outcome: 'set' }]);
    // Saved after every organisation and every key; progress never carries a secret.
    expect(saved).toHaveLength(14);
    expect(JSON.parse(saved.at(-1) ?? '{}')).toEqual(keys);
    for (const entry of Object.values(keys)) expect(progress.join('\n')).not.toContain(entry.apiKey);
  });

  it('skips what exists on a second run, keeps the keys and sets the entitlements again', async () => {
    const trust = fakeTrust();
    const first = await seed(trust);
    const before = JSON.stringify(first.keys);
    const second = await seed(trust, first.keys);
    expect(second.error).toBeUndefined();
    expect(second.report.organisations.every((o) => o.outcome === 'exists' && o.key === 'kept' && o.orgId !== null)).toBe(true);
    expect(second.report.sharingGroups.map((g) => g.outcome)).toEqual(['exists', 'exists']);
    expect(second.report.entitlements).toEqual([{ org: 'Demo Search Engine A', outcome: 'set' }]);
    expect(trust.count('issueApiKey')).toBe(7);
    expect(JSON.stringify(second.keys)).toBe(before);
    expect(second.saved).toEqual([]);
    expect(second.progress.join('\n')).toContain('exists');
  });

  it('without the keys file, reports existing organisations with an unknown id and leaves them out of new groups and entitlements', async () => {
    const trust = fakeTrust();
    await seed(trust);
    trust.groups.delete('nudify-watch');
    const { report, error } = await seed(trust, {});
    expect(error).toBeUndefined();
    expect(report.organisations.every((o) => o.outcome === 'exists' && o.orgId === null && o.key === 'none')).toBe(true);
    expect(report.sharingGroups[0]).toEqual({ name: 'nudify-watch', groupId: expect.any(String), outcome: 'created', members: 0, missingMembers: ['Demo NGO A', 'Demo NGO B', 'Demo Hotline A', 'Demo Platform A'] });
    expect(report.entitlements).toEqual([{ org: 'Demo Search Engine A', outcome: 'skipped' }]);
  });

  it('issues a key for an organisation the keys file knows without one (a run stopped between the two calls)', async () => {
    const trust = fakeTrust();
    const first = await seed(trust);
    const entry = first.keys['Demo NGO B'];
    if (entry) delete entry.apiKey;
    const second = await seed(trust, first.keys);
    expect(second.report.organisations.find((o) => o.name === 'Demo NGO B')).toMatchObject({ outcome: 'exists', key: 'issued' });
    expect(trust.count('issueApiKey')).toBe(8);
    expect(second.keys['Demo NGO B']?.apiKey).toMatch(/^smk_/);
  });

  it('stops at another error and returns it with what was done, the keys issued so far saved', async () => {
    const trust = fakeTrust({ failOn: 'Demo NGO A' });
    const { report, error, saved } = await seed(trust);
    expect(error).toMatchObject({ code: GrpcStatus.UNAVAILABLE });
    expect(report.organisations.map((o) => o.name)).toEqual(['Demo Platform A', 'Demo Platform B']);
    expect(report.sharingGroups).toEqual([]);
    expect(Object.keys(JSON.parse(saved.at(-1) ?? '{}') as DemoKeys)).toEqual(['Demo Platform A', 'Demo Platform B']);
  });
});

describe('signal-mesh admin demo-seed', () => {
  let dir: string;
  let keyFile: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'signal-mesh-demo-'));
    keyFile = join(dir, 'operator-key');
    writeFileSync(keyFile, 'smk_operator00000_KEYFROMFILE\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const demoSeed = (trust: ReturnType<typeof fakeTrust>, out: string, io = fakeIo()) => run(['admin', '--key-file', keyFile, 'demo-seed', '--out', out], io, { connectTrustAdmin: () => trust.client });

  it('writes the keys file with mode 0600 and prints only a summary with its path, twice without crashing', async () => {
    const trust = fakeTrust();
    const out = join(dir, 'nested', 'demo-keys.json');
    const io = fakeIo();
    expect(await demoSeed(trust, out, io)).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const keys = JSON.parse(readFileSync(out, 'utf8')) as DemoKeys;
    expect(Object.keys(keys)).toHaveLength(7);
    expect(io.out).toHaveLength(1);
    const summary = JSON.parse(io.out[0] ?? '{}') as { keysFile: string; organisations: unknown[] };
    expect(summary.keysFile).toBe(out);
    expect(summary.organisations).toHaveLength(7);
    for (const entry of Object.values(keys)) {
      expect(entry.apiKey).toMatch(/^smk_/);
      expect(io.out.join('') + io.err.join('')).not.toContain(entry.apiKey);
    }

    const again = fakeIo();
    expect(await demoSeed(trust, out, again)).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(keys);
    expect(JSON.parse(again.out[0] ?? '{}')).toMatchObject({ organisations: expect.arrayContaining([expect.objectContaining({ outcome: 'exists', key: 'kept' })]) });
  });

  it('refuses a file that is not a keys file (exit 2) before calling the service, and leaves it alone', async () => {
    const trust = fakeTrust();
    const out = join(dir, 'notes.json');
    writeFileSync(out, '["not", "a", "keys file"]');
    const io = fakeIo();
    expect(await demoSeed(trust, out, io)).toBe(2);
    expect(JSON.parse(io.out[0] ?? '{}')).toMatchObject({ keysFile: out, error: { code: 'DEMO_KEYS_FILE_INVALID' } });
    expect(trust.calls).toEqual([]);
    expect(readFileSync(out, 'utf8')).toBe('["not", "a", "keys file"]');
  });

  it('prints the coded error with the partial summary and exits 1 when the service refuses', async () => {
    const trust = fakeTrust();
    trust.client.createOrganisation = () => Promise.reject(serviceError(GrpcStatus.PERMISSION_DENIED, 'NOT_OPERATOR', 'only operator organisations may administer'));
    const out = join(dir, 'demo-keys.json');
    const io = fakeIo();
    expect(await demoSeed(trust, out, io)).toBe(1);
    expect(JSON.parse(io.out[0] ?? '{}')).toEqual({
      keysFile: out,
      organisations: [],
      sharingGroups: [],
      entitlements: [],
      error: { code: 'NOT_OPERATOR', message: 'only operator organisations may administer', status: 'PERMISSION_DENIED' },
    });
    expect(await readDemoKeys(out)).toEqual({});
  });
});

describe(readDemoKeys.name, () => {
  it('reads a missing file as empty and refuses one that is not JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signal-mesh-demo-'));
    try {
      expect(await readDemoKeys(join(dir, 'absent.json'))).toEqual({});
      writeFileSync(join(dir, 'broken.json'), '{');
      await expect(readDemoKeys(join(dir, 'broken.json'))).rejects.toMatchObject({ code: 'DEMO_KEYS_FILE_INVALID' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
