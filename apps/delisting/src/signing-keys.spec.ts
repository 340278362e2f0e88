import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { generateSigningKeyPem, keysFromPublished, signingKeyFromPem } from '@signal-mesh/delisting-domain';
import { testLogger } from '@signal-mesh/testing';

import { loadSigningKeys } from './signing-keys';

describe(loadSigningKeys.name, () => {
  it('generates a missing key file with mode 0600 in dev, then reuses it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'delisting-keys-'));
    const keyFile = join(dir, 'nested', 'signing.pem');
    const first = await loadSigningKeys({ keyFile, generate: true, publishedKeyFiles: [], logger: testLogger() });
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const second = await loadSigningKeys({ keyFile, generate: true, publishedKeyFiles: [], logger: testLogger() });
    expect(second.signing.keyId).toBe(first.signing.keyId);
    expect(keysFromPublished(second.published).has(first.signing.keyId)).toBe(true);
    // The published document holds public material only.
    expect(JSON.stringify(second.published)).not.toContain('PRIVATE');
    expect(Object.keys(second.published.keys[0] ?? {}).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    expect(await readFile(keyFile, 'utf8')).toContain('BEGIN PRIVATE KEY');
  });

  it('refuses to start without a key when generation is off (production)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'delisting-keys-'));
    await expect(loadSigningKeys({ keyFile: join(dir, 'missing.pem'), generate: false, publishedKeyFiles: [], logger: testLogger() })).rejects.toThrow('DELISTING_SIGNING_KEY_FILE');
  });

  it('publishes extra public keys for rotation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'delisting-keys-'));
    const keyFile = join(dir, 'signing.pem');
    const oldFile = join(dir, 'old.pem');
    await writeFile(keyFile, generateSigningKeyPem(), { mode: 0o600 });
    const old = signingKeyFromPem(generateSigningKeyPem());
    await writeFile(oldFile, old.publicKey.export({ format: 'pem', type: 'spki' }).toString());
    const keys = await loadSigningKeys({ keyFile, generate: false, publishedKeyFiles: [oldFile], logger: testLogger() });
    expect(keys.published.keys.map((k) => k.kid)).toEqual([keys.signing.keyId, old.keyId]);
  });
});
