import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { ApiKeyScope, ErrorDetail, OrganisationKind, OrganisationStatus, SignalType } from '@signal-mesh/contracts';
import { GrpcStatus, Metadata } from '@signal-mesh/transport-grpc';
import { InvalidArgumentError } from 'commander';

import type { CliIo } from '../io';
import { run } from '../main';
import { adminErrorOf, durationToProto, parseDuration, parseEntitlementRule, type TrustAdmin } from './admin.command';

function fakeIo(env: Record<string, string> = {}): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { stdin: Readable.from(['']), stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env, out, err };
}

const org = (overrides = {}) => ({
  orgId: 'org-1',
  name: 'Example NGO',
  kind: OrganisationKind.ORGANISATION_KIND_NGO,
  tier: 2,
  status: OrganisationStatus.ORGANISATION_STATUS_ACTIVE,
  suspensionReason: '',
  createdAt: new Date('2026-01-01T00:00:00Z'),
  ...overrides,
});
const apiKey = { keyId: 'abcdefghijkl', orgId: 'org-1', label: 'ingest', scopes: [ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE, ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE] };
const group = (memberOrgIds: string[]) => ({ groupId: 'grp-1', name: 'nudify-watch', description: 'synthetic', memberOrgIds, createdAt: new Date('2026-01-01T00:00:00Z') });

/** A TrustAdmin that records its calls and the address/key it was opened with. */
function fakeAdmin(overrides: Partial<TrustAdmin> = {}) {
  const calls: { method: string; request: unknown }[] = [];
  const opened: { address: string; key: string }[] = [];
  let closed = 0;
  const record =
    <R>(method: string, res: R) =>
    async (request: unknown) => {
      calls.push({ method, request });
      return res;
    };
  const admin: TrustAdmin = {
    createOrganisation: record('createOrganisation', { organisation: org() }),
    issueApiKey: record('issueApiKey', { apiKey, secret: 'smk_abcdefghijkl_SECRET' }),
    revokeApiKey: record('revokeApiKey', { apiKey: { ...apiKey, revokedAt: new Date('2026-01-02T00:00:00Z') } }),
    suspendOrganisation: record('suspendOrganisation', { organisation: org({ status: OrganisationStatus.ORGANISATION_STATUS_SUSPENDED, suspensionReason: 'review' }) }),
    reinstateOrganisation: record('reinstateOrganisation', { organisation: org() }),
    rotateApiKey: record('rotateApiKey', {
      newApiKey: { ...apiKey, keyId: 'mnopqrstuvwx' },
      secret: 'smk_mnopqrstuvwx_NEWSECRET',
      oldApiKey: { ...apiKey, expiresAt: new Date('2026-01-01T00:10:00Z') },
    }),
    setTrustTier: record('setTrustTier', { organisation: org({ tier: 4 }) }),
    createSharingGroup: record('createSharingGroup', { sharingGroup: group(['org-1', 'org-2']) }),
    addGroupMember: record('addGroupMember', { sharingGroup: group(['org-1', 'org-2', 'org-3']) }),
    removeGroupMember: record('removeGroupMember', { sharingGroup: group(['org-2']) }),
    setEntitlements: record('setEntitlements', { entitlements: { orgId: 'org-1', receive: [{ signalType: SignalType.SIGNAL_TYPE_URL, categories: ['service.nudify'] }], contribute: [] } }),
    close: () => void closed++,
    ...overrides,
  };
  const connect = (address: string, key: string) => {
    opened.push({ address, key });
    return admin;
  };
  return { connect, calls, opened, closed: () => closed };
}

/** Runs `signal-mesh admin …` with the fake client. */
async function runAdmin(argv: string[], fake: ReturnType<typeof fakeAdmin>, io = fakeIo()): Promise<number> {
  return run(['admin', ...argv], io, { connectTrustAdmin: fake.connect });
}

describe('signal-mesh admin', () => {
  let dir: string;
  let keyFile: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'signal-mesh-admin-'));
    keyFile = join(dir, 'operator-key');
    writeFileSync(keyFile, 'smk_operator00000_KEYFROMFILE\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('org create sends name, kind and tier with the key file’s key and prints the organisation', async () => {
    const fake = fakeAdmin();
    const io = fakeIo();
    expect(await runAdmin(['--key-file', keyFile, '--trust', 'trust:1234', 'org', 'create', '--name', 'Example NGO', '--kind', 'ngo', '--tier', '2'], fake, io)).toBe(0);
    expect(fake.opened).toEqual([{ address: 'trust:1234', key: 'smk_operator00000_KEYFROMFILE' }]);
    expect(fake.calls).toEqual([{ method: 'createOrganisation', request: { name: 'Example NGO', kind: OrganisationKind.ORGANISATION_KIND_NGO, tier: 2 } }]);
    expect(JSON.parse(io.out.join(''))).toEqual({
      organisation: { orgId: 'org-1', name: 'Example NGO', kind: 'ORGANISATION_KIND_NGO', tier: 2, status: 'ORGANISATION_STATUS_ACTIVE', createdAt: '2026-01-01T00:00:00.000Z' },
    });
    expect(fake.closed()).toBe(1);
    expect(io.out.join('') + io.err.join('')).not.toContain('KEYFROMFILE');
  });

  it('uses SIGNAL_MESH_API_KEY (through util-config) when no --key-file is given, and 127.0.0.1:50061 by default', async () => {
    const fake = fakeAdmin();
    expect(await runAdmin(['org', 'reinstate', '--org', 'org-1'], fake, fakeIo({ SIGNAL_MESH_API_KEY: 'smk_fromenv00000_ENV' }))).toBe(0);
    expect(fake.opened).toEqual([{ address: '127.0.0.1:50061', key: 'smk_fromenv00000_ENV' }]);
    expect(fake.calls).toEqual([{ method: 'reinstateOrganisation', request: { orgId: 'org-1' } }]);
  });

  it('key issue maps scopes and prints the secret once, with a warning on stderr', async () => {
    const fake = fakeAdmin();
    const io = fakeIo();
    expect(await runAdmin(['--key-file', keyFile, 'key', 'issue', '--org', 'org-1', '--scope', 'contribute', 'subscribe', '--label', 'ingest'], fake, io)).toBe(0);
    expect(fake.calls[0]).toEqual({ method: 'issueApiKey', request: { orgId: 'org-1', label: 'ingest', scopes: [ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE, ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE], expiresAt: undefined } });
    expect(io.out).toHaveLength(1);
    expect(JSON.parse(io.out[0] ?? '{}')).toEqual({
      apiKey: { keyId: 'abcdefghijkl', orgId: 'org-1', label: 'ingest', scopes: ['API_KEY_SCOPE_CONTRIBUTE', 'API_KEY_SCOPE_SUBSCRIBE'] },
      secret: 'smk_abcdefghijkl_SECRET',
    });
    expect(io.err.join('')).toContain('not shown again');
  });

  it('key revoke and org suspend send what they are given', async () => {
    const fake = fakeAdmin();
    const io = fakeIo();
    expect(await runAdmin(['--key-file', keyFile, 'key', 'revoke', '--key-id', 'abcdefghijkl'], fake, io)).toBe(0);
    expect(await runAdmin(['--key-file', keyFile, 'org', 'suspend', '--org', 'org-1', '--reason', 'review'], fake, io)).toBe(0);
    expect(fake.calls).toEqual([
      { method: 'revokeApiKey', request: { keyId: 'abcdefghijkl' } },
      { method: 'suspendOrganisation', request: { orgId: 'org-1', reason: 'review' } },
    ]);
    expect(JSON.parse(io.out[0] ?? '{}')).toMatchObject({ apiKey: { revokedAt: '2026-01-02T00:00:00.000Z' } });
    expect(JSON.parse(io.out[1] ?? '{}')).toMatchObject({ organisation: { status: 'ORGANISATION_STATUS_SUSPENDED', suspensionReason: 'review' } });
  });

  it('prints the service’s coded error and exits 1 when the call is refused', async () => {
    const metadata = new Metadata();
    metadata.set('signalmesh-error-bin', Buffer.from(ErrorDetail.encode(ErrorDetail.fromPartial({ code: 'NOT_OPERATOR', message: 'only operator keys may administer' })).finish()));
    const refused = Object.assign(new Error('7 PERMISSION_DENIED: NOT_OPERATOR'), { code: GrpcStatus.PERMISSION_DENIED, details: 'NOT_OPERATOR: only operator keys may administer', metadata });
    const fake = fakeAdmin({ createOrganisation: () => Promise.reject(refused) });
    const io = fakeIo();
    expect(await runAdmin(['--key-file', keyFile, 'org', 'create', '--name', 'x', '--kind', 'platform', '--tier', '1'], fake, io)).toBe(1);
    expect(JSON.parse(io.out[0] ?? '{}')).toEqual({ error: { code: 'NOT_OPERATOR', message: 'only operator keys may administer', status: 'PERMISSION_DENIED' } });
    expect(fake.closed()).toBe(1);
  });

  it('exits 2 with API_KEY_FILE_UNREADABLE, without connecting, when there is no key', async () => {
    const fake = fakeAdmin();
    const io = fakeIo();
    expect(await runAdmin(['--key-file', join(dir, 'missing'), 'key', 'revoke', '--key-id', 'abcdefghijkl'], fake, io)).toBe(2);
    expect(JSON.parse(io.out[0] ?? '{}')).toMatchObject({ error: { code: 'API_KEY_FILE_UNREADABLE' } });
    expect(fake.opened).toEqual([]);
  });

  it('rejects a tier outside 1–4 and an unknown kind with usage help', async () => {
    for (const args of [
      ['org', 'create', '--name', 'x', '--kind', 'ngo', '--tier', '5'],
      ['org', 'create', '--name', 'x', '--kind', 'bank', '--tier', '1'],
    ]) {
      const io = fakeIo();
      expect(await runAdmin(args, fakeAdmin(), io)).toBe(1);
      expect(io.err.join('')).toContain('Usage: signal-mesh admin org create');
    }
  });
});

describe('signal-mesh admin (tiers, rotation, groups, entitlements)', () => {
  let dir: string;
  let keyFile: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'signal-mesh-admin-'));
    keyFile = join(dir, 'operator-key');
    writeFileSync(keyFile, 'smk_operator00000_KEYFROMFILE\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const admin = (argv: string[], fake: ReturnType<typeof fakeAdmin>, io = fakeIo()) => runAdmin(['--key-file', keyFile, ...argv], fake, io);

  it('key rotate sends the grace period as a Duration and prints the new key, its secret once, and the old key', async () => {
    const fake = fakeAdmin();
    const io = fakeIo();
    expect(await admin(['key', 'rotate', '--key-id', 'abcdefghijkl', '--grace', '10m'], fake, io)).toBe(0);
    expect(fake.calls).toEqual([{ method: 'rotateApiKey', request: { keyId: 'abcdefghijkl', gracePeriod: { seconds: '600', nanos: 0 } } }]);
    expect(io.out).toHaveLength(1);
    expect(JSON.parse(io.out[0] ?? '{}')).toEqual({
      newApiKey: { keyId: 'mnopqrstuvwx', orgId: 'org-1', label: 'ingest', scopes: ['API_KEY_SCOPE_CONTRIBUTE', 'API_KEY_SCOPE_SUBSCRIBE'] },
      secret: 'smk_mnopqrstuvwx_NEWSECRET',
      oldApiKey: { keyId: 'abcdefghijkl', orgId: 'org-1', label: 'ingest', scopes: ['API_KEY_SCOPE_CONTRIBUTE', 'API_KEY_SCOPE_SUBSCRIBE'], expiresAt: '2026-01-01T00:10:00.000Z' },
    });
    expect(io.err.join('')).toContain('not shown again');
  });

  it('key rotate without --grace leaves the grace period unset (the old key is revoked at once)', async () => {
    const fake = fakeAdmin();
    expect(await admin(['key', 'rotate', '--key-id', 'abcdefghijkl'], fake)).toBe(0);
    expect(fake.calls).toEqual([{ method: 'rotateApiKey', request: { keyId: 'abcdefghijkl', gracePeriod: undefined } }]);
  });

  it('org tier sends the tier and prints the organisation', async () => {
    const fake = fakeAdmin();
    const io = fakeIo();
    expect(await admin(['org', 'tier', '--org', 'org-1', '--tier', '4'], fake, io)).toBe(0);
    expect(fake.calls).toEqual([{ method: 'setTrustTier', request: { orgId: 'org-1', tier: 4 } }]);
    expect(JSON.parse(io.out[0] ?? '{}')).toMatchObject({ organisation: { orgId: 'org-1', tier: 4 } });
  });

  it('group create takes members as a list or repeated, without duplicates; add and remove name group and org', async () => {
    const fake = fakeAdmin();
    const io = fakeIo();
    expect(await admin(['group', 'create', '--name', 'nudify-watch', '--description', 'synthetic', '--member', 'org-1', 'org-2', '--member', 'org-1'], fake, io)).toBe(0);
    expect(await admin(['group', 'create', '--name', 'empty-group'], fake, io)).toBe(0);
    expect(await admin(['group', 'add', '--group', 'grp-1', '--org', 'org-3'], fake, io)).toBe(0);
    expect(await admin(['group', 'remove', '--group', 'grp-1', '--org', 'org-1'], fake, io)).toBe(0);
    expect(fake.calls).toEqual([
      { method: 'createSharingGroup', request: { name: 'nudify-watch', description: 'synthetic', memberOrgIds: ['org-1', 'org-2'] } },
      { method: 'createSharingGroup', request: { name: 'empty-group', description: '', memberOrgIds: [] } },
      { method: 'addGroupMember', request: { groupId: 'grp-1', orgId: 'org-3' } },
      { method: 'removeGroupMember', request: { groupId: 'grp-1', orgId: 'org-1' } },
    ]);
    expect(JSON.parse(io.out[0] ?? '{}')).toEqual({ sharingGroup: { groupId: 'grp-1', name: 'nudify-watch', description: 'synthetic', memberOrgIds: ['org-1', 'org-2'], createdAt: '2026-01-01T00:00:00.000Z' } });
    expect(JSON.parse(io.out[3] ?? '{}')).toMatchObject({ sharingGroup: { memberOrgIds: ['org-2'] } });
  });

  it('entitlements set sends the complete rule lists (replace), each rule mapped from type[:categories]', async () => {
    const fake = fakeAdmin();
    const io = fakeIo();
    expect(await admin(['entitlements', 'set', '--org', 'org-1', '--receive', 'url:service.nudify,service.nudify.tutorial', 'model-hash', '--contribute', 'url:service.nudify', '--receive', 'prompt-pattern'], fake, io)).toBe(0);
    expect(fake.calls[0]).toEqual({
      method: 'setEntitlements',
      request: {
        entitlements: {
          orgId: 'org-1',
          receive: [
            { signalType: SignalType.SIGNAL_TYPE_URL, categories: ['service.nudify', 'service.nudify.tutorial'] },
            { signalType: SignalType.SIGNAL_TYPE_MODEL_HASH, categories: [] },
            { signalType: SignalType.SIGNAL_TYPE_PROMPT_PATTERN, categories: [] },
          ],
          contribute: [{ signalType: SignalType.SIGNAL_TYPE_URL, categories: ['service.nudify'] }],
        },
      },
    });
    expect(JSON.parse(io.out[0] ?? '{}')).toEqual({ entitlements: { orgId: 'org-1', receive: [{ signalType: 'SIGNAL_TYPE_URL', categories: ['service.nudify'] }], contribute: [] } });
  });

  it('entitlements set with no rules sends empty lists: the organisation then receives and contributes nothing', async () => {
    const fake = fakeAdmin();
    expect(await admin(['entitlements', 'set', '--org', 'org-1'], fake)).toBe(0);
    expect(fake.calls[0]).toEqual({ method: 'setEntitlements', request: { entitlements: { orgId: 'org-1', receive: [], contribute: [] } } });
  });

  it('says in its help that entitlements set replaces', async () => {
    const io = fakeIo();
    expect(await admin(['entitlements', 'set', '--help'], fakeAdmin(), io)).toBe(0);
    expect(io.out.join('')).toMatch(/REPLACE[\s\S]*never merged/);
  });

  it('rejects a bad duration, tier, rule type or empty category with usage help, without connecting', async () => {
    for (const args of [
      ['key', 'rotate', '--key-id', 'abcdefghijkl', '--grace', 'ten minutes'],
      ['org', 'tier', '--org', 'org-1', '--tier', '0'],
      ['entitlements', 'set', '--org', 'org-1', '--receive', 'email'],
      ['entitlements', 'set', '--org', 'org-1', '--contribute', 'url:service.nudify,'],
    ]) {
      const fake = fakeAdmin();
      const io = fakeIo();
      expect(await admin(args, fake, io)).toBe(1);
      expect(io.err.join('')).toContain(`Usage: signal-mesh admin ${args[0]} ${args[1]}`);
      expect(fake.opened).toEqual([]);
    }
  });

  it('prints a coded NOT_FOUND error from the new commands and exits 1', async () => {
    const metadata = new Metadata();
    metadata.set('signalmesh-error-bin', Buffer.from(ErrorDetail.encode(ErrorDetail.fromPartial({ code: 'SHARING_GROUP_NOT_FOUND', message: 'no such sharing group' })).finish()));
    const notFound = Object.assign(new Error('5 NOT_FOUND: no such sharing group'), { code: GrpcStatus.NOT_FOUND, details: 'no such sharing group', metadata });
    const fake = fakeAdmin({ addGroupMember: () => Promise.reject(notFound) });
    const io = fakeIo();
    expect(await admin(['group', 'add', '--group', 'grp-missing', '--org', 'org-1'], fake, io)).toBe(1);
    expect(JSON.parse(io.out[0] ?? '{}')).toEqual({ error: { code: 'SHARING_GROUP_NOT_FOUND', message: 'no such sharing group', status: 'NOT_FOUND' } });
    expect(io.err.join('')).not.toMatch(/\bat .*:\d+/);
  });
});

describe(parseDuration.name, () => {
  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['24h', 86_400_000],
    ['1h30m', 5_400_000],
    ['7d', 604_800_000],
    ['0', 0],
    [' 5m ', 300_000],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', '-5m', '1.5h', '10 m', '1w', 'm', '10mins'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(InvalidArgumentError);
  });

  it('maps to a protobuf Duration', () => {
    expect(durationToProto(parseDuration('1h30m'))).toEqual({ seconds: '5400', nanos: 0 });
    expect(durationToProto(1_500)).toEqual({ seconds: '1', nanos: 500_000_000 });
  });
});

describe(parseEntitlementRule.name, () => {
  it('maps a bare type to a whole-type rule', () => {
    expect(parseEntitlementRule('model-hash')).toEqual({ signalType: SignalType.SIGNAL_TYPE_MODEL_HASH, categories: [] });
    expect(parseEntitlementRule('prompt-pattern')).toEqual({ signalType: SignalType.SIGNAL_TYPE_PROMPT_PATTERN, categories: [] });
  });

  it('maps type:categories, trimming and collapsing duplicates', () => {
    expect(parseEntitlementRule('url:service.nudify, service.nudify.tutorial,service.nudify')).toEqual({ signalType: SignalType.SIGNAL_TYPE_URL, categories: ['service.nudify', 'service.nudify.tutorial'] });
  });

  it.each(['', 'email', 'URL', 'url:', 'url:a,,b', ':service.nudify'])('refuses %j', (text) => {
    expect(() => parseEntitlementRule(text)).toThrow(InvalidArgumentError);
  });
});

describe(adminErrorOf.name, () => {
  it('names an unreachable service TRUST_UNAVAILABLE', () => {
    const err = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: GrpcStatus.UNAVAILABLE, details: 'No connection established', metadata: new Metadata() });
    expect(adminErrorOf(err)).toEqual({ code: 'TRUST_UNAVAILABLE', message: 'No connection established', status: 'UNAVAILABLE' });
  });
});
