import { randomBytes } from 'node:crypto';

import {
  applySubmission,
  canonicalizeSignal,
  type ContributionSubmission,
  detailsOf,
  type SignalInput,
  type SignalRecord,
  type StoredContribution,
} from '@signal-mesh/signals-domain';

// Synthetic data only: example.com hosts, random hex, placeholder text.
export const t0 = new Date('2026-11-01T10:00:00.000Z');
export const at = (minutes: number): Date => new Date(t0.getTime() + minutes * 60_000);

export const randomHex = (bytes: number): string => randomBytes(bytes).toString('hex');

export function contribution(overrides: Partial<StoredContribution> = {}): StoredContribution {
  return {
    contributionId: `ctb_${randomHex(16)}`,
    contributorOrgId: 'org_ngo_a',
    marking: 'GREEN',
    sharingGroupIds: [],
    namedOrgIds: [],
    confidence: 80,
    opinion: 'POSITIVE',
    categories: ['service.nudify'],
    externalRefs: [],
    createdAt: t0,
    ...overrides,
  };
}

export function contributionSubmission(input: SignalInput, c: StoredContribution = contribution()): ContributionSubmission {
  const signal = canonicalizeSignal(input);
  return { kind: 'contribution', submitterOrgId: c.contributorOrgId, signalId: signal.signalId, type: signal.type, canonical: signal.canonical, details: detailsOf(signal), contribution: c };
}

/** One per details variant: model hash with related ids, URL at each scope, keyword and regex patterns. */
export function signalVariants(): [string, SignalInput][] {
  return [
    ['a SHA-256 model hash (with its related AutoV2)', { type: 'model-hash', value: randomHex(32) }],
    ['an MD5 model hash (no related ids)', { type: 'model-hash', value: randomHex(16), algorithm: 'md5' }],
    ['an exact URL', { type: 'url', value: 'https://app.nudify.example.com/upload?ref=1' }],
    ['a path-prefix URL', { type: 'url', value: 'https://example.com/tutorials/undress/', scope: 'path-prefix' }],
    ['a host URL', { type: 'url', value: 'https://app.nudify.example.com/', scope: 'host' }],
    ['a domain URL', { type: 'url', value: 'https://www.example.org/x', scope: 'domain' }],
    ['an IP-host URL (no registrable domain)', { type: 'url', value: 'http://192.0.2.10/app', scope: 'host' }],
    ['a keyword pattern', { type: 'prompt-pattern', value: 'placeholder phrase alpha' }],
    ['a regex pattern', { type: 'prompt-pattern', value: 'placeholder (alpha|beta)+ gamma', kind: 'regex' }],
  ];
}

/** A contribution with every optional field set. */
export function fullContribution(overrides: Partial<StoredContribution> = {}): StoredContribution {
  return contribution({
    contributorOrgId: 'org_ngo_b',
    marking: 'AMBER',
    sharingGroupIds: ['grp_hotlines', 'grp_platforms'],
    confidence: 65,
    opinion: 'NEGATIVE',
    categories: ['service.nudify', 'service.nudify.tutorial'],
    validUntil: at(60 * 24 * 30),
    evidenceNote: 'placeholder evidence note',
    externalRefs: [{ system: 'hotline-case', id: 'case-42', url: 'https://example.com/cases/42' }, { system: 'model-site', id: 'm-1' }],
    disputeReason: 'placeholder dispute reason',
    createdAt: at(5),
    ...overrides,
  });
}

/**
 * A record built by the domain merge (so its derived fields are consistent): a first contribution, a second one with
 * every optional field, a third that expires, and the first revoked with a reason.
 */
export function mergedRecord(input: SignalInput, now: Date = at(30)): SignalRecord {
  const first = contributionSubmission(input, contribution({ marking: 'RED', namedOrgIds: ['org_platform_x'] }));
  const apply = (current: SignalRecord | undefined, submission: Parameters<typeof applySubmission>[1]): SignalRecord => {
    const result = applySubmission(current, submission, now);
    if (result.outcome === 'rejected') throw new Error(`fixture rejected: ${result.message}`);
    return result.record;
  };
  let record = apply(undefined, first);
  record = apply(record, { ...first, submitterOrgId: 'org_ngo_b', contribution: fullContribution() });
  record = apply(record, { ...first, submitterOrgId: 'org_ngo_c', contribution: contribution({ contributorOrgId: 'org_ngo_c', validUntil: at(45), createdAt: at(10) }) });
  return apply(record, {
    kind: 'revocation',
    submitterOrgId: first.contribution.contributorOrgId,
    signalId: first.signalId,
    contributionId: first.contribution.contributionId,
    reason: 'contributed by mistake',
    revokedAt: at(20),
  });
}

/** A one-contribution URL record on a random example.com host, for tests that need many distinct signals. */
export function urlRecord(overrides: Partial<SignalRecord> = {}): SignalRecord {
  const submission = contributionSubmission({ type: 'url', value: `https://${randomHex(6)}.example.com/app` });
  const result = applySubmission(undefined, submission, t0);
  if (result.outcome === 'rejected') throw new Error(`fixture rejected: ${result.message}`);
  return { ...result.record, ...overrides };
}
