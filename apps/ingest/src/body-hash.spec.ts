import { bodyHash, canonicalJson } from './body-hash';

describe(canonicalJson.name, () => {
  it('sorts keys at every level, writes dates as ISO strings and leaves out undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [new Date('2030-01-01T00:00:00Z'), { z: 1, y: undefined }], c: undefined } })).toBe('{"a":{"d":["2030-01-01T00:00:00.000Z",{"z":1}]},"b":1}');
  });

  it('hashes equal objects alike whatever their key order, and different ones differently', () => {
    expect(bodyHash({ a: 1, b: [1, 2] })).toBe(bodyHash({ b: [1, 2], a: 1 }));
    expect(bodyHash({ a: 1, b: [1, 2] })).not.toBe(bodyHash({ a: 1, b: [2, 1] }));
    expect(bodyHash({})).toMatch(/^[0-9a-f]{64}$/);
  });
});
