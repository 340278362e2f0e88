import { SignalValidationError } from '../errors';
import type { UrlMatchScope } from '../identity';
import type { CanonicalUrl } from './canonicalize-url';

const SCOPES: readonly UrlMatchScope[] = ['exact', 'path-prefix', 'host', 'domain'];

/** Accepts `exact`, `path-prefix`, `host`, `domain` in any case, with `_` for `-`, and the proto `URL_MATCH_SCOPE_*` names. */
export function parseUrlMatchScope(raw: string): UrlMatchScope {
  const key = String(raw).trim().toLowerCase().replace(/^url_match_scope_/, '').replace(/_/g, '-');
  if ((SCOPES as readonly string[]).includes(key)) return key as UrlMatchScope;
  throw new SignalValidationError('UNSUPPORTED_MATCH_SCOPE', `unsupported URL match scope ${JSON.stringify(raw)}: use ${SCOPES.join(', ')}`, 'scope');
}

/**
 * The canonical value of a URL signal at a match scope (what its signal id is derived from):
 * - exact: the canonical URL;
 * - path-prefix: the canonical URL without its query (`scheme://host[:port]/path`);
 * - host: the host alone. Ports are ignored: Safe Browsing drops them too, and a service that moves to another
 *   port on the same host is the same service, so a host signal covers every port;
 * - domain: the registrable domain (eTLD+1); unavailable for IP hosts and for hosts that are a public suffix.
 */
export function scopedUrlValue(c: CanonicalUrl, scope: UrlMatchScope): string {
  switch (scope) {
    case 'exact':
      return c.url;
    case 'path-prefix':
      return `${c.scheme}://${c.host}${c.port === undefined ? '' : `:${c.port}`}${c.path}`;
    case 'host':
      return c.host;
    case 'domain':
      if (c.registrableDomain === undefined) {
        const why = c.hostKind === 'domain' ? 'is a public suffix' : 'is an IP address';
        throw new SignalValidationError('URL_SCOPE_UNAVAILABLE', `the domain scope needs a registrable domain, but host "${c.host}" ${why}`, 'scope');
      }
      return c.registrableDomain;
    default:
      // Only reachable from untyped callers: `EXACT` still works, anything else is rejected.
      return scopedUrlValue(c, parseUrlMatchScope(scope as string));
  }
}
