import { FeedEventKind, RetractReason, type Signal, SignalType } from '@signal-mesh/contracts';
import { FeedDomainError } from '@signal-mesh/feeds-domain';

import { applyFilter, decodeFeedEvent, encodeFeedEvent, feedEventFromChange, FeedEventMappingError, filterFromProto, filterToProto } from './feed-event.mapping';

const at = new Date('2026-11-01T00:00:00Z');
const state: Signal = {
  signalId: 'sig_1',
  type: SignalType.SIGNAL_TYPE_URL,
  canonicalValue: 'https://nudify.example.com/',
  categories: ['service.nudify'],
  status: 1,
  details: undefined,
  aggregates: { contributorCount: 1, confidence: 60, positiveCount: 1, negativeCount: 0 },
  firstSeenAt: at,
  updatedAt: at,
  contributions: [],
};
const view = {
  signalId: 'sig_1',
  type: 'url' as const,
  canonical: 'https://nudify.example.com/',
  categories: ['service.nudify'],
  status: 'ACTIVE' as const,
  aggregates: { contributorCount: 1, confidence: 60, positiveCount: 1, negativeCount: 0 },
  firstSeenAt: at,
  updatedAt: at,
  contributions: [],
};

describe('feed event mapping', () => {
  it('round-trips an UPSERT and a RETRACT through the wire format', () => {
    const upsert = feedEventFromChange({ orgId: 'org_a', kind: 'UPSERT', view }, state, at);
    const retract = feedEventFromChange({ orgId: 'org_b', kind: 'RETRACT', reason: 'REVOKED' }, state, at);
    expect(decodeFeedEvent(encodeFeedEvent(upsert))).toEqual(upsert);
    expect(decodeFeedEvent(encodeFeedEvent(retract))).toMatchObject({ kind: FeedEventKind.FEED_EVENT_KIND_RETRACT, orgId: 'org_b', signalId: 'sig_1', retractReason: RetractReason.RETRACT_REASON_REVOKED, view: undefined });
  });

  it('refuses records that are not well-formed feed events', () => {
    expect(() => decodeFeedEvent(null)).toThrow(FeedEventMappingError);
    expect(() => decodeFeedEvent(Buffer.from([0xff, 0xff, 0xff]))).toThrow(FeedEventMappingError);
    const upsert = feedEventFromChange({ orgId: 'org_a', kind: 'UPSERT', view }, state, at);
    expect(() => decodeFeedEvent(encodeFeedEvent({ ...upsert, view: undefined }))).toThrow('UPSERT without a view');
  });

  it('turns an UPSERT that does not match the filter into RETRACT FILTERED_OUT, and leaves matching ones alone', () => {
    const upsert = feedEventFromChange({ orgId: 'org_a', kind: 'UPSERT', view }, state, at);
    expect(applyFilter(upsert, filterFromProto({ types: [SignalType.SIGNAL_TYPE_URL], categories: [], minConfidence: 50 }))).toBe(upsert);
    const filtered = applyFilter(upsert, filterFromProto({ types: [], categories: [], minConfidence: 61 }));
    expect(filtered).toMatchObject({ kind: FeedEventKind.FEED_EVENT_KIND_RETRACT, retractReason: RetractReason.RETRACT_REASON_FILTERED_OUT, view: undefined, signalId: 'sig_1' });
  });

  it('maps filters both ways and refuses unknown types', () => {
    const filter = filterFromProto({ types: [SignalType.SIGNAL_TYPE_URL, SignalType.SIGNAL_TYPE_MODEL_HASH], categories: ['service.nudify'], minConfidence: 10 });
    expect(filter).toEqual({ types: ['model-hash', 'url'], categories: ['service.nudify'], minConfidence: 10 });
    expect(filterFromProto(filterToProto(filter))).toEqual(filter);
    expect(() => filterFromProto({ types: [SignalType.SIGNAL_TYPE_UNSPECIFIED], categories: [], minConfidence: 0 })).toThrow(FeedDomainError);
  });
});
