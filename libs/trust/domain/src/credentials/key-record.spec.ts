import { generateApiKey, hashSecret, parseApiKey } from './api-key';
import { credentialFailureKind } from './errors';
import { type ApiKeyRecord, checkKeyUsable, checkPresentedKey } from './key-record';

const now = new Date('2025-06-01T12:00:00.000Z');
const later = (ms: number) => new Date(now.getTime() + ms);

function keyRecord(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return { keyId: 'abcdefghijkl', orgId: 'org-ngo-1', scopes: ['CONTRIBUTE'], secretHash: hashSecret('x'), createdAt: later(-86_400_000), ...overrides };
}

describe(checkKeyUsable.name, () => {
  it('accepts a live key with the required scope', () => {
    expect(checkKeyUsable(keyRecord({ expiresAt: later(1) }), now, 'CONTRIBUTE')).toEqual({ ok: true });
    expect(checkKeyUsable(keyRecord(), now)).toEqual({ ok: true });
  });

  it('refuses a revoked key, even one revoked "in the future" and even when also expired', () => {
    expect(checkKeyUsable(keyRecord({ revokedAt: later(-1) }), now)).toEqual({ ok: false, code: 'API_KEY_REVOKED' });
    expect(checkKeyUsable(keyRecord({ revokedAt: later(60_000) }), now)).toEqual({ ok: false, code: 'API_KEY_REVOKED' });
    expect(checkKeyUsable(keyRecord({ revokedAt: later(-1), expiresAt: later(-1) }), now)).toEqual({ ok: false, code: 'API_KEY_REVOKED' });
  });

  it('refuses a key from the instant it expires', () => {
    expect(checkKeyUsable(keyRecord({ expiresAt: now }), now)).toEqual({ ok: false, code: 'API_KEY_EXPIRED' });
    expect(checkKeyUsable(keyRecord({ expiresAt: later(1) }), now).ok).toBe(true);
  });

  it('refuses a scope the key lacks; ADMIN does not imply the others', () => {
    expect(checkKeyUsable(keyRecord({ scopes: ['SUBSCRIBE'] }), now, 'CONTRIBUTE')).toEqual({ ok: false, code: 'API_KEY_WRONG_SCOPE' });
    expect(checkKeyUsable(keyRecord({ scopes: ['ADMIN'] }), now, 'SUBSCRIBE')).toEqual({ ok: false, code: 'API_KEY_WRONG_SCOPE' });
    expect(checkKeyUsable(keyRecord({ scopes: ['ADMIN', 'SUBSCRIBE'] }), now, 'ADMIN').ok).toBe(true);
  });
});

describe(checkPresentedKey.name, () => {
  const issued = generateApiKey();
  const stored = keyRecord({ keyId: issued.keyId, secretHash: hashSecret(issued.secret), scopes: ['SUBSCRIBE'] });

  it('authenticates the right key', () => {
    expect(checkPresentedKey(parseApiKey(issued.apiKey), stored, now, 'SUBSCRIBE')).toEqual({ ok: true });
  });

  it('answers API_KEY_INVALID alike for an unknown key id and a wrong secret', () => {
    const wrongSecret = parseApiKey(`smk_${issued.keyId}_${generateApiKey().secret}`);
    expect(checkPresentedKey(parseApiKey(issued.apiKey), undefined, now)).toEqual({ ok: false, code: 'API_KEY_INVALID' });
    expect(checkPresentedKey(wrongSecret, stored, now)).toEqual({ ok: false, code: 'API_KEY_INVALID' });
  });

  it('refuses a record found under another key id', () => {
    expect(checkPresentedKey(parseApiKey(issued.apiKey), { ...stored, keyId: 'zzzzzzzzzzzz' }, now)).toEqual({ ok: false, code: 'API_KEY_INVALID' });
  });

  it('hides revocation, expiry and scope from a caller without the secret', () => {
    const wrongSecret = parseApiKey(`smk_${issued.keyId}_${generateApiKey().secret}`);
    expect(checkPresentedKey(wrongSecret, { ...stored, revokedAt: now }, now, 'ADMIN')).toEqual({ ok: false, code: 'API_KEY_INVALID' });
  });

  it('reports revoked, expired and wrong-scope keys to their holder', () => {
    const key = parseApiKey(issued.apiKey);
    expect(checkPresentedKey(key, { ...stored, revokedAt: now }, now)).toEqual({ ok: false, code: 'API_KEY_REVOKED' });
    expect(checkPresentedKey(key, { ...stored, expiresAt: now }, now)).toEqual({ ok: false, code: 'API_KEY_EXPIRED' });
    expect(checkPresentedKey(key, stored, now, 'CONTRIBUTE')).toEqual({ ok: false, code: 'API_KEY_WRONG_SCOPE' });
  });
});

describe(credentialFailureKind.name, () => {
  it('maps authentication failures to UNAUTHENTICATED, scope to PERMISSION_DENIED, limiting to RATE_LIMITED', () => {
    expect(['API_KEY_MALFORMED', 'API_KEY_INVALID', 'API_KEY_REVOKED', 'API_KEY_EXPIRED'].map((c) => credentialFailureKind(c as never))).toEqual(Array(4).fill('UNAUTHENTICATED'));
    expect(credentialFailureKind('API_KEY_WRONG_SCOPE')).toBe('PERMISSION_DENIED');
    expect(credentialFailureKind('TOO_MANY_ATTEMPTS')).toBe('RATE_LIMITED');
  });
});
