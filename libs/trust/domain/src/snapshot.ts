import { createTrustContext, type TrustContext } from './context';
import type { Entitlements, Organisation, SharingGroup } from './model';
import { DEFAULT_TRUST_POLICY, type TrustPolicy } from './policy';

/**
 * One record of the trust topic in domain terms: the full new state of one entity (the last state when `deleted`).
 * `version` is the entity's version as a decimal integer string (uint64 on the wire, so compared as BigInt).
 */
export type TrustChange =
  | { readonly kind: 'organisation'; readonly version: string; readonly deleted: boolean; readonly org: Organisation }
  | { readonly kind: 'sharing-group'; readonly version: string; readonly deleted: boolean; readonly group: SharingGroup }
  | { readonly kind: 'entitlements'; readonly version: string; readonly deleted: boolean; readonly orgId: string; readonly entitlements: Entitlements }
  | { readonly kind: 'api-key'; readonly version: string; readonly deleted: boolean; readonly keyId: string; readonly orgId: string; readonly revoked: boolean };

export type TrustChangeKindName = TrustChange['kind'];

export interface TrustChangeResult {
  /** False when the change was not newer than what the snapshot holds (replayed or out of order). */
  readonly changed: boolean;
  /** Organisations whose views of some signal may differ now; 'all' when every view must be re-evaluated. */
  readonly affectedOrgIds: readonly string[] | 'all';
}

/** The entity key a change is versioned under, the same as the topic key ("organisation/<id>", …). */
export function trustEntityKey(change: TrustChange): string {
  switch (change.kind) {
    case 'organisation':
      return `organisation/${change.org.orgId}`;
    case 'sharing-group':
      return `sharing-group/${change.group.groupId}`;
    case 'entitlements':
      return `entitlements/${change.orgId}`;
    case 'api-key':
      return `api-key/${change.keyId}`;
  }
}

const VERSION_RE = /^\d{1,20}$/;
const UNCHANGED: TrustChangeResult = Object.freeze({ changed: false, affectedOrgIds: Object.freeze([]) });
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * An in-memory materialisation of the trust topic (compacted, full state per record), so the fan-out can compute
 * views in-process. Keeps only the newest version per entity; a deleted entity keeps its version, so a replayed older
 * record cannot resurrect it. Pure: no I/O, no clock.
 */
export class TrustSnapshot {
  private readonly versions = new Map<string, bigint>();
  private readonly orgs = new Map<string, Organisation>();
  private readonly groups = new Map<string, SharingGroup>();
  private readonly entitlementsByOrg = new Map<string, Entitlements>();
  private readonly apiKeys = new Map<string, { readonly orgId: string; readonly revoked: boolean }>();

  constructor(private readonly policy: TrustPolicy = DEFAULT_TRUST_POLICY) {}

  /** Applies one change if it is newer than the entity's current version. Throws RangeError for a malformed version. */
  apply(change: TrustChange): TrustChangeResult {
    if (!VERSION_RE.test(change.version)) throw new RangeError(`trust change version must be a decimal integer, got "${change.version}"`);
    const key = trustEntityKey(change);
    const version = BigInt(change.version);
    const current = this.versions.get(key);
    if (current !== undefined && version <= current) return UNCHANGED;
    this.versions.set(key, version);
    return { changed: true, affectedOrgIds: this.store(change) };
  }

  /** A decision context over the current state; later changes do not alter it. */
  context(now: Date): TrustContext {
    return createTrustContext({ now, policy: this.policy, organisations: this.orgs.values(), groups: this.groups.values(), entitlements: new Map(this.entitlementsByOrg) });
  }

  /** Every known (ACTIVE or SUSPENDED, not deleted) organisation, sorted by id: the candidates for a view. */
  organisations(): Organisation[] {
    return [...this.orgs.values()].sort((a, b) => compare(a.orgId, b.orgId));
  }

  /** Key metadata kept for completeness (keys never change views); undefined for unknown or deleted keys. */
  apiKey(keyId: string): { readonly orgId: string; readonly revoked: boolean } | undefined {
    return this.apiKeys.get(keyId);
  }

  private store(change: TrustChange): readonly string[] | 'all' {
    switch (change.kind) {
      case 'organisation': {
        const { orgId } = change.org;
        const before = this.orgs.get(orgId);
        if (change.deleted) this.orgs.delete(orgId);
        else this.orgs.set(orgId, { orgId, kind: change.org.kind, tier: change.org.tier, status: change.org.status });
        const after = this.orgs.get(orgId);
        // Others see an organisation's contributions only while it is registered and (by default) ACTIVE, so
        // appearing, disappearing or a status change can alter every view. Tier and kind only matter to the
        // organisation as a viewer (minimum tier, default entitlements), so they affect its own views only.
        if (before?.status !== after?.status) return 'all';
        return [orgId];
      }
      case 'sharing-group': {
        const { groupId } = change.group;
        const before = new Set(this.groups.get(groupId)?.memberOrgIds ?? []);
        if (change.deleted) this.groups.delete(groupId);
        else this.groups.set(groupId, { groupId, memberOrgIds: [...new Set(change.group.memberOrgIds)] });
        const after = new Set(this.groups.get(groupId)?.memberOrgIds ?? []);
        // A group only matters through membership (AMBER audience, community group, redaction of group ids), so
        // exactly the organisations that joined or left are affected; on create/delete that is every member.
        const diff = [...before].filter((orgId) => !after.has(orgId)).concat([...after].filter((orgId) => !before.has(orgId)));
        return diff.sort(compare);
      }
      case 'entitlements':
        if (change.deleted) this.entitlementsByOrg.delete(change.orgId);
        else this.entitlementsByOrg.set(change.orgId, change.entitlements);
        return [change.orgId];
      case 'api-key':
        if (change.deleted) this.apiKeys.delete(change.keyId);
        else this.apiKeys.set(change.keyId, { orgId: change.orgId, revoked: change.revoked });
        return [];
    }
  }
}
