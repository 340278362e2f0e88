import { type ApiKeyScope, canContribute, CredentialError, type Marking, type Organisation, type SignalType, type TrustContext } from '@signal-mesh/trust-domain';

import type { Caller } from './authenticator';
import { TrustServiceError } from './errors';

/**
 * Only an ADMIN-scoped key of an OPERATOR organisation may administer. ADMIN does not carry over to other kinds of
 * organisation, and an operator's CONTRIBUTE/SUBSCRIBE keys do not administer.
 */
export function requireAdministrator(caller: Caller): void {
  if (caller.org.kind !== 'OPERATOR') throw new TrustServiceError('NOT_OPERATOR', 'only operator organisations may administer');
  if (!caller.key.scopes.includes('ADMIN')) throw new CredentialError('API_KEY_WRONG_SCOPE', 'administration needs an ADMIN-scoped API key');
}

/**
 * Who may rotate a key: an ADMIN key of an OPERATOR organisation (any key), or an ADMIN key of the organisation that
 * owns the key. `keyOrgId` is undefined for an unknown key; a non-operator gets the same NOT_KEY_OWNER for an unknown
 * key as for another organisation's, so key ids cannot be probed. The scope is checked first: without ADMIN nothing
 * about the key is revealed.
 */
export function requireKeyRotator(caller: Caller, keyOrgId: string | undefined): void {
  if (!caller.key.scopes.includes('ADMIN')) throw new CredentialError('API_KEY_WRONG_SCOPE', 'rotating a key needs an ADMIN-scoped API key');
  if (caller.org.kind === 'OPERATOR') return;
  if (keyOrgId === undefined || keyOrgId !== caller.org.orgId) throw new TrustServiceError('NOT_KEY_OWNER', "only the key's own organisation or an operator may rotate it");
}

/** Domain spelling of the action being authorised (proto enums mapped by the caller; unknown → 'UNKNOWN'). */
export type AuthorizeAction = 'CONTRIBUTE' | 'REVOKE' | 'DISPUTE' | 'SUBSCRIBE' | 'LOOKUP' | 'PULL_DELISTING' | 'ADMINISTER' | 'UNKNOWN';

/** The resource in domain spellings; an unknown type or marking is `undefined` and fails closed. */
export interface AuthorizeResource {
  readonly signalType?: SignalType;
  readonly categories: readonly string[];
  readonly marking?: Marking;
  readonly sharingGroupIds: readonly string[];
  readonly namedOrgIds: readonly string[];
  readonly ownerOrgId: string;
  readonly targetOrgId: string;
}

export type AuthorizeDecision = { readonly allowed: true } | { readonly allowed: false; readonly code: string; readonly message: string; readonly field?: string };

const deny = (code: string, message: string, field?: string): AuthorizeDecision => (field === undefined ? { allowed: false, code, message } : { allowed: false, code, message, field });
const ALLOWED: AuthorizeDecision = { allowed: true };

function scope(caller: Caller, required: ApiKeyScope): AuthorizeDecision | undefined {
  return caller.key.scopes.includes(required) ? undefined : deny('API_KEY_WRONG_SCOPE', `this action needs a ${required}-scoped API key`);
}

/**
 * Authorize, decided from the CALLER's own authenticated credential: the key's scope first, then the trust domain
 * policy. Everything not explicitly granted is denied (unknown actions, types and markings included).
 */
export function decideAuthorization(caller: Caller, action: AuthorizeAction, resource: AuthorizeResource, ctx: TrustContext): AuthorizeDecision {
  const org: Organisation = caller.org;
  switch (action) {
    case 'CONTRIBUTE':
    case 'DISPUTE': {
      const refused = scope(caller, 'CONTRIBUTE');
      if (refused) return refused;
      if (resource.signalType === undefined) return deny('UNKNOWN_SIGNAL_TYPE', 'resource.signal_type must be a known signal type', 'resource.signal_type');
      if (resource.marking === undefined) return deny('UNKNOWN_MARKING', 'resource.marking must be a known TLP marking', 'resource.marking');
      const decision = canContribute(
        org,
        { type: resource.signalType, categories: resource.categories, marking: resource.marking, sharingGroupIds: resource.sharingGroupIds, namedOrgIds: resource.namedOrgIds },
        ctx,
      );
      return decision.allowed ? ALLOWED : deny(decision.reason, decision.detail ?? decision.reason);
    }
    case 'REVOKE': {
      const refused = scope(caller, 'CONTRIBUTE');
      if (refused) return refused;
      // Only the contributor revokes its own contributions.
      if (resource.ownerOrgId !== org.orgId) return deny('NOT_OWNER', 'only the contributing organisation may revoke its contribution', 'resource.owner_org_id');
      return ALLOWED;
    }
    case 'SUBSCRIBE':
    case 'LOOKUP': {
      const refused = scope(caller, 'SUBSCRIBE');
      if (refused) return refused;
      // An organisation reads its own feed only.
      if (resource.targetOrgId !== '' && resource.targetOrgId !== org.orgId) return deny('NOT_OWN_FEED', "an organisation may read only its own feed", 'resource.target_org_id');
      return ALLOWED;
    }
    case 'PULL_DELISTING': {
      if (org.kind !== 'SEARCH_ENGINE') return deny('NOT_SEARCH_ENGINE', 'delisting lists are for search engines');
      return scope(caller, 'SUBSCRIBE') ?? ALLOWED;
    }
    case 'ADMINISTER':
      if (org.kind !== 'OPERATOR') return deny('NOT_OPERATOR', 'only operator organisations may administer');
      return scope(caller, 'ADMIN') ?? ALLOWED;
    default:
      return deny('UNKNOWN_ACTION', 'action must be a known action', 'action');
  }
}

/**
 * Who may ask for an organisation's view (GetView): the organisation itself with a SUBSCRIBE key, or an ADMIN key of
 * an OPERATOR organisation (the mesh's own services, e.g. fan-out) for any organisation. A view also reveals the
 * target's memberships and entitlements, so other members are refused.
 */
export function requireViewer(caller: Caller, orgId: string): void {
  if (caller.org.kind === 'OPERATOR' && caller.key.scopes.includes('ADMIN')) return;
  if (caller.org.orgId !== orgId) throw new TrustServiceError('NOT_OWN_VIEW', "only the organisation itself or an operator may compute its view");
  if (!caller.key.scopes.includes('SUBSCRIBE')) throw new CredentialError('API_KEY_WRONG_SCOPE', 'a view needs a SUBSCRIBE-scoped API key');
}
