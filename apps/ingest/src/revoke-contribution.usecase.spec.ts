import { TrustClientError } from '@signal-mesh/trust-client';

import { callerOf, newTestApi, ORG, storedRecord, T0 } from './fakes.fixtures';
import { RevokeContribution } from './revoke-contribution.usecase';

const OWN = 'ctb_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

function setup() {
  const t = newTestApi();
  const record = storedRecord(undefined, { contributionId: OWN, contributorOrgId: ORG });
  t.signals.records.push(record);
  return { ...t, record };
}

const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (err: { code?: string; field?: string; rejection?: { code: string } }) => err.rejection?.code ?? err.code);

describe(RevokeContribution.name, () => {
  it('asks trust with the stored contributor as owner, then produces a Revocation keyed by the signal', async () => {
    const { api, trust, publisher, record } = setup();
    const revoked = await api.revoke.execute(callerOf(), { contributionId: OWN, reason: '  false positive ' });
    expect(revoked).toEqual({ contributionId: OWN, signalId: record.signalId, revokedAt: T0 });
    expect(trust.authorizeCalls).toEqual([{ apiKey: callerOf().apiKey, action: 'REVOKE', resource: { signalType: 'url', ownerOrgId: ORG } }]);
    expect(publisher.published).toEqual([
      { submission: { kind: 'revocation', submitterOrgId: ORG, signalId: record.signalId, contributionId: OWN, reason: 'false positive', revokedAt: T0 }, idempotencyKey: `revoke:${OWN}`, acceptedAt: T0 },
    ]);
  });

  it('refuses another organisation’s contribution with the trust service’s code', async () => {
    const { api, trust, publisher } = setup();
    trust.refuse = () => new TrustClientError('NOT_OWNER', 'PERMISSION_DENIED', 'not your contribution');
    expect(await failure(api.revoke.execute(callerOf(), { contributionId: OWN }))).toBe('NOT_OWNER');
    expect(publisher.published).toEqual([]);
  });

  it('answers CONTRIBUTION_NOT_FOUND for an unknown id and INVALID_FIELD for a malformed one', async () => {
    const { api } = setup();
    expect(await failure(api.revoke.execute(callerOf(), { contributionId: 'ctb_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' }))).toBe('CONTRIBUTION_NOT_FOUND');
    expect(await failure(api.revoke.execute(callerOf(), { contributionId: 'not-an-id' }))).toBe('INVALID_FIELD');
  });

  it('answers an already revoked contribution with its revocation time and produces nothing', async () => {
    const { api, signals, publisher } = setup();
    const earlier = new Date(T0.getTime() - 60_000);
    signals.records.push(storedRecord(undefined, { contributionId: 'ctb_cccccccccccccccccccccccccccccccc', contributorOrgId: ORG, revokedAt: earlier }));
    expect((await api.revoke.execute(callerOf(), { contributionId: 'ctb_cccccccccccccccccccccccccccccccc' })).revokedAt).toEqual(earlier);
    expect(publisher.published).toEqual([]);
  });

  it('answers PUBLISH_FAILED when Kafka does not take it, and refuses a key pasted into the reason', async () => {
    const { api, publisher } = setup();
    expect(await failure(api.revoke.execute(callerOf(), { contributionId: OWN, reason: 'smk_abcdef123456_0123456789abcdefghij' }))).toBe('SECRET_DETECTED');
    publisher.failWith = new Error('broker down');
    expect(await failure(api.revoke.execute(callerOf(), { contributionId: OWN }))).toBe('PUBLISH_FAILED');
  });
});
