import { applySubmission, type SignalRecord, type StoredContribution, type Submission } from '@signal-mesh/signals-domain';
import { encodeState, recordToStateEvent } from '@signal-mesh/signals-event-mapping';
import { contribution, contributionSubmission, randomHex, t0 } from '@signal-mesh/signals-testing';

/**
 * Builds one signal's successive full states as dedup would (each applied submission is a new version), for
 * producing them to a state topic or handing them to the processor. Synthetic: random example.com hosts.
 */
export class SignalHistory {
  readonly value = `https://${randomHex(6)}.nudify.example.com/app`;
  readonly states: SignalRecord[] = [];

  get signalId(): string {
    return contributionSubmission({ type: 'url', value: this.value }).signalId;
  }

  get current(): SignalRecord | undefined {
    return this.states.at(-1);
  }

  /** Adds a contribution (GREEN from org_a by default) and returns the new state. */
  contribute(overrides: Partial<StoredContribution> = {}): SignalRecord {
    return this.apply(contributionSubmission({ type: 'url', value: this.value }, contribution({ contributorOrgId: 'org_a', createdAt: new Date(t0.getTime() + this.states.length * 1_000), ...overrides })));
  }

  /** Revokes a contribution and returns the new state. */
  revoke(contributionId: string, revokedAt = new Date(t0.getTime() + 3_600_000)): SignalRecord {
    const c = this.current?.contributions.find((x) => x.contributionId === contributionId);
    if (!c) throw new Error(`no contribution ${contributionId}`);
    return this.apply({ kind: 'revocation', submitterOrgId: c.contributorOrgId, signalId: this.signalId, contributionId, revokedAt });
  }

  private apply(submission: Submission): SignalRecord {
    const result = applySubmission(this.current, submission, t0);
    if (result.outcome === 'rejected') throw new Error(`fixture rejected: ${result.message}`);
    this.states.push(result.record);
    return result.record;
  }
}

/** The state-topic payload of a record, as dedup's state publisher writes it. */
export function stateBytes(record: SignalRecord, emittedAt = t0): Buffer {
  return encodeState(recordToStateEvent(record, emittedAt));
}
