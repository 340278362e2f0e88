import { RateLimiter } from './rate-limiter';

describe(RateLimiter.name, () => {
  it('admits a burst, then the first items that fit, with the wait for the next one', () => {
    const sut = new RateLimiter({ perSecond: 2, burst: 5 });
    expect(sut.take('org_a', 4, 0)).toEqual({ admitted: 4 });
    expect(sut.take('org_a', 3, 0)).toEqual({ admitted: 1, retryAfterSeconds: 1 });
    expect(sut.take('org_a', 1, 0)).toEqual({ admitted: 0, retryAfterSeconds: 1 });
    // 1.5 s later: 3 tokens earned back.
    expect(sut.take('org_a', 5, 1_500)).toEqual({ admitted: 3, retryAfterSeconds: 1 });
  });

  it('keeps one bucket per organisation and never refills above the burst', () => {
    const sut = new RateLimiter({ perSecond: 1, burst: 2 });
    expect(sut.take('org_a', 2, 0).admitted).toBe(2);
    expect(sut.take('org_b', 2, 0).admitted).toBe(2);
    expect(sut.take('org_a', 5, 60_000)).toEqual({ admitted: 2, retryAfterSeconds: 1 });
  });

  it('rounds the wait up to whole seconds for slow rates', () => {
    const sut = new RateLimiter({ perSecond: 0.1, burst: 1 });
    sut.take('org_a', 1, 0);
    expect(sut.take('org_a', 1, 0)).toEqual({ admitted: 0, retryAfterSeconds: 10 });
  });
});
