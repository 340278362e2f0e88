export interface RateLimit {
  /** Items per second earned back. */
  readonly perSecond: number;
  /** Bucket size: the largest burst. */
  readonly burst: number;
}

export interface Admission {
  /** How many of the requested items may proceed (the first ones, in order). */
  readonly admitted: number;
  /** Seconds until at least one more item would be admitted; set when not everything was. */
  readonly retryAfterSeconds?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets kept before idle full ones are dropped (a full bucket is the same as no bucket). */
const PRUNE_ABOVE = 10_000;

/**
 * Per-organisation token bucket on items, in memory and per instance (with N replicas an organisation gets up to N
 * times the rate; the gateway in front can cap it globally). Partial admission lets a batch keep its first items.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly limit: RateLimit) {}

  take(orgId: string, items: number, now: number): Admission {
    const bucket = this.refilled(orgId, now);
    const admitted = Math.max(0, Math.min(items, Math.floor(bucket.tokens)));
    bucket.tokens -= admitted;
    if (admitted === items) return { admitted };
    const missing = 1 - bucket.tokens;
    return { admitted, retryAfterSeconds: Math.max(1, Math.ceil(missing / this.limit.perSecond)) };
  }

  private refilled(orgId: string, now: number): Bucket {
    let bucket = this.buckets.get(orgId);
    if (!bucket) {
      if (this.buckets.size >= PRUNE_ABOVE) this.prune(now);
      bucket = { tokens: this.limit.burst, at: now };
      this.buckets.set(orgId, bucket);
      return bucket;
    }
    const elapsedSeconds = Math.max(0, now - bucket.at) / 1000;
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + elapsedSeconds * this.limit.perSecond);
    bucket.at = now;
    return bucket;
  }

  private prune(now: number): void {
    for (const [orgId, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond >= this.limit.burst) this.buckets.delete(orgId);
    }
  }
}
