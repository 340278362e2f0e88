import { FeedEvent, FeedEventKind, RetractReason, SignalType } from '@signal-mesh/contracts';
import { decodeCursor, EMPTY_FILTER } from '@signal-mesh/feeds-domain';
import { encodeFeedEvent } from '@signal-mesh/feeds-event-mapping';
import { testLogger } from '@signal-mesh/testing';
import type { RawRecord } from '@signal-mesh/transport-kafka';

import { FeedApi, type FeedApiDeps } from './feed-api';

const event = (orgId: string, confidence = 80) =>
  FeedEvent.fromPartial({
    kind: FeedEventKind.FEED_EVENT_KIND_UPSERT,
    orgId,
    signalId: 'sig_1',
    signalType: SignalType.SIGNAL_TYPE_URL,
    canonicalValue: 'https://a.example.com/',
    view: { signalId: 'sig_1', type: SignalType.SIGNAL_TYPE_URL, categories: ['service.nudify'], aggregates: { contributorCount: 1, confidence, positiveCount: 1, negativeCount: 0 } },
  });
const record = (key: string, value: Buffer | null, offset = '41'): RawRecord => ({ topic: 'feeds', partition: 2, offset, key, value, headers: {}, timestamp: '0' });

describe('FeedApi.eventFor', () => {
  const api = new FeedApi({ logger: testLogger() } as unknown as FeedApiDeps);

  it("delivers the caller's record with the cursor after it", () => {
    const delivered = api.eventFor(record('org_a', Buffer.from(encodeFeedEvent(event('org_a')))), 'org_a', EMPTY_FILTER);
    expect(delivered?.kind).toBe(FeedEventKind.FEED_EVENT_KIND_UPSERT);
    expect(decodeCursor(delivered?.cursor ?? '')).toEqual({ partition: 2, offset: '42' });
  });

  it("skips other organisations' records, a value naming another organisation, and undecodable records", () => {
    expect(api.eventFor(record('org_b', Buffer.from(encodeFeedEvent(event('org_b')))), 'org_a', EMPTY_FILTER)).toBeUndefined();
    expect(api.eventFor(record('org_a', Buffer.from(encodeFeedEvent(event('org_b')))), 'org_a', EMPTY_FILTER)).toBeUndefined();
    expect(api.eventFor(record('org_a', Buffer.from([0xff, 0xff, 0xff])), 'org_a', EMPTY_FILTER)).toBeUndefined();
    expect(api.eventFor(record('org_a', null), 'org_a', EMPTY_FILTER)).toBeUndefined();
  });

  it('applies the filter: a non-matching UPSERT becomes RETRACT FILTERED_OUT', () => {
    const delivered = api.eventFor(record('org_a', Buffer.from(encodeFeedEvent(event('org_a', 50)))), 'org_a', { ...EMPTY_FILTER, minConfidence: 60 });
    expect(delivered).toMatchObject({ kind: FeedEventKind.FEED_EVENT_KIND_RETRACT, retractReason: RetractReason.RETRACT_REASON_FILTERED_OUT, view: undefined });
  });
});
