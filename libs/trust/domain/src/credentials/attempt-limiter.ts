export interface AttemptLimiterOptions {
  capacity: number;
  refillPerSecond: number;
  /** Buckets kept at most; past it, full buckets and then the oldest are dropped, bounding memory under a flood. */
  maxKeys?: number;
  /** Epoch milliseconds. */
  now?: () => number;
}

export type AttemptDecision = { readonly allowed: true; readonly remaining: number } | { readonly allowed: false; readonly retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per key (client address, key id): slows brute-force guessing of keys without locking out a
 * legitimate holder for long. In-memory and per process; each instance of a service limits on its own.
 */
export class AttemptLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;
  private readonly perMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor({ capacity, refillPerSecond, maxKeys = 100_000, now = Date.now }: AttemptLimiterOptions) {
    if (!(capacity >= 1) || !(refillPerSecond > 0) || !(maxKeys >= 1)) throw new RangeError('capacity ≥ 1, refillPerSecond > 0 and maxKeys ≥ 1 are required');
    this.capacity = capacity;
    this.perMs = refillPerSecond / 1000;
    this.maxKeys = maxKeys;
    this.now = now;
  }

  take(key: string): AttemptDecision {
    const bucket = this.refill(key);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, remaining: Math.floor(bucket.tokens) };
    }
    return { allowed: false, retryAfterMs: Math.ceil((1 - bucket.tokens) / this.perMs) };
  }

  /** E.g. after a successful authentication from that client. */
  reset(key: string): void {
    this.buckets.delete(key);
  }

  get size(): number {
    return this.buckets.size;
  }

  private refill(key: string): Bucket {
    const now = this.now();
    const bucket = this.buckets.get(key);
    if (bucket) {
      // A clock stepping backwards must not mint or remove tokens.
      bucket.tokens = Math.min(this.capacity, bucket.tokens + Math.max(0, now - bucket.at) * this.perMs);
      bucket.at = Math.max(bucket.at, now);
      return bucket;
    }
    if (this.buckets.size >= this.maxKeys) this.evict(now);
    const fresh = { tokens: this.capacity, at: now };
    this.buckets.set(key, fresh);
    return fresh;
  }

  private evict(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + Math.max(0, now - bucket.at) * this.perMs >= this.capacity) this.buckets.delete(key);
    }
    // Evict down to 90 % so a flood of new keys costs one scan per many insertions; Map iterates oldest first.
    const target = Math.floor(this.maxKeys * 0.9);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(key);
    }
  }
}
