import type { AuditEntry } from '@signal-mesh/trust-domain';

interface Counter {
  orgId: string;
  keyId: string;
  use: string;
  count: number;
  since: Date;
}

/**
 * Key uses are counted in memory and appended to the audit log as one record per key and use per window, instead of
 * one record per call (the audit log is a hash chain: every append is a round trip).
 */
export class KeyUseAggregator {
  private counters = new Map<string, Counter>();

  constructor(private readonly now: () => Date) {}

  record(orgId: string, keyId: string, use: string): void {
    const id = `${keyId}|${use}`;
    const counter = this.counters.get(id);
    if (counter) counter.count += 1;
    else this.counters.set(id, { orgId, keyId, use, count: 1, since: this.now() });
  }

  /** The entries for everything counted since the last drain; the counters start again from zero. */
  drain(): AuditEntry[] {
    const at = this.now();
    const entries = [...this.counters.values()].map(
      (c): AuditEntry => ({ at, actorOrgId: c.orgId, keyId: c.keyId, action: 'key.use', outcome: 'ALLOWED', subject: c.use, details: { count: c.count, since: c.since.toISOString() } }),
    );
    this.counters = new Map();
    return entries;
  }
}
