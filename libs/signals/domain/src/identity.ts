import { hash } from 'node:crypto';

/** The three signal types. */
export type SignalType = 'model-hash' | 'url' | 'prompt-pattern';

export type HashAlgorithm = 'sha256' | 'sha1' | 'md5' | 'autov2' | 'safetensors-tensors-sha256' | 'safetensors-merkle-root';
export type UrlMatchScope = 'exact' | 'path-prefix' | 'host' | 'domain';
export type PatternKind = 'keyword' | 'regex';

/**
 * What a signal is, more precisely than its type: the hash algorithm, the URL match scope or the pattern kind are
 * part of the identity (the same URL at two scopes is two signals).
 */
export type SignalKind =
  | { type: 'model-hash'; algorithm: HashAlgorithm }
  | { type: 'url'; scope: UrlMatchScope }
  | { type: 'prompt-pattern'; kind: PatternKind };

const PREFIX: Record<SignalType, string> = { 'model-hash': 'mh', url: 'url', 'prompt-pattern': 'pp' };

/** `model-hash:sha256`, `url:domain`, `prompt-pattern:regex` — the identity namespace of a kind. */
export function kindKey(kind: SignalKind): string {
  switch (kind.type) {
    case 'model-hash':
      return `model-hash:${kind.algorithm}`;
    case 'url':
      return `url:${kind.scope}`;
    case 'prompt-pattern':
      return `prompt-pattern:${kind.kind}`;
  }
}

/**
 * The signal id, identical in every service and every client language (docs/signal-identity.md, test vectors in
 * docs/signal-id-test-vectors.json):
 *
 *   signalId = PREFIX(type) + "_" + lowercase_hex(SHA-256(UTF-8(kindKey + "\u0000" + canonical)))[0:32]
 *
 * `canonical` must already be the canonical value (see canonicalize()); 128 bits keep collisions out of reach at
 * hundreds of millions of signals.
 */
export function signalId(kind: SignalKind, canonical: string): string {
  // crypto.hash: one-shot, ~2.5x faster than createHash() for short inputs (ids are computed on hot paths).
  const digest = hash('sha256', `${kindKey(kind)}\u0000${canonical}`, 'hex');
  return `${PREFIX[kind.type]}_${digest.slice(0, 32)}`;
}
