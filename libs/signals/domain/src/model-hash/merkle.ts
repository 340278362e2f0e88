import { createHash } from 'node:crypto';

/** What a Merkle leaf commits to: a tensor's name, dtype, shape and the SHA-256 of its bytes. */
export interface TensorLeafInput {
  name: string;
  dtype: string;
  shape: readonly number[];
  sha256: string;
}

const LEAF = Buffer.from([0x00]);
const NODE = Buffer.from([0x01]);
const SEP = Buffer.from([0x00]);

/**
 * leaf = SHA-256(0x00 ‖ UTF-8(name) ‖ 0x00 ‖ UTF-8(dtype) ‖ 0x00 ‖ ASCII(shape dims in decimal joined by ",")
 *                ‖ 0x00 ‖ tensor SHA-256 as 32 raw bytes)
 * The 0x00 / 0x01 first byte separates leaves from interior nodes (as in RFC 6962), so a leaf can never be passed off
 * as a node. Names and dtypes never contain NUL (the header parser rejects it), so the fields cannot run together.
 */
export function tensorLeaf(tensor: TensorLeafInput): Buffer {
  return createHash('sha256')
    .update(LEAF)
    .update(tensor.name, 'utf8')
    .update(SEP)
    .update(tensor.dtype, 'utf8')
    .update(SEP)
    .update(tensor.shape.join(','), 'utf8')
    .update(SEP)
    .update(Buffer.from(tensor.sha256, 'hex'))
    .digest();
}

/**
 * Binary Merkle root over leaves in the given order: each level pairs nodes left to right,
 * node = SHA-256(0x01 ‖ left ‖ right); an odd last node is promoted to the next level unchanged (never duplicated,
 * which would let two different leaf lists share a root). One leaf: the root is that leaf. No leaves: SHA-256 of
 * the empty string.
 */
export function merkleRoot(leaves: readonly Uint8Array[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  let level: Buffer[] = leaves.map((leaf) => Buffer.from(leaf));
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? createHash('sha256').update(NODE).update(level[i]).update(level[i + 1]).digest() : level[i]);
    }
    level = next;
  }
  return level[0];
}
