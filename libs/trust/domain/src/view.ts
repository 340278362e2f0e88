import { hash } from 'node:crypto';

import type { TrustContext } from './context';
import type { Contribution, Organisation, Purpose, SignalState, SignalType } from './model';
import { canSee, isGroupMember } from './visibility';

/** ACTIVE: no visible NEGATIVE opinion (so at least one POSITIVE). DISPUTED: at least one visible NEGATIVE. */
export type ViewStatus = 'ACTIVE' | 'DISPUTED';

export interface ViewAggregates {
  /** Distinct contributing organisations among the visible contributions. */
  readonly contributorCount: number;
  /** Highest confidence of the visible POSITIVE contributions; 0 when there is none. */
  readonly confidence: number;
  readonly positiveCount: number;
  readonly negativeCount: number;
}

/** One organisation's view of a signal: every field derives from the contributions it may see, and only those. */
export interface SignalView {
  readonly signalId: string;
  readonly type: SignalType;
  readonly canonical: string;
  /** Sorted union of the visible contributions' categories. */
  readonly categories: readonly string[];
  readonly status: ViewStatus;
  readonly aggregates: ViewAggregates;
  /** Earliest / latest `createdAt` of the visible contributions. */
  readonly firstSeenAt: Date;
  readonly updatedAt: Date;
  /** Visible contributions sorted by createdAt then id, audiences redacted for others' contributions. */
  readonly contributions: readonly Contribution[];
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort(compare);

/**
 * The signal as `viewer` may see it, or undefined when it may see none of its contributions (the signal does not
 * exist for it). `purpose: 'bulk-export'` leaves RED contributions out.
 */
export function viewOf(viewer: Organisation, state: SignalState, ctx: TrustContext, purpose: Purpose = 'view'): SignalView | undefined {
  const visible = state.contributions
    .filter((contribution) => canSee(viewer, contribution, state, ctx, purpose).visible)
    .map((contribution) => redact(viewer, contribution, ctx))
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || compare(a.contributionId, b.contributionId));
  if (visible.length === 0) return undefined;
  const aggregates = aggregate(visible);
  const times = visible.map((contribution) => contribution.createdAt.getTime());
  return {
    signalId: state.signalId,
    type: state.type,
    canonical: state.canonical,
    categories: sorted(visible.flatMap((contribution) => contribution.categories)),
    status: aggregates.negativeCount > 0 ? 'DISPUTED' : 'ACTIVE',
    aggregates,
    firstSeenAt: new Date(times.reduce((a, b) => Math.min(a, b))),
    updatedAt: new Date(times.reduce((a, b) => Math.max(a, b))),
    contributions: visible,
  };
}

/** Aggregates over exactly the given contributions. */
export function aggregate(contributions: readonly Contribution[]): ViewAggregates {
  const positive = contributions.filter((contribution) => contribution.opinion === 'POSITIVE');
  return {
    contributorCount: new Set(contributions.map((contribution) => contribution.contributorOrgId)).size,
    confidence: positive.reduce((max, contribution) => Math.max(max, contribution.confidence), 0),
    positiveCount: positive.length,
    negativeCount: contributions.filter((contribution) => contribution.opinion === 'NEGATIVE').length,
  };
}

/**
 * Others' contributions show only the part of the audience the viewer belongs to: a recipient learns the marking
 * (it must honour it), not who else received the contribution.
 */
function redact(viewer: Organisation, contribution: Contribution, ctx: TrustContext): Contribution {
  const own = contribution.contributorOrgId === viewer.orgId;
  return {
    ...contribution,
    categories: sorted(contribution.categories),
    sharingGroupIds: sorted(own ? contribution.sharingGroupIds : contribution.sharingGroupIds.filter((groupId) => isGroupMember(viewer.orgId, groupId, ctx))),
    namedOrgIds: sorted(own ? contribution.namedOrgIds : contribution.namedOrgIds.filter((orgId) => orgId === viewer.orgId)),
  };
}

/** Ids (sorted) of the organisations with a non-empty view of the signal: the fan-out's recipients. */
export function audienceOf(state: SignalState, orgs: Iterable<Organisation>, ctx: TrustContext, purpose: Purpose = 'view'): string[] {
  const audience = new Set<string>();
  for (const org of orgs) {
    if (state.contributions.some((contribution) => canSee(org, contribution, state, ctx, purpose).visible)) audience.add(org.orgId);
  }
  return sorted(audience);
}

/** Fingerprint of "no view": an organisation that loses its view gets a retraction. */
export const NO_VIEW_FINGERPRINT = 'none';

/**
 * A stable fingerprint of a view (SHA-256 of a canonical JSON: sorted keys, dates as ISO strings), so the fan-out can
 * keep one short value per organisation and signal and emit only when it changes.
 */
export function viewFingerprint(view: SignalView | undefined): string {
  return view === undefined ? NO_VIEW_FINGERPRINT : hash('sha256', canonicalJson(view), 'hex');
}

/**
 * Whether two views differ, with the fingerprint's notion of equality (dates by instant, unset = absent) but without
 * hashing: the fan-out compares two views per organisation and state change, and SHA-256 over canonical JSON costs
 * ~6x a view computation.
 */
export function viewsDiffer(a: SignalView | undefined, b: SignalView | undefined): boolean {
  return !sameValue(a, b);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) if (!sameValue(left[key], right[key])) return false;
  return true;
}

/** Canonical JSON; undefined properties are omitted, so an unset field and an absent one fingerprint alike. */
function canonicalJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => compare(a, b));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
