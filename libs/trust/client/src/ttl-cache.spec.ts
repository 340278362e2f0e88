import { TtlCache } from './ttl-cache';

function setup(ttlMs = 500, maxEntries = 100) {
  let now = 0;
  const sut = new TtlCache<string>(ttlMs, maxEntries, () => now);
  const loads: string[] = [];
  const load = (value: string) => async () => {
    loads.push(value);
    return value;
  };
  return { sut, loads, load, advance: (ms: number) => (now += ms) };
}

describe(TtlCache.name, () => {
  it('serves a loaded value until ttl has passed since the load started, then loads again', async () => {
    const { sut, loads, load, advance } = setup(500);
    expect(await sut.get('k', load('a'))).toBe('a');
    advance(499);
    expect(await sut.get('k', load('b'))).toBe('a');
    advance(1);
    expect(await sut.get('k', load('c'))).toBe('c');
    expect(loads).toEqual(['a', 'c']);
  });

  it('shares one load between concurrent misses', async () => {
    const { sut } = setup();
    let calls = 0;
    let release!: (v: string) => void;
    const load = () => {
      calls++;
      return new Promise<string>((resolve) => (release = resolve));
    };
    const both = Promise.all([sut.get('k', load), sut.get('k', load)]);
    release('v');
    expect(await both).toEqual(['v', 'v']);
    expect(calls).toBe(1);
  });

  it('never caches a failed load', async () => {
    const { sut, load, loads } = setup();
    await expect(sut.get('k', () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(await sut.get('k', load('ok'))).toBe('ok');
    expect(loads).toEqual(['ok']);
  });

  it('with ttl 0 caches nothing', async () => {
    const { sut, load, loads } = setup(0);
    await sut.get('k', load('a'));
    await sut.get('k', load('b'));
    expect(loads).toEqual(['a', 'b']);
  });

  it('evicts the oldest entries beyond maxEntries', async () => {
    const { sut, load, loads } = setup(500, 2);
    await sut.get('a', load('a1'));
    await sut.get('b', load('b1'));
    await sut.get('c', load('c1'));
    expect(sut.size).toBe(2);
    await sut.get('a', load('a2'));
    expect(loads).toEqual(['a1', 'b1', 'c1', 'a2']);
  });

  it('clear() forgets everything', async () => {
    const { sut, load, loads } = setup();
    await sut.get('k', load('a'));
    sut.clear();
    await sut.get('k', load('b'));
    expect(loads).toEqual(['a', 'b']);
  });
});
