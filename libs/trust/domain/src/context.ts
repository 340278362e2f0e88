import type { Entitlements, Organisation, SharingGroup } from './model';
import { DEFAULT_TRUST_POLICY, type TrustPolicy } from './policy';

/** Everything a decision needs besides the organisation and the contribution. Lookups keep callers free to cache. */
export interface TrustContext {
  readonly policy: TrustPolicy;
  /** Decisions never read the clock. */
  readonly now: Date;
  organisation(orgId: string): Organisation | undefined;
  group(groupId: string): SharingGroup | undefined;
  /** Explicitly set entitlements; undefined means the policy's defaults for the organisation's kind. */
  entitlements(orgId: string): Entitlements | undefined;
}

export interface TrustContextInput {
  readonly now: Date;
  readonly policy?: TrustPolicy;
  readonly organisations?: Iterable<Organisation>;
  readonly groups?: Iterable<SharingGroup>;
  readonly entitlements?: ReadonlyMap<string, Entitlements> | Readonly<Record<string, Entitlements>>;
}

/** A context over in-memory collections. */
export function createTrustContext(input: TrustContextInput): TrustContext {
  const orgs = new Map([...(input.organisations ?? [])].map((org) => [org.orgId, org]));
  const groups = new Map([...(input.groups ?? [])].map((group) => [group.groupId, group]));
  const explicit: ReadonlyMap<string, Entitlements> =
    input.entitlements instanceof Map ? input.entitlements : new Map(Object.entries(input.entitlements ?? {}));
  return {
    policy: input.policy ?? DEFAULT_TRUST_POLICY,
    now: input.now,
    organisation: (orgId) => orgs.get(orgId),
    group: (groupId) => groups.get(groupId),
    entitlements: (orgId) => explicit.get(orgId),
  };
}
