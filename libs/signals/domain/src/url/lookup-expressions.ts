export type HostKind = 'domain' | 'ipv4' | 'ipv6';

/**
 * Safe Browsing host suffixes: the exact host, then up to four hosts formed from the last five labels by removing
 * the leading label each time, stopping before the top-level domain alone. IP hosts only match exactly.
 */
export function hostSuffixes(host: string, hostKind: HostKind): string[] {
  const hosts = [host];
  if (hostKind !== 'domain') return hosts;
  // dots[k - 1] is the k-th dot from the end: the suffix after it has k labels.
  const dots: number[] = [];
  for (let p = host.length; dots.length < 5; ) {
    p = host.lastIndexOf('.', p - 1);
    if (p === -1) break;
    dots.push(p);
  }
  for (let k = dots.length; k >= 2; k--) hosts.push(host.slice(dots[k - 1] + 1));
  return hosts;
}

/**
 * Safe Browsing path prefixes: the exact path with its query, the exact path, then up to four directory prefixes
 * from the root (`/`, `/a/`, `/a/b/`, `/a/b/c/`), without duplicates.
 */
export function pathPrefixes(path: string, query: string | undefined): string[] {
  const paths = query === undefined ? [path] : [`${path}?${query}`, path];
  let end = 0;
  for (let n = 0; n < 4 && end !== -1; n++) {
    const prefix = path.slice(0, end + 1);
    if (prefix !== path) paths.push(prefix);
    end = path.indexOf('/', end + 1);
  }
  return paths;
}

/**
 * The host-suffix × path-prefix expressions of a canonical URL in Safe Browsing's order (per host, the paths), as
 * `host/path` strings without scheme or port: Safe Browsing ignores ports, and so does the host scope.
 */
export function lookupExpressions(host: string, hostKind: HostKind, path: string, query: string | undefined): string[] {
  const paths = pathPrefixes(path, query);
  const out: string[] = [];
  for (const h of hostSuffixes(host, hostKind)) {
    for (const p of paths) out.push(h + p);
  }
  return out;
}
