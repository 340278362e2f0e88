import { generateKeyPairSync } from 'node:crypto';

import { canonicalSnapshot, snapshotDigest } from './canonical';
import { DelistingDomainError } from './errors';
import { entryToJson } from './formats';
import { applyChanges, changeFromJson, entryFromJson, localListFromSnapshot, verifyLocalList, verifySnapshotBytes } from './local-list';
import { generateSigningKeyPem, keyIdOf, keysFromPublished, type Manifest, manifestFromJson, manifestStatement, manifestToJson, publishedKey, signingKeyFromPem, signManifest, verifyManifestSignature } from './manifest';
import { entry } from './testing.fixtures';

const key = signingKeyFromPem(generateSigningKeyPem());
const keys = keysFromPublished({ keys: [publishedKey(key.publicKey)] });
const now = new Date('2025-06-01T12:00:00.000Z');
const codeOf = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof DelistingDomainError) return err.code;
    throw err;
  }
};

function signed(entries: ReturnType<typeof entry>[], version = 3, listId = 'nudify-services'): Manifest {
  const { sha256, entryCount } = snapshotDigest(entries);
  return signManifest({ listId, version, entryCount, snapshotSha256: sha256 }, key, now);
}

describe('manifest statement and signatures', () => {
  it('signs exactly the statement format of delisting.proto', () => {
    const sha = 'ab'.repeat(32);
    expect(manifestStatement({ listId: 'nudify-services', version: 12, entryCount: 3, snapshotSha256: sha }).toString('utf8')).toBe(`signal-mesh.delisting.manifest.v1\nnudify-services\n12\n3\n${sha}\n`);
    expect(codeOf(() => manifestStatement({ listId: 'nudify-services', version: 1.5, entryCount: 0, snapshotSha256: sha }))).toBe('INVALID_VERSION');
    expect(codeOf(() => manifestStatement({ listId: 'nudify-services', version: 1, entryCount: 0, snapshotSha256: 'AB'.repeat(32) }))).toBe('INVALID_MANIFEST');
    expect(codeOf(() => manifestStatement({ listId: 'x\ny', version: 1, entryCount: 0, snapshotSha256: sha }))).toBe('INVALID_MANIFEST');
  });

  it('verifies an authentic manifest, also after a JSON round trip', () => {
    const manifest = signed([entry(), entry()]);
    expect(manifest.signature.byteLength).toBe(64);
    expect(manifest.keyId).toBe(keyIdOf(key.publicKey));
    expect(() => verifyManifestSignature(manifest, keys)).not.toThrow();
    expect(() => verifyManifestSignature(manifestFromJson(JSON.parse(JSON.stringify(manifestToJson(manifest)))), keys)).not.toThrow();
  });

  it('detects a tampered field or signature, and an unknown key', () => {
    const manifest = signed([entry()]);
    expect(codeOf(() => verifyManifestSignature({ ...manifest, version: manifest.version + 1 }, keys))).toBe('BAD_SIGNATURE');
    expect(codeOf(() => verifyManifestSignature({ ...manifest, entryCount: 2 }, keys))).toBe('BAD_SIGNATURE');
    expect(codeOf(() => verifyManifestSignature({ ...manifest, snapshotSha256: '0'.repeat(64) }, keys))).toBe('BAD_SIGNATURE');
    expect(codeOf(() => verifyManifestSignature({ ...manifest, listId: 'other-list' }, keys))).toBe('BAD_SIGNATURE');
    const flipped = Buffer.from(manifest.signature);
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(codeOf(() => verifyManifestSignature({ ...manifest, signature: flipped }, keys))).toBe('BAD_SIGNATURE');
    expect(codeOf(() => verifyManifestSignature({ ...manifest, signature: flipped.subarray(0, 63) }, keys))).toBe('BAD_SIGNATURE');
    const other = signingKeyFromPem(generateSigningKeyPem());
    expect(codeOf(() => verifyManifestSignature(signManifest(manifest, other, now), keys))).toBe('UNKNOWN_KEY');
    // Another key published under this key's id is refused when the key set is read.
    expect(codeOf(() => keysFromPublished({ keys: [{ ...publishedKey(other.publicKey), kid: key.keyId }] }))).toBe('INVALID_KEY');
  });

  it('refuses keys that are not Ed25519', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(codeOf(() => signingKeyFromPem(rsa))).toBe('INVALID_KEY');
    expect(codeOf(() => signingKeyFromPem('-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n'))).toBe('INVALID_KEY');
  });
});

describe('verifying local copies', () => {
  const a = entry();
  const b = entry();
  const c = entry();

  it('accepts snapshot bytes and a local list that match the manifest', () => {
    const manifest = signed([a, b]);
    expect(() => verifySnapshotBytes(canonicalSnapshot([a, b]), manifest, keys)).not.toThrow();
    expect(() => verifyLocalList(localListFromSnapshot('nudify-services', 3, [b, a]), manifest, keys)).not.toThrow();
  });

  it('detects a tampered snapshot: a changed, dropped or added line', () => {
    const manifest = signed([a, b]);
    const text = canonicalSnapshot([a, b]);
    expect(codeOf(() => verifySnapshotBytes(text.replace('nudify.example.com', 'nudify.example.org'), manifest, keys))).toBe('DIGEST_MISMATCH');
    expect(codeOf(() => verifySnapshotBytes(canonicalSnapshot([a]), manifest, keys))).toBe('COUNT_MISMATCH');
    expect(codeOf(() => verifyLocalList(localListFromSnapshot('nudify-services', 3, [a, b, c]), manifest, keys))).toBe('COUNT_MISMATCH');
    expect(codeOf(() => verifyLocalList(localListFromSnapshot('nudify-services', 3, [a, { ...b, categories: ['service.nudify.x'] }]), manifest, keys))).toBe('DIGEST_MISMATCH');
    expect(codeOf(() => verifyLocalList(localListFromSnapshot('nudify-services', 4, [a, b]), manifest, keys))).toBe('LIST_MISMATCH');
  });

  it('applies changes in order, skips overlaps, fails on a gap, and ends verifiable', () => {
    const base = localListFromSnapshot('nudify-services', 1, [a]);
    const replaced = { ...a, categories: ['service.nudify', 'service.nudify.tutorial'] };
    const json = [
      { version: 1, kind: 'ADD', entry: entryToJson(a) },
      { version: 2, kind: 'ADD', entry: entryToJson(b) },
      { version: 3, kind: 'ADD', entry: entryToJson(replaced) },
      { version: 4, kind: 'REMOVE', entry: entryToJson(b) },
    ].map(changeFromJson);
    const next = applyChanges(base, json);
    expect(next.version).toBe(4);
    expect([...next.entries.values()]).toEqual([replaced]);
    expect(base.entries.size).toBe(1);
    expect(() => verifyLocalList(next, signed([replaced], 4), keys)).not.toThrow();
    expect(codeOf(() => applyChanges(base, json.slice(2)))).toBe('VERSION_GAP');
  });

  it('parses API entries strictly', () => {
    expect(entryFromJson(entryToJson(a))).toEqual(a);
    expect(codeOf(() => entryFromJson({ ...entryToJson(a), matchScope: 'ANY' }))).toBe('INVALID_ENTRY');
    expect(codeOf(() => entryFromJson({ ...entryToJson(a), signalId: 'mh_00' }))).toBe('INVALID_ENTRY');
    expect(codeOf(() => changeFromJson({ version: 1, kind: 'UPSERT', entry: entryToJson(a) }))).toBe('INVALID_ENTRY');
  });
});
