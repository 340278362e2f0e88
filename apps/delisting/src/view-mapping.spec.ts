import { FeedEvent, FeedEventKind, SignalType, TlpMarking, UrlMatchScope } from '@signal-mesh/contracts';
import { categoryCoveredBy, deriveEntry, NUDIFY_SERVICES } from '@signal-mesh/delisting-domain';
import { categoryCovered } from '@signal-mesh/feeds-domain';

import { contribution, randomUrlSignalId, retract, upsert, urlViewSignal } from './fakes.fixtures';
import { entryToProto, InvalidFeedEventError, listableView, viewUpdateOf } from './view-mapping';

const fallback = new Date('2025-01-01T00:00:00.000Z');

describe('feed events → view updates', () => {
  it('maps a URL view with markings, opinions, revocations and URL details', () => {
    const view = urlViewSignal({
      scope: UrlMatchScope.URL_MATCH_SCOPE_DOMAIN,
      contributions: [contribution({ marking: TlpMarking.TLP_MARKING_RED }), contribution({ marking: TlpMarking.TLP_MARKING_AMBER, revokedAt: new Date() }), contribution({ marking: TlpMarking.TLP_MARKING_UNSPECIFIED })],
    });
    const mapped = listableView(view);
    expect(mapped).toMatchObject({ signalId: view.signalId, type: 'url', canonical: view.canonicalValue, url: { matchScope: 'DOMAIN', registrableDomain: 'nudify.test' } });
    expect(mapped.contributions.map((c) => [c.marking, c.opinion, c.revoked])).toEqual([
      ['RED', 'POSITIVE', false],
      ['AMBER', 'POSITIVE', true],
      ['UNKNOWN', 'POSITIVE', false],
    ]);
    // None of those may put the URL on a bulk list.
    expect(deriveEntry(NUDIFY_SERVICES, mapped, fallback)).toBeUndefined();
  });

  it('takes emitted_at as the listing time, the record time when it is missing', () => {
    const event = upsert('org_a', urlViewSignal(), new Date('2025-06-02T00:00:00.000Z'));
    expect(viewUpdateOf(event, fallback)?.at).toEqual(new Date('2025-06-02T00:00:00.000Z'));
    expect(viewUpdateOf({ ...event, emittedAt: undefined }, fallback)?.at).toEqual(fallback);
  });

  it('maps a URL retraction to a removal and ignores other signal types', () => {
    const id = randomUrlSignalId();
    expect(viewUpdateOf(retract('org_a', id), fallback)).toMatchObject({ signalId: id });
    expect(viewUpdateOf(retract('org_a', id), fallback)?.view).toBeUndefined();
    expect(viewUpdateOf(retract('org_a', 'pp_0123', undefined, SignalType.SIGNAL_TYPE_PROMPT_PATTERN), fallback)).toBeUndefined();
    const pattern = FeedEvent.fromPartial({ kind: FeedEventKind.FEED_EVENT_KIND_UPSERT, orgId: 'org_a', signalId: 'pp_0123', signalType: SignalType.SIGNAL_TYPE_PROMPT_PATTERN, view: { signalId: 'pp_0123', type: SignalType.SIGNAL_TYPE_PROMPT_PATTERN } });
    expect(viewUpdateOf(pattern, fallback)).toBeUndefined();
  });

  it('refuses malformed URL events (dead-lettered)', () => {
    const view = urlViewSignal();
    expect(() => viewUpdateOf({ ...upsert('org_a', view), signalId: 'url_bad' }, fallback)).toThrow(InvalidFeedEventError);
    expect(() => viewUpdateOf(upsert('org_a', { ...view, details: undefined }), fallback)).toThrow(InvalidFeedEventError);
    expect(() => viewUpdateOf({ ...upsert('org_a', view), signalId: randomUrlSignalId() }, fallback)).toThrow(InvalidFeedEventError);
  });

  it('maps entries back to proto with their scope', () => {
    const entry = { signalId: randomUrlSignalId(), canonicalUrl: 'https://a.nudify.test/', matchScope: 'PATH_PREFIX' as const, registrableDomain: 'nudify.test', categories: ['service.nudify'], firstListedAt: fallback };
    expect(entryToProto(entry)).toEqual({ ...entry, matchScope: UrlMatchScope.URL_MATCH_SCOPE_PATH_PREFIX });
  });

  it("applies the same category coverage as feeds-domain (the domain lib repeats the rule)", () => {
    const entries = ['service.nudify', 'model'];
    for (const category of ['service.nudify', 'service.nudify.tutorial', 'service.nudifyx', 'service', 'model.2c', 'modelx', '', 'service.nudify.a.b']) {
      expect(categoryCoveredBy(category, entries)).toBe(categoryCovered(category, entries));
    }
  });
});
