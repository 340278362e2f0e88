import { CredentialError } from '@signal-mesh/trust-domain';

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
