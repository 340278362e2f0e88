import { thrownCode } from '@signal-mesh/testing';

import { StreamRegistry } from './streams';

describe('StreamRegistry', () => {
  it('refuses streams beyond the limit until one is released', () => {
    const registry = new StreamRegistry(2);
    const release = registry.add({ end: () => undefined });
    registry.add({ end: () => undefined });
    expect(thrownCode(() => registry.add({ end: () => undefined }))).toBe('TOO_MANY_STREAMS');
    release();
    expect(() => registry.add({ end: () => undefined })).not.toThrow();
  });

  it('ends every open stream on shutdown and refuses new ones', () => {
    const registry = new StreamRegistry(10);
    const ended: string[] = [];
    registry.add({ end: (r) => ended.push(r.code) });
    registry.add({ end: (r) => ended.push(r.code) });
    registry.endAll({ code: 'SHUTTING_DOWN', message: 'bye', failure: 'UNAVAILABLE' });
    expect(ended).toEqual(['SHUTTING_DOWN', 'SHUTTING_DOWN']);
    expect(thrownCode(() => registry.add({ end: () => undefined }))).toBe('SHUTTING_DOWN');
  });
});
