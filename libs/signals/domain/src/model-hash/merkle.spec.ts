import { createHash } from 'node:crypto';

import { merkleRoot, tensorLeaf } from './merkle';

const h = (...parts: (Uint8Array | number[])[]) => {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(Uint8Array.from(p));
  return hash.digest();
};

describe(merkleRoot.name, () => {
  const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((s) => h(Buffer.from(s)));
  const node = (l: Buffer, r: Buffer) => h([1], l, r);

  it('pairs left to right and promotes an odd last node unchanged', () => {
    expect(merkleRoot([])).toEqual(h([]));
    expect(merkleRoot([a])).toEqual(a);
    expect(merkleRoot([a, b])).toEqual(node(a, b));
    expect(merkleRoot([a, b, c])).toEqual(node(node(a, b), c));
    expect(merkleRoot([a, b, c, d, e])).toEqual(node(node(node(a, b), node(c, d)), e));
  });

  it('depends on leaf order', () => {
    expect(merkleRoot([b, a])).not.toEqual(merkleRoot([a, b]));
  });
});

describe(tensorLeaf.name, () => {
  it('hashes 0x00, name, dtype, shape and the raw tensor digest, NUL-separated', () => {
    const digest = h(Buffer.from('tensor bytes'));
    const leaf = tensorLeaf({ name: 'blk.0', dtype: 'F32', shape: [2, 3], sha256: digest.toString('hex') });
    expect(leaf).toEqual(h([0], Buffer.from('blk.0\u0000F32\u00002,3\u0000'), digest));
    const scalar = tensorLeaf({ name: 'blk.0', dtype: 'F32', shape: [], sha256: digest.toString('hex') });
    expect(scalar).toEqual(h([0], Buffer.from('blk.0\u0000F32\u0000\u0000'), digest));
  });
});
