import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject, sign, verify } from 'node:crypto';

import { DelistingDomainError } from './errors';
import { assertVersion } from './model';

/** First line of every manifest statement. */
export const MANIFEST_STATEMENT_PREFIX = 'signal-mesh.delisting.manifest.v1';

/** What a manifest attests. */
export interface ManifestContent {
  readonly listId: string;
  readonly version: number;
  readonly entryCount: number;
  /** Lowercase hex SHA-256 of the canonical snapshot at `version`. */
  readonly snapshotSha256: string;
}

export interface Manifest extends ManifestContent {
  readonly keyId: string;
  /** 64-byte Ed25519 signature of manifestStatement(content). */
  readonly signature: Uint8Array;
  readonly createdAt: Date;
}

const SHA256_RE = /^[0-9a-f]{64}$/;
const LIST_ID_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * The signed bytes (delisting.proto, DelistManifest): UTF-8 of
 * "signal-mesh.delisting.manifest.v1\n<list_id>\n<version>\n<entry_count>\n<snapshot_sha256>\n", integers in decimal.
 */
export function manifestStatement(content: ManifestContent): Buffer {
  if (!LIST_ID_RE.test(content.listId)) throw new DelistingDomainError('INVALID_MANIFEST', 'list id must be lowercase letters, digits and dashes');
  assertVersion(content.version);
  assertVersion(content.entryCount, 'entry count');
  if (!SHA256_RE.test(content.snapshotSha256)) throw new DelistingDomainError('INVALID_MANIFEST', 'snapshot_sha256 must be 64 lowercase hex digits');
  return Buffer.from(`${MANIFEST_STATEMENT_PREFIX}\n${content.listId}\n${content.version}\n${content.entryCount}\n${content.snapshotSha256}\n`, 'utf8');
}

export interface SigningKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

function requireEd25519(key: KeyObject): void {
  if (key.asymmetricKeyType !== 'ed25519') throw new DelistingDomainError('INVALID_KEY', `an Ed25519 key is required, got ${key.asymmetricKeyType ?? key.type}`);
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of an Ed25519 public key: the key id. */
export function keyIdOf(publicKey: KeyObject): string {
  requireEd25519(publicKey);
  const { x } = publicKey.export({ format: 'jwk' });
  return createHash('sha256').update(JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x })).digest('base64url');
}

/** A signing key from a PKCS#8 PEM; INVALID_KEY for anything else (the message never contains key material). */
export function signingKeyFromPem(pem: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new DelistingDomainError('INVALID_KEY', 'the signing key is not a readable PEM private key');
  }
  requireEd25519(privateKey);
  const publicKey = createPublicKey(privateKey);
  return { keyId: keyIdOf(publicKey), privateKey, publicKey };
}

/** A verification key from a PEM (SPKI public key, or a private key whose public half is taken); INVALID_KEY otherwise. */
export function publicKeyFromPem(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new DelistingDomainError('INVALID_KEY', 'not a readable PEM public key');
  }
  requireEd25519(key);
  return key;
}

/** A new Ed25519 key as PKCS#8 PEM (dev: written to the key file when it does not exist). */
export function generateSigningKeyPem(): string {
  return generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

export function signManifest(content: ManifestContent, key: SigningKey, createdAt: Date): Manifest {
  const signature = sign(null, manifestStatement(content), key.privateKey);
  return { listId: content.listId, version: content.version, entryCount: content.entryCount, snapshotSha256: content.snapshotSha256, keyId: key.keyId, signature, createdAt };
}

/** Throws UNKNOWN_KEY (key id not among `keys`) or BAD_SIGNATURE; resolves nothing when the manifest is authentic. */
export function verifyManifestSignature(manifest: Manifest, keys: ReadonlyMap<string, KeyObject>): void {
  const key = keys.get(manifest.keyId);
  if (!key) throw new DelistingDomainError('UNKNOWN_KEY', `the manifest is signed by key "${manifest.keyId.slice(0, 64)}", which is not among the published keys`);
  const statement = manifestStatement(manifest);
  if (manifest.signature.byteLength !== 64 || !verify(null, statement, key, manifest.signature)) throw new DelistingDomainError('BAD_SIGNATURE', 'the manifest signature does not verify');
}

/** One published key (JWK, RFC 8037) as served at /.well-known/signal-mesh/delisting-keys.json. */
export interface PublishedKey {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

export interface PublishedKeys {
  keys: PublishedKey[];
}

export function publishedKey(publicKey: KeyObject): PublishedKey {
  requireEd25519(publicKey);
  const { x } = publicKey.export({ format: 'jwk' });
  return { kty: 'OKP', crv: 'Ed25519', x: x ?? '', kid: keyIdOf(publicKey), alg: 'EdDSA', use: 'sig' };
}

/**
 * The verification keys of a published key set, by key id. A key whose `kid` is not its thumbprint is refused
 * (INVALID_KEY): the id a manifest names must identify exactly one key.
 */
export function keysFromPublished(document: unknown): Map<string, KeyObject> {
  const keys = (document as Partial<PublishedKeys> | null)?.keys;
  if (!Array.isArray(keys)) throw new DelistingDomainError('INVALID_KEY', 'the key set has no "keys" array');
  const out = new Map<string, KeyObject>();
  for (const jwk of keys as Partial<PublishedKey>[]) {
    if (jwk?.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || typeof jwk.kid !== 'string') throw new DelistingDomainError('INVALID_KEY', 'every key must be an OKP Ed25519 JWK with x and kid');
    let key: KeyObject;
    try {
      key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x } as JsonWebKey, format: 'jwk' });
    } catch {
      throw new DelistingDomainError('INVALID_KEY', `key "${jwk.kid.slice(0, 64)}" is not a valid Ed25519 public key`);
    }
    if (keyIdOf(key) !== jwk.kid) throw new DelistingDomainError('INVALID_KEY', `key "${jwk.kid.slice(0, 64)}" does not match its thumbprint`);
    out.set(jwk.kid, key);
  }
  return out;
}

/** The manifest in the HTTP API's JSON (signature base64). */
export interface ManifestJson {
  listId: string;
  version: number;
  entryCount: number;
  snapshotSha256: string;
  keyId: string;
  signature: string;
  createdAt: string;
  /** The signed statement, for humans and debugging; verifiers rebuild it from the fields. */
  statement: string;
}

export function manifestToJson(manifest: Manifest): ManifestJson {
  return {
    listId: manifest.listId,
    version: manifest.version,
    entryCount: manifest.entryCount,
    snapshotSha256: manifest.snapshotSha256,
    keyId: manifest.keyId,
    signature: Buffer.from(manifest.signature).toString('base64'),
    createdAt: manifest.createdAt.toISOString(),
    statement: manifestStatement(manifest).toString('utf8'),
  };
}

/** Parses the HTTP JSON of a manifest (INVALID_MANIFEST); the signature is checked by verifyManifestSignature. */
export function manifestFromJson(json: unknown): Manifest {
  const m = json as Partial<ManifestJson> | null;
  if (typeof m !== 'object' || m === null) throw new DelistingDomainError('INVALID_MANIFEST', 'the manifest is not a JSON object');
  const { listId, version, entryCount, snapshotSha256, keyId, signature, createdAt } = m;
  if (typeof listId !== 'string' || typeof version !== 'number' || typeof entryCount !== 'number' || typeof snapshotSha256 !== 'string' || typeof keyId !== 'string' || typeof signature !== 'string') {
    throw new DelistingDomainError('INVALID_MANIFEST', 'the manifest lacks a field');
  }
  const content = { listId, version, entryCount, snapshotSha256 };
  manifestStatement(content); // validates
  return { ...content, keyId, signature: Buffer.from(signature, 'base64'), createdAt: new Date(createdAt ?? 0) };
}
