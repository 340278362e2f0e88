import type { TrustContext } from './context';
import { entitlementsOf, rulesGrant } from './entitlements';
import type { Contribution, Organisation, Purpose, SignalType } from './model';

export type VisibilityDenial =
  | 'VIEWER_SUSPENDED'
  | 'CONTRIBUTOR_SUSPENDED'
  | 'CONTRIBUTOR_UNKNOWN'
  | 'NOT_IN_COMMUNITY'
  | 'NOT_IN_SHARING_GROUP'
  | 'NOT_NAMED'
  | 'TIER_TOO_LOW'
  | 'NOT_ENTITLED'
  | 'NOT_EXPORTABLE'
  | 'REVOKED'
  | 'EXPIRED';

export type VisibilityReason = 'VISIBLE' | VisibilityDenial;

export type VisibilityDecision = { readonly visible: true; readonly reason: 'VISIBLE' } | { readonly visible: false; readonly reason: VisibilityDenial };

const VISIBLE: VisibilityDecision = { visible: true, reason: 'VISIBLE' };
const deny = (reason: VisibilityDenial): VisibilityDecision => ({ visible: false, reason });

/** Suspended if either the caller's copy or the registry says so (a stale copy must not reopen access). */
export function isSuspended(org: Organisation, ctx: TrustContext): boolean {
  return org.status !== 'ACTIVE' || ctx.organisation(org.orgId)?.status === 'SUSPENDED';
}

/** Not revoked, and `validUntil` (if any) not before `now`. */
export function isLive(contribution: Contribution, now: Date): boolean {
  if (contribution.revokedAt !== undefined) return false;
  return contribution.validUntil === undefined || contribution.validUntil.getTime() >= now.getTime();
}

/** RED is never redistributed in bulk lists or exports. */
export function canExportInBulk(contribution: Contribution): boolean {
  return contribution.marking !== 'RED';
}

export function isGroupMember(orgId: string, groupId: string, ctx: TrustContext): boolean {
  return ctx.group(groupId)?.memberOrgIds.includes(orgId) ?? false;
}

/**
 * Whether `viewer` may see `contribution` of a signal of `signal.type`. Checks, first failure wins: viewer status;
 * then for others' contributions the contributor's status, the TLP audience, minimum tier and receive entitlement;
 * then bulk-export, revocation and expiry (for everyone, the contributor included). Audience denials come before
 * liveness so a reason never tells an outsider that a hidden contribution was revoked or expired.
 */
export function canSee(
  viewer: Organisation,
  contribution: Contribution,
  signal: { readonly type: SignalType },
  ctx: TrustContext,
  purpose: Purpose = 'view',
): VisibilityDecision {
  if (isSuspended(viewer, ctx)) return deny('VIEWER_SUSPENDED');
  // The contributor always sees its own live contributions, whatever the marking, tier or entitlements.
  if (contribution.contributorOrgId !== viewer.orgId) {
    const denial = othersContributionDenial(viewer, contribution, signal.type, ctx);
    if (denial) return deny(denial);
  }
  if (purpose === 'bulk-export' && !canExportInBulk(contribution)) return deny('NOT_EXPORTABLE');
  if (contribution.revokedAt !== undefined) return deny('REVOKED');
  if (!isLive(contribution, ctx.now)) return deny('EXPIRED');
  return VISIBLE;
}

function othersContributionDenial(viewer: Organisation, contribution: Contribution, type: SignalType, ctx: TrustContext): VisibilityDenial | undefined {
  const contributor = ctx.organisation(contribution.contributorOrgId);
  if (!contributor) return 'CONTRIBUTOR_UNKNOWN';
  if (ctx.policy.hideSuspendedContributors && contributor.status !== 'ACTIVE') return 'CONTRIBUTOR_SUSPENDED';
  const audience = audienceDenial(viewer, contribution, ctx);
  if (audience) return audience;
  // Written so that a missing or malformed tier fails closed.
  if (!(viewer.tier >= ctx.policy.minTier[type])) return 'TIER_TOO_LOW';
  if (!rulesGrant(entitlementsOf(viewer, ctx).receive, type, contribution.categories)) return 'NOT_ENTITLED';
  return undefined;
}

/** The TLP decision table for an active viewer that is not the contributor. */
function audienceDenial(viewer: Organisation, contribution: Contribution, ctx: TrustContext): VisibilityDenial | undefined {
  switch (contribution.marking) {
    case 'CLEAR':
      return undefined;
    case 'GREEN': {
      const community = ctx.policy.communityGroupId;
      return community === undefined || isGroupMember(viewer.orgId, community, ctx) ? undefined : 'NOT_IN_COMMUNITY';
    }
    case 'AMBER':
      return contribution.sharingGroupIds.some((groupId) => isGroupMember(viewer.orgId, groupId, ctx)) ? undefined : 'NOT_IN_SHARING_GROUP';
    case 'AMBER_STRICT':
    case 'RED':
      return contribution.namedOrgIds.includes(viewer.orgId) ? undefined : 'NOT_NAMED';
    default:
      // An unknown marking (e.g. UNSPECIFIED from the wire) is visible to nobody but the contributor.
      return 'NOT_NAMED';
  }
}
