import type { DelistEntry } from './model';

export const CSV_HEADER = 'signal_id,canonical_url,match_scope,registrable_domain,categories,first_listed_at\r\n';

/** RFC 4180: quoted when it holds a comma, quote or line break, quotes doubled. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV record (CRLF), categories joined by ";" (category names never contain it). */
export function csvLine(entry: DelistEntry): string {
  return `${[entry.signalId, entry.canonicalUrl, entry.matchScope, entry.registrableDomain, entry.categories.join(';'), entry.firstListedAt.toISOString()].map(csvField).join(',')}\r\n`;
}

const IP_LITERAL_RE = /^(\d{1,3}\.){3}\d{1,3}$|:|^\[/;

function hostOf(url: string): string | undefined {
  try {
    const host = new URL(url).hostname;
    return host && !IP_LITERAL_RE.test(host) ? host : undefined;
  } catch {
    return undefined;
  }
}

/**
 * hosts-file lines (`0.0.0.0 <host>\n`) of an entry. HOST: its host. DOMAIN: the registrable domain, plus the URL's
 * host when that is a subdomain (hosts files have no wildcards: subdomains below are NOT covered — use NDJSON or CSV
 * for exact semantics). EXACT and PATH_PREFIX entries yield nothing: blocking the whole host would over-block.
 * IP-literal hosts are skipped. Lines may repeat across entries (harmless in a hosts file; streaming cannot dedupe).
 */
export function hostsLines(entry: DelistEntry): string[] {
  if (entry.matchScope !== 'HOST' && entry.matchScope !== 'DOMAIN') return [];
  const host = hostOf(entry.canonicalUrl);
  const hosts = entry.matchScope === 'HOST' ? [host] : [entry.registrableDomain || undefined, host === entry.registrableDomain ? undefined : host];
  return hosts.filter((h): h is string => h !== undefined && !IP_LITERAL_RE.test(h)).map((h) => `0.0.0.0 ${h}\n`);
}

/** JSON form of an entry in the HTTP API (camelCase like the other REST APIs; the snapshot NDJSON is snake_case). */
export interface EntryJson {
  signalId: string;
  canonicalUrl: string;
  matchScope: string;
  registrableDomain: string;
  categories: string[];
  firstListedAt: string;
}

export function entryToJson(entry: DelistEntry): EntryJson {
  return {
    signalId: entry.signalId,
    canonicalUrl: entry.canonicalUrl,
    matchScope: entry.matchScope,
    registrableDomain: entry.registrableDomain,
    categories: [...entry.categories],
    firstListedAt: entry.firstListedAt.toISOString(),
  };
}
