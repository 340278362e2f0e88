import type { TrustContext } from './context';
import { entitlementsOf, rulesGrant } from './entitlements';
import { type Marking, MARKINGS, type Organisation, SIGNAL_TYPES, type SignalType } from './model';
import { isSuspended } from './visibility';

/** What an organisation wants to contribute, before it is stored. */
export interface ContributionRequest {
  readonly type: SignalType;
  readonly categories: readonly string[];
  readonly marking: Marking;
  readonly sharingGroupIds?: readonly string[];
  readonly namedOrgIds?: readonly string[];
}

export type ContributionDenial =
  | 'CONTRIBUTOR_SUSPENDED'
  | 'CONTRIBUTOR_UNKNOWN'
  | 'UNKNOWN_SIGNAL_TYPE'
  | 'UNKNOWN_MARKING'
  | 'MARKING_NOT_ALLOWED'
  | 'TIER_TOO_LOW'
  | 'NOT_ENTITLED'
  | 'SHARING_GROUP_REQUIRED'
  | 'NAMED_ORG_REQUIRED'
  | 'AUDIENCE_NOT_APPLICABLE'
  | 'UNKNOWN_SHARING_GROUP'
  | 'UNKNOWN_NAMED_ORG';

export type ContributionDecision =
  | { readonly allowed: true; readonly reason: 'ALLOWED' }
  | { readonly allowed: false; readonly reason: ContributionDenial; readonly detail?: string };

const deny = (reason: ContributionDenial, detail?: string): ContributionDecision =>
  detail === undefined ? { allowed: false, reason } : { allowed: false, reason, detail };

/**
 * Whether `org` may contribute this. API-key scopes are the service's concern; this decides status, membership,
 * marking, tier, contribute entitlement (every category covered) and the audience the marking needs.
 */
export function canContribute(org: Organisation, request: ContributionRequest, ctx: TrustContext): ContributionDecision {
  if (isSuspended(org, ctx)) return deny('CONTRIBUTOR_SUSPENDED');
  // Contributions of unregistered organisations are visible to nobody else, so refuse them up front.
  if (!ctx.organisation(org.orgId)) return deny('CONTRIBUTOR_UNKNOWN', org.orgId);
  if (!SIGNAL_TYPES.includes(request.type)) return deny('UNKNOWN_SIGNAL_TYPE', String(request.type));
  if (!MARKINGS.includes(request.marking)) return deny('UNKNOWN_MARKING', String(request.marking));
  if (!ctx.policy.allowedMarkings[request.type].includes(request.marking)) return deny('MARKING_NOT_ALLOWED', `${request.type} may not be ${request.marking}`);
  if (!(org.tier >= ctx.policy.minTier[request.type])) return deny('TIER_TOO_LOW', `${request.type} needs tier ${ctx.policy.minTier[request.type]}`);
  if (!rulesGrant(entitlementsOf(org, ctx).contribute, request.type, request.categories)) return deny('NOT_ENTITLED');
  return audienceDecision(request, ctx);
}

function audienceDecision(request: ContributionRequest, ctx: TrustContext): ContributionDecision {
  const groups = request.sharingGroupIds ?? [];
  const named = request.namedOrgIds ?? [];
  const usesGroups = request.marking === 'AMBER';
  const usesNamed = request.marking === 'AMBER_STRICT' || request.marking === 'RED';
  // An audience the marking ignores would mislead the contributor into thinking it narrows who sees the contribution.
  if (!usesGroups && groups.length > 0) return deny('AUDIENCE_NOT_APPLICABLE', `${request.marking} does not use sharing groups`);
  if (!usesNamed && named.length > 0) return deny('AUDIENCE_NOT_APPLICABLE', `${request.marking} does not use named organisations`);
  if (usesGroups && groups.length === 0) return deny('SHARING_GROUP_REQUIRED');
  if (usesNamed && named.length === 0) return deny('NAMED_ORG_REQUIRED');
  const unknownGroup = groups.find((groupId) => !ctx.group(groupId));
  if (unknownGroup !== undefined) return deny('UNKNOWN_SHARING_GROUP', unknownGroup);
  const unknownOrg = named.find((orgId) => !ctx.organisation(orgId));
  if (unknownOrg !== undefined) return deny('UNKNOWN_NAMED_ORG', unknownOrg);
  return { allowed: true, reason: 'ALLOWED' };
}
