import { contributionIdFor } from '@signal-mesh/signals-domain';
import { TrustClientError } from '@signal-mesh/trust-client';

import { callerOf, newTestApi, ORG, patternDraft, T0, urlDraft } from './fakes.fixtures';
import { SubmitContributions } from './submit-contributions.usecase';

const codes = (outcomes: { rejected?: { code: string } }[]) => outcomes.map((o) => o.rejected?.code ?? 'ACCEPTED');

describe(SubmitContributions.name, () => {
  it('accepts a valid item only after its event was produced, keyed by the canonical signal', async () => {
    const { api, publisher } = newTestApi();
    const [outcome] = await api.submit.execute(callerOf(), [{ draft: urlDraft() }]);
    expect(outcome.accepted).toMatchObject({ type: 'url', canonical: 'example.com', replayed: false, contributionId: 'ctb_00000000000000000000000000000000' });
    expect(publisher.published).toHaveLength(1);
    const [{ submission, idempotencyKey, acceptedAt }] = publisher.published;
    expect(submission).toMatchObject({
      kind: 'contribution',
      submitterOrgId: ORG,
      signalId: outcome.accepted?.signalId,
      contribution: { contributionId: outcome.accepted?.contributionId, contributorOrgId: ORG, marking: 'GREEN', categories: ['service.nudify'], opinion: 'POSITIVE', createdAt: T0 },
    });
    // Without a client key the event carries the contribution id as its idempotency key.
    expect(idempotencyKey).toBe(outcome.accepted?.contributionId);
    expect(acceptedAt).toEqual(T0);
  });

  it('answers every item of a mixed batch in order, with a code for each invalid one, and produces exactly the valid ones', async () => {
    const { api, publisher } = newTestApi();
    const outcomes = await api.submit.execute(callerOf(), [
      { draft: urlDraft() },
      { draft: urlDraft({ signal: { type: 'url', value: 'ftp://example.com/x' } }) },
      { draft: patternDraft() },
      { draft: urlDraft({ categories: ['model.2c'] }) },
      { draft: urlDraft({ confidence: 101 }) },
      { error: new TrustClientError('X', 'INVALID_ARGUMENT', 'never reached') },
      { draft: urlDraft({ marking: 'AMBER' }) },
      { draft: urlDraft(), idempotencyKey: 'has space' },
    ]);
    expect(codes(outcomes)).toEqual(['ACCEPTED', 'UNSUPPORTED_SCHEME', 'ACCEPTED', 'CATEGORY_TYPE_MISMATCH', 'CONFIDENCE_OUT_OF_RANGE', 'X', 'SHARING_GROUP_REQUIRED', 'IDEMPOTENCY_KEY_INVALID']);
    expect(outcomes[1].rejected).toMatchObject({ failure: 'INVALID_ARGUMENT', field: 'signal.value' });
    expect(publisher.published.map((p) => p.submission.signalId)).toEqual([outcomes[0].accepted?.signalId, outcomes[2].accepted?.signalId]);
  });

  it('asks the trust service once per distinct resource, with the caller’s own key, and reports refusals per item', async () => {
    const { api, trust, publisher } = newTestApi();
    trust.refuse = (call) => (call.resource.marking === 'AMBER' ? new TrustClientError('MARKING_NOT_ALLOWED', 'PERMISSION_DENIED', 'prompt-pattern may not be AMBER') : undefined);
    const outcomes = await api.submit.execute(callerOf(), [{ draft: urlDraft() }, { draft: patternDraft() }, { draft: urlDraft({ signal: { type: 'url', value: 'https://other.example.org/' } }) }]);
    expect(codes(outcomes)).toEqual(['ACCEPTED', 'MARKING_NOT_ALLOWED', 'ACCEPTED']);
    expect(outcomes[1].rejected?.failure).toBe('PERMISSION_DENIED');
    expect(trust.authorizeCalls).toHaveLength(2);
    expect(trust.authorizeCalls[0]).toEqual({
      apiKey: callerOf().apiKey,
      action: 'CONTRIBUTE',
      resource: { signalType: 'url', categories: ['service.nudify'], marking: 'GREEN', sharingGroupIds: [], namedOrgIds: [] },
    });
    expect(publisher.published).toHaveLength(2);
  });

  it('fails closed when the trust service is unreachable', async () => {
    const { api, trust, publisher } = newTestApi();
    trust.refuse = () => new TrustClientError('TRUST_UNAVAILABLE', 'UNAVAILABLE', 'the trust service is unavailable; retry later');
    const [outcome] = await api.submit.execute(callerOf(), [{ draft: urlDraft() }]);
    expect(outcome.rejected).toMatchObject({ code: 'TRUST_UNAVAILABLE', failure: 'UNAVAILABLE' });
    expect(publisher.published).toHaveLength(0);
  });

  describe('idempotency', () => {
    it('derives the contribution id from the key, and replays the original result for the same key and body', async () => {
      const { api, publisher } = newTestApi();
      const [first] = await api.submit.execute(callerOf(), [{ draft: urlDraft(), idempotencyKey: 'batch-7/row-1' }]);
      expect(first.accepted?.contributionId).toBe(contributionIdFor(ORG, 'batch-7/row-1'));
      // Another spelling of the same URL canonicalizes to the same body.
      const [again] = await api.submit.execute(callerOf(), [{ draft: urlDraft({ signal: { type: 'url', value: 'HTTPS://NUDIFY.Example.com:443/other', scope: 'domain' } }), idempotencyKey: 'batch-7/row-1' }]);
      expect(again.accepted).toEqual({ ...first.accepted, replayed: true });
      // Produced again with the same contribution id: dedup ignores it, and a crash before the first produce loses nothing.
      expect(publisher.published.map((p) => p.submission.kind === 'contribution' && p.submission.contribution.contributionId)).toEqual([first.accepted?.contributionId, first.accepted?.contributionId]);
      expect(publisher.published.map((p) => p.idempotencyKey)).toEqual(['batch-7/row-1', 'batch-7/row-1']);
    });

    it('refuses the same key with a different body, producing nothing', async () => {
      const { api, publisher } = newTestApi();
      await api.submit.execute(callerOf(), [{ draft: urlDraft(), idempotencyKey: 'k-1' }]);
      const [refused] = await api.submit.execute(callerOf(), [{ draft: urlDraft({ confidence: 81 }), idempotencyKey: 'k-1' }]);
      expect(refused.rejected).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', failure: 'ALREADY_EXISTS', field: 'idempotencyKey' });
      expect(publisher.published).toHaveLength(1);
    });

    it('scopes keys to the organisation', async () => {
      const { api, trust } = newTestApi();
      trust.principals.set(callerOf('org_other0000000001').apiKey, callerOf('org_other0000000001').principal);
      const [a] = await api.submit.execute(callerOf(), [{ draft: urlDraft(), idempotencyKey: 'same' }]);
      const [b] = await api.submit.execute(callerOf('org_other0000000001'), [{ draft: urlDraft({ confidence: 10 }), idempotencyKey: 'same' }]);
      expect(b.accepted?.replayed).toBe(false);
      expect(b.accepted?.contributionId).not.toBe(a.accepted?.contributionId);
    });

    it('refuses keyed items with STORE_UNAVAILABLE when the store fails, and still accepts keyless ones', async () => {
      const { api, idempotency, publisher } = newTestApi();
      idempotency.failWith = new Error('connection reset');
      const outcomes = await api.submit.execute(callerOf(), [{ draft: urlDraft(), idempotencyKey: 'k' }, { draft: patternDraft() }]);
      expect(codes(outcomes)).toEqual(['STORE_UNAVAILABLE', 'ACCEPTED']);
      expect(outcomes[0].rejected?.failure).toBe('UNAVAILABLE');
      expect(publisher.published).toHaveLength(1);
    });
  });

  it('answers PUBLISH_FAILED for every item of a chunk whose produce failed, never success', async () => {
    const { api, publisher } = newTestApi();
    publisher.failWith = new Error('NOT_ENOUGH_REPLICAS');
    const outcomes = await api.submit.execute(callerOf(), [{ draft: urlDraft() }, { draft: patternDraft() }, { draft: urlDraft({ confidence: -1 }) }]);
    expect(codes(outcomes)).toEqual(['PUBLISH_FAILED', 'PUBLISH_FAILED', 'CONFIDENCE_OUT_OF_RANGE']);
    expect(outcomes[0].rejected).toMatchObject({ failure: 'UNAVAILABLE' });
    expect(outcomes[0].rejected?.message).not.toContain('REPLICAS');
  });

  it('produces in chunks', async () => {
    const { api, publisher } = newTestApi({ chunkItems: 2 });
    const outcomes = await api.submit.execute(callerOf(), Array.from({ length: 5 }, (_, i) => ({ draft: urlDraft({ confidence: i }) })));
    expect(codes(outcomes)).toEqual(Array(5).fill('ACCEPTED'));
    expect(publisher.sends.map((s) => s.length)).toEqual([2, 2, 1]);
  });

  it('admits the first items up to the organisation’s rate limit and refuses the rest with RATE_LIMITED and a retry time', async () => {
    const { api, clock, publisher } = newTestApi({ rateBurst: 3, rateItemsPerSecond: 0.5 });
    const outcomes = await api.submit.execute(callerOf(), Array.from({ length: 5 }, (_, i) => ({ draft: urlDraft({ confidence: i }) })));
    expect(codes(outcomes)).toEqual(['ACCEPTED', 'ACCEPTED', 'ACCEPTED', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(outcomes[4].rejected).toMatchObject({ failure: 'RESOURCE_EXHAUSTED', retryAfterSeconds: 2 });
    expect(publisher.published).toHaveLength(3);
    clock.now = new Date(T0.getTime() + 2_000);
    expect(codes(await api.submit.execute(callerOf(), [{ draft: urlDraft() }, { draft: urlDraft() }]))).toEqual(['ACCEPTED', 'RATE_LIMITED']);
  });
});
