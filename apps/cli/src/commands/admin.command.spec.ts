import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { ApiKeyScope, ErrorDetail, OrganisationKind, OrganisationStatus } from '@signal-mesh/contracts';
import { GrpcStatus, Metadata } from '@signal-mesh/transport-grpc';

import type { CliIo } from '../io';
import { run } from '../main';
import { adminErrorOf, type TrustAdmin } from './admin.command';

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

describe(adminErrorOf.name, () => {
  it('names an unreachable service TRUST_UNAVAILABLE', () => {
    const err = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: GrpcStatus.UNAVAILABLE, details: 'No connection established', metadata: new Metadata() });
    expect(adminErrorOf(err)).toEqual({ code: 'TRUST_UNAVAILABLE', message: 'No connection established', status: 'UNAVAILABLE' });
  });
});
