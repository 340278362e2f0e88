import { SignalType } from '@signal-mesh/contracts';

import { entitlementsFromProto, entitlementsToProto, MAX_ENTITLEMENT_RULES } from './entitlements.mapping';

describe(entitlementsFromProto.name, () => {
  it('round-trips entitlements and collapses duplicate categories', () => {
    const proto = { orgId: 'org-1', receive: [{ signalType: SignalType.SIGNAL_TYPE_URL, categories: ['service.nudify', 'service.nudify'] }], contribute: [] };
    const entitlements = entitlementsFromProto(proto);
    expect(entitlements).toEqual({ receive: [{ signalType: 'url', categories: ['service.nudify'] }], contribute: [] });
    expect(entitlementsToProto('org-1', entitlements)).toEqual({ ...proto, receive: [{ signalType: SignalType.SIGNAL_TYPE_URL, categories: ['service.nudify'] }] });
  });

  it('names the bad field with INVALID_ENTITLEMENTS by default', () => {
    const tooMany = Array.from({ length: MAX_ENTITLEMENT_RULES + 1 }, () => ({ signalType: SignalType.SIGNAL_TYPE_URL, categories: [] }));
    expect(() => entitlementsFromProto({ orgId: 'org-1', receive: tooMany, contribute: [] })).toThrow(expect.objectContaining({ code: 'INVALID_ENTITLEMENTS', field: 'entitlements.receive' }));
    expect(() => entitlementsFromProto({ orgId: 'org-1', receive: [], contribute: [{ signalType: SignalType.UNRECOGNIZED, categories: [] }] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ENTITLEMENTS', field: 'entitlements.contribute[0].signal_type' }),
    );
  });
});
