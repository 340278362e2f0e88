import { AttemptLimiter } from '@signal-mesh/trust-domain';

export interface FailureThrottleOptions {
  /** Failures allowed in a burst per client and presented key id; a client as a whole gets ten times that. */
  burst: number;
  perMinute: number;
  now?: () => number;
  maxBlocked?: number;
}

/**
 * Throttles failed authentications only, so a busy caller with a good key is never slowed down. Each failure takes
 * a token from two buckets (client + key id, and client); once either is empty the client is refused, correct key
 * or not, until a token has come back. In memory, per instance.
 */
export class FailureThrottle {
  private readonly perKey: AttemptLimiter;
  private readonly perClient: AttemptLimiter;
  private readonly blockedUntil = new Map<string, number>();
  private readonly now: () => number;
  private readonly maxBlocked: number;

  constructor({ burst, perMinute, now = Date.now, maxBlocked = 100_000 }: FailureThrottleOptions) {
    this.now = now;
    this.maxBlocked = maxBlocked;
    this.perKey = new AttemptLimiter({ capacity: burst, refillPerSecond: perMinute / 60, now });
    this.perClient = new AttemptLimiter({ capacity: burst * 10, refillPerSecond: (perMinute * 10) / 60, now });
  }

  isBlocked(client: string, keyId: string | undefined): boolean {
    const now = this.now();
    return [client, bucket(client, keyId)].some((b) => (this.blockedUntil.get(b) ?? 0) > now);
  }

  /** Counts a failure; true when it used up a bucket (the caller answers TOO_MANY_ATTEMPTS from now on). */
  recordFailure(client: string, keyId: string | undefined): boolean {
    const decisions: [string, ReturnType<AttemptLimiter['take']>][] = [
      [bucket(client, keyId), this.perKey.take(bucket(client, keyId))],
      [client, this.perClient.take(client)],
    ];
    let blocked = false;
    for (const [name, decision] of decisions) {
      if (decision.allowed) continue;
      blocked = true;
      if (this.blockedUntil.size >= this.maxBlocked) this.prune();
      this.blockedUntil.set(name, this.now() + decision.retryAfterMs);
    }
    return blocked;
  }

  private prune(): void {
    const now = this.now();
    for (const [name, until] of this.blockedUntil) if (until <= now) this.blockedUntil.delete(name);
    // Still full: drop the oldest blocks rather than grow without bound under a flood of clients.
    for (const name of this.blockedUntil.keys()) {
      if (this.blockedUntil.size < this.maxBlocked) break;
      this.blockedUntil.delete(name);
    }
  }
}

const bucket = (client: string, keyId: string | undefined) => `${client}|${keyId ?? '-'}`;
