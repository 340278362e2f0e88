import { contributionIdFor } from '@signal-mesh/signals-domain';
import { TrustClientError } from '@signal-mesh/trust-client';

import { DisputeSignal } from './dispute-signal.usecase';
import { callerOf, newTestApi, ORG, OTHER_ORG, patternDraft, storedRecord, T0 } from './fakes.fixtures';

function setup() {
  const t = newTestApi();
  const record = storedRecord();
  t.signals.records.push(record);
  return { ...t, record };
}

const request = (signalId: string, overrides = {}) => ({ signalId, reason: 'the site is a photo editor', marking: 'GREEN', confidence: 70, ...overrides });
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (err: { code?: string; rejection?: { code: string } }) => err.rejection?.code ?? err.code);

describe(DisputeSignal.name, () => {
  it('produces a NEGATIVE contribution of the same signal over the categories the caller sees, authorised as DISPUTE', async () => {
    const { api, trust, publisher, record } = setup();
    const accepted = await api.dispute.execute(callerOf(), request(record.signalId));
    expect(accepted).toMatchObject({ signalId: record.signalId, canonical: record.canonical, replayed: false });
    expect(trust.authorizeCalls).toEqual([
      { apiKey: callerOf().apiKey, action: 'DISPUTE', resource: { signalType: 'url', categories: ['service.nudify'], marking: 'GREEN', sharingGroupIds: [], namedOrgIds: [] } },
    ]);
    expect(publisher.published[0].submission).toMatchObject({
      kind: 'contribution',
      signalId: record.signalId,
      details: record.details,
      contribution: { contributorOrgId: ORG, opinion: 'NEGATIVE', disputeReason: 'the site is a photo editor', confidence: 70, createdAt: T0 },
    });
  });

  it('re-canonicalizes every signal type back to its own id', async () => {
    const { api, signals } = setup();
    const pattern = storedRecord(patternDraft('placeholder phrase'));
    signals.records.push(pattern);
    expect((await api.dispute.execute(callerOf(), request(pattern.signalId, { marking: 'AMBER', sharingGroupIds: ['grp_0123456789abcdef'] }))).signalId).toBe(pattern.signalId);
    const hash = storedRecord({ signal: { type: 'model-hash', value: `sha256:${'ab'.repeat(32)}` }, categories: ['model.2c'], marking: 'CLEAR', confidence: 90 });
    signals.records.push(hash);
    expect((await api.dispute.execute(callerOf(), request(hash.signalId))).signalId).toBe(hash.signalId);
  });

  it('answers SIGNAL_NOT_FOUND alike for a missing signal and one the caller may not see', async () => {
    const { api, views, publisher, record } = setup();
    expect(await failure(api.dispute.execute(callerOf(), request('url_ffffffffffffffffffffffffffffffff')))).toBe('SIGNAL_NOT_FOUND');
    views.visibleTo.delete(ORG);
    expect(await failure(api.dispute.execute(callerOf(), request(record.signalId)))).toBe('SIGNAL_NOT_FOUND');
    expect(publisher.published).toEqual([]);
  });

  it('requires a reason, and passes on refusals and validation codes', async () => {
    const { api, trust, record } = setup();
    expect(await failure(api.dispute.execute(callerOf(), request(record.signalId, { reason: ' ' })))).toBe('DISPUTE_REASON_REQUIRED');
    expect(await failure(api.dispute.execute(callerOf(), request(record.signalId, { marking: 'RED' })))).toBe('NAMED_ORG_REQUIRED');
    trust.refuse = () => new TrustClientError('NOT_ENTITLED', 'PERMISSION_DENIED', 'not entitled');
    expect(await failure(api.dispute.execute(callerOf(), request(record.signalId)))).toBe('NOT_ENTITLED');
  });

  it('replays with the same idempotency key and refuses a different dispute under it', async () => {
    const { api, record } = setup();
    const first = await api.dispute.execute(callerOf(), request(record.signalId, { idempotencyKey: 'dispute-1' }));
    expect(first.contributionId).toBe(contributionIdFor(ORG, 'dispute-1'));
    expect((await api.dispute.execute(callerOf(), request(record.signalId, { idempotencyKey: 'dispute-1' }))).replayed).toBe(true);
    expect(await failure(api.dispute.execute(callerOf(), request(record.signalId, { idempotencyKey: 'dispute-1', confidence: 20 })))).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(OTHER_ORG).not.toBe(ORG);
  });
});
