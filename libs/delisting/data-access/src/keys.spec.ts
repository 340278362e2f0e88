import { randomBytes } from 'node:crypto';

import { currentKey, entryKey, listKey, listPrefix, orgPrefix, pad, RANGE_END, versionKey } from './keys';

const signalId = () => `url_${randomBytes(16).toString('hex')}`;

describe('document keys', () => {
  it('pads versions to 20 digits so string order is numeric order', () => {
    expect(pad(0)).toBe('00000000000000000000');
    expect(pad(9) < pad(10)).toBe(true);
    expect(pad(Number.MAX_SAFE_INTEGER)).toHaveLength(20);
    expect(() => pad(-1)).toThrow(RangeError);
    expect(() => pad(1.5)).toThrow(RangeError);
  });

  it('orders entry keys by signal id, then by the version that added them', () => {
    const ids = Array.from({ length: 50 }, signalId);
    const keys = ids.flatMap((id) => [entryKey('org_a', 'nudify-services', id, 10), entryKey('org_a', 'nudify-services', id, 9)]);
    const sorted = [...keys].sort();
    const expected = [...ids].sort().flatMap((id) => [entryKey('org_a', 'nudify-services', id, 9), entryKey('org_a', 'nudify-services', id, 10)]);
    expect(sorted).toEqual(expected);
  });

  it('keeps every key of a list inside its prefix range, and lists of one org inside the org range', () => {
    const prefix = listPrefix('org_a', 'nudify-services');
    for (const key of [entryKey('org_a', 'nudify-services', signalId(), 1), currentKey('org_a', 'nudify-services', signalId()), versionKey('org_a', 'nudify-services', 1)]) {
      expect(key.startsWith(prefix) && key < `${prefix}${RANGE_END}`).toBe(true);
    }
    expect(listKey('org_a', 'nudify-services').startsWith(orgPrefix('org_a'))).toBe(true);
    // Another organisation whose id extends this one's is outside its range.
    expect(listKey('org_ab', 'nudify-services').startsWith(orgPrefix('org_a'))).toBe(false);
  });

  it('refuses ids that could escape their range', () => {
    expect(() => listKey('org:a', 'nudify-services')).toThrow(RangeError);
    expect(() => listKey('org_a', 'Nudify:x')).toThrow(RangeError);
    expect(() => orgPrefix('')).toThrow(RangeError);
  });
});
