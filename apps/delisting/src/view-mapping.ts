import { type Contribution, type DelistEntry as ProtoEntry, type FeedEvent, FeedEventKind, Opinion, type Signal, SignalType, TlpMarking, UrlMatchScope } from '@signal-mesh/contracts';
import { type DelistEntry, type ListableView, type MatchScope, URL_SIGNAL_ID_RE, type ViewContribution, type ViewMarking, type ViewUpdate } from '@signal-mesh/delisting-domain';

const MARKINGS: Partial<Record<TlpMarking, ViewMarking>> = {
  [TlpMarking.TLP_MARKING_CLEAR]: 'CLEAR',
  [TlpMarking.TLP_MARKING_GREEN]: 'GREEN',
  [TlpMarking.TLP_MARKING_AMBER]: 'AMBER',
  [TlpMarking.TLP_MARKING_AMBER_STRICT]: 'AMBER_STRICT',
  [TlpMarking.TLP_MARKING_RED]: 'RED',
};

const TYPES: Partial<Record<SignalType, ListableView['type']>> = {
  [SignalType.SIGNAL_TYPE_URL]: 'url',
  [SignalType.SIGNAL_TYPE_MODEL_HASH]: 'model-hash',
  [SignalType.SIGNAL_TYPE_PROMPT_PATTERN]: 'prompt-pattern',
};

const SCOPES: Record<MatchScope, UrlMatchScope> = {
  EXACT: UrlMatchScope.URL_MATCH_SCOPE_EXACT,
  PATH_PREFIX: UrlMatchScope.URL_MATCH_SCOPE_PATH_PREFIX,
  HOST: UrlMatchScope.URL_MATCH_SCOPE_HOST,
  DOMAIN: UrlMatchScope.URL_MATCH_SCOPE_DOMAIN,
};

/** Unspecified (or unknown) is read as EXACT: the narrowest scope, so a malformed view never over-blocks. */
function scopeOf(scope: UrlMatchScope): MatchScope {
  return (Object.keys(SCOPES) as MatchScope[]).find((name) => SCOPES[name] === scope) ?? 'EXACT';
}

function contributionOf(c: Contribution): ViewContribution {
  return {
    marking: MARKINGS[c.marking] ?? 'UNKNOWN',
    opinion: c.opinion === Opinion.OPINION_POSITIVE ? 'POSITIVE' : c.opinion === Opinion.OPINION_NEGATIVE ? 'NEGATIVE' : 'UNKNOWN',
    categories: c.categories,
    revoked: c.revokedAt !== undefined,
  };
}

/** An organisation's view (proto Signal) in the delisting domain's terms. */
export function listableView(view: Signal): ListableView {
  const url = view.details?.$case === 'url' ? view.details.value : undefined;
  return {
    signalId: view.signalId,
    type: TYPES[view.type] ?? 'unknown',
    canonical: view.canonicalValue,
    ...(url ? { url: { matchScope: scopeOf(url.matchScope), registrableDomain: url.registrableDomain } } : {}),
    contributions: view.contributions.map(contributionOf),
  };
}

/** Why a feed event cannot be used (dead-lettered with this reason). */
export class InvalidFeedEventError extends Error {
  readonly code = 'INVALID_FEED_EVENT';
}

/**
 * The view update a feed event means for delisting, or undefined when it cannot concern a list (not a URL signal).
 * `fallbackAt` (the record's timestamp) stands in for a missing emitted_at, so reprocessing stays deterministic.
 */
export function viewUpdateOf(event: FeedEvent, fallbackAt: Date): ViewUpdate | undefined {
  const type = event.kind === FeedEventKind.FEED_EVENT_KIND_UPSERT ? (event.view?.type ?? event.signalType) : event.signalType;
  if (type !== SignalType.SIGNAL_TYPE_URL) return undefined;
  if (!URL_SIGNAL_ID_RE.test(event.signalId)) throw new InvalidFeedEventError(`"${event.signalId.slice(0, 80)}" is not a URL signal id`);
  const at = event.emittedAt ?? fallbackAt;
  if (event.kind !== FeedEventKind.FEED_EVENT_KIND_UPSERT) return { signalId: event.signalId, at };
  const view = event.view;
  if (!view || view.signalId !== event.signalId) throw new InvalidFeedEventError('an UPSERT view must be of the event signal');
  if (view.details?.$case !== 'url') throw new InvalidFeedEventError('a URL view without URL details');
  return { signalId: event.signalId, view: listableView(view), at };
}

export function entryToProto(entry: DelistEntry): ProtoEntry {
  return {
    signalId: entry.signalId,
    canonicalUrl: entry.canonicalUrl,
    matchScope: SCOPES[entry.matchScope],
    registrableDomain: entry.registrableDomain,
    categories: [...entry.categories],
    firstListedAt: entry.firstListedAt,
  };
}
