import { AttemptLimiter } from './attempt-limiter';

function setup(options: { capacity?: number; refillPerSecond?: number; maxKeys?: number } = {}) {
  const clock = { t: 1_000_000 };
  const sut = new AttemptLimiter({ capacity: 5, refillPerSecond: 1, ...options, now: () => clock.t });
  return { sut, clock };
}

describe(AttemptLimiter.name, () => {
  it('allows a burst of `capacity` attempts, then refuses with the wait until the next one', () => {
    const { sut } = setup();
    const decisions = Array.from({ length: 6 }, () => sut.take('client-a'));
    expect(decisions.slice(0, 5).every((d) => d.allowed)).toBe(true);
    expect(decisions[5]).toEqual({ allowed: false, retryAfterMs: 1000 });
  });

  it('refills at the configured rate, never above capacity', () => {
    const { sut, clock } = setup({ capacity: 2, refillPerSecond: 2 });
    sut.take('k');
    sut.take('k');
    expect(sut.take('k').allowed).toBe(false);
    clock.t += 500;
    expect(sut.take('k')).toEqual({ allowed: true, remaining: 0 });
    expect(sut.take('k').allowed).toBe(false);
    clock.t += 60_000;
    expect([sut.take('k').allowed, sut.take('k').allowed, sut.take('k').allowed]).toEqual([true, true, false]);
  });

  it('limits keys independently', () => {
    const { sut } = setup({ capacity: 1 });
    expect(sut.take('client-a').allowed).toBe(true);
    expect(sut.take('client-a').allowed).toBe(false);
    expect(sut.take('client-b').allowed).toBe(true);
  });

  it('throttles a sustained brute-force guesser to the refill rate', () => {
    const { sut, clock } = setup({ capacity: 5, refillPerSecond: 1 });
    let allowed = 0;
    for (let ms = 0; ms < 60_000; ms += 10) {
      clock.t += 10;
      if (sut.take('attacker').allowed) allowed++;
    }
    expect(allowed).toBeLessThanOrEqual(5 + 60);
    expect(allowed).toBeGreaterThanOrEqual(60);
  });

  it('does not mint attempts when the clock steps back', () => {
    const { sut, clock } = setup({ capacity: 1 });
    sut.take('k');
    clock.t -= 3_600_000;
    expect(sut.take('k').allowed).toBe(false);
    clock.t += 3_600_000;
    expect(sut.take('k').allowed).toBe(false);
  });

  it('forgets a key on reset', () => {
    const { sut } = setup({ capacity: 1 });
    sut.take('k');
    sut.reset('k');
    expect(sut.take('k').allowed).toBe(true);
  });

  it('bounds memory, dropping refilled buckets before drained ones', () => {
    const { sut, clock } = setup({ capacity: 1, refillPerSecond: 1, maxKeys: 10 });
    for (let i = 0; i < 8; i++) sut.take(`idle-${i}`);
    clock.t += 2_000;
    sut.take('attacker');
    sut.take('new-1');
    sut.take('new-2');
    expect(sut.size).toBeLessThan(10);
    // Still drained: evicting it would have handed the attacker a fresh burst.
    expect(sut.take('attacker').allowed).toBe(false);
    for (let i = 0; i < 100; i++) sut.take(`flood-${i}`);
    expect(sut.size).toBeLessThanOrEqual(10);
  });

  it('rejects nonsensical options', () => {
    expect(() => new AttemptLimiter({ capacity: 0, refillPerSecond: 1 })).toThrow(RangeError);
    expect(() => new AttemptLimiter({ capacity: 1, refillPerSecond: 0 })).toThrow(RangeError);
  });
});
