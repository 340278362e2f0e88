import type { OrganisationRecord } from '@signal-mesh/trust-data-access';
import { type ApiKeyRecord, generateApiKey, hashSecret } from '@signal-mesh/trust-domain';

import { Authenticator } from './authenticator';
import { FailureThrottle } from './failure-throttle';

const t0 = new Date('2025-01-01T00:00:00Z');

function setup({ burst = 3 } = {}) {
  let now = t0.getTime();
  const generated = generateApiKey();
  const org: OrganisationRecord = { orgId: 'org_1', name: 'p', kind: 'PLATFORM', tier: 2, status: 'ACTIVE', createdAt: t0, updatedAt: t0 };
  const keys = new Map<string, ApiKeyRecord>([[generated.keyId, { keyId: generated.keyId, orgId: 'org_1', scopes: ['CONTRIBUTE'], secretHash: hashSecret(generated.secret), createdAt: t0 }]]);
  const orgs = new Map([[org.orgId, org]]);
  const mocks = {
    apiKeys: { findByKeyId: jest.fn(async (id: string) => keys.get(id)) },
    organisations: { findById: jest.fn(async (id: string) => orgs.get(id)) },
  };
  const throttle = new FailureThrottle({ burst, perMinute: 60, now: () => now });
  const sut = new Authenticator({ ...mocks, throttle, now: () => new Date(now) });
  const code = async (presented: string | undefined, client = 'ipv4:10.0.0.1') => {
    const r = await sut.authenticate(presented, client);
    return r.ok ? 'OK' : r.error.code;
  };
  return { sut, mocks, generated, keys, orgs, org, code, advance: (ms: number) => (now += ms) };
}

describe(Authenticator.name, () => {
  it('resolves a good key to its organisation and key', async () => {
    const { sut, generated } = setup();
    const result = await sut.authenticate(generated.apiKey, 'c');
    expect(result).toMatchObject({ ok: true, caller: { org: { orgId: 'org_1' }, key: { keyId: generated.keyId } } });
  });

  it('refuses a missing, malformed, unknown or wrong key, without revealing which of the last two', async () => {
    const { code, generated } = setup({ burst: 100 });
    expect(await code(undefined)).toBe('API_KEY_MISSING');
    expect(await code('')).toBe('API_KEY_MISSING');
    expect(await code('smk_nope')).toBe('API_KEY_MALFORMED');
    expect(await code(generateApiKey().apiKey)).toBe('API_KEY_INVALID');
    expect(await code(`smk_${generated.keyId}_${generateApiKey().secret}`)).toBe('API_KEY_INVALID');
  });

  it('refuses revoked and expired keys, and keys of suspended or vanished organisations', async () => {
    const { code, generated, keys, orgs, org } = setup({ burst: 100 });
    const record = keys.get(generated.keyId) as ApiKeyRecord;
    keys.set(generated.keyId, { ...record, expiresAt: t0 });
    expect(await code(generated.apiKey)).toBe('API_KEY_EXPIRED');
    keys.set(generated.keyId, { ...record, revokedAt: new Date(t0.getTime() + 1) });
    expect(await code(generated.apiKey)).toBe('API_KEY_REVOKED');
    keys.set(generated.keyId, record);
    orgs.set(org.orgId, { ...org, status: 'SUSPENDED' });
    expect(await code(generated.apiKey)).toBe('ORGANISATION_SUSPENDED');
    orgs.delete(org.orgId);
    expect(await code(generated.apiKey)).toBe('API_KEY_INVALID');
  });

  it('reports the organisation only to a caller that holds the secret', async () => {
    const { sut, generated, keys } = setup({ burst: 100 });
    keys.set(generated.keyId, { ...(keys.get(generated.keyId) as ApiKeyRecord), revokedAt: t0 });
    expect(await sut.authenticate(`smk_${generated.keyId}_${generateApiKey().secret}`, 'c')).toMatchObject({ ok: false, keyId: generated.keyId, orgId: undefined });
    expect(await sut.authenticate(generated.apiKey, 'c')).toMatchObject({ ok: false, keyId: generated.keyId, orgId: 'org_1' });
  });

  it('throttles failures per client and key id, then refuses even the right secret until a token returns', async () => {
    const { code, generated, mocks, advance } = setup({ burst: 3 });
    const wrong = `smk_${generated.keyId}_${generateApiKey().secret}`;
    expect([await code(wrong), await code(wrong), await code(wrong)]).toEqual(Array(3).fill('API_KEY_INVALID'));
    expect(await code(wrong)).toBe('TOO_MANY_ATTEMPTS');
    const lookups = mocks.apiKeys.findByKeyId.mock.calls.length;
    expect(await code(generated.apiKey)).toBe('TOO_MANY_ATTEMPTS');
    expect(mocks.apiKeys.findByKeyId.mock.calls.length).toBe(lookups);
    // Other clients and other keys are not affected.
    expect(await code(generated.apiKey, 'ipv4:10.0.0.2')).toBe('OK');
    advance(1_000);
    expect(await code(generated.apiKey)).toBe('OK');
  });

  it('never counts successes against a client', async () => {
    const { code, generated } = setup({ burst: 1 });
    for (let i = 0; i < 20; i++) expect(await code(generated.apiKey)).toBe('OK');
  });

  it('audits the failure that starts a block, and not the refusals during it', async () => {
    const { sut } = setup({ burst: 1 });
    const guess = generateApiKey().apiKey;
    const audits = [];
    for (let i = 0; i < 4; i++) {
      const r = await sut.authenticate(guess, 'c');
      if (!r.ok) audits.push([r.error.code, r.audit]);
    }
    expect(audits).toEqual([
      ['API_KEY_INVALID', true],
      ['TOO_MANY_ATTEMPTS', true],
      ['TOO_MANY_ATTEMPTS', false],
      ['TOO_MANY_ATTEMPTS', false],
    ]);
  });
});
