import { OrganisationKind, OrganisationStatus, SignalType, TlpMarking } from '@signal-mesh/contracts';
import { MARKINGS, ORGANISATION_KINDS, SIGNAL_TYPES } from '@signal-mesh/trust-domain';

import { organisationKinds, organisationStatuses, trustMarkings, trustOpinions, trustSignalTypes } from './enums';

describe('trust enum mappings', () => {
  it('cover every domain value and round-trip it', () => {
    expect([...organisationKinds.values].sort()).toEqual([...ORGANISATION_KINDS].sort());
    expect([...trustSignalTypes.values].sort()).toEqual([...SIGNAL_TYPES].sort());
    expect([...trustMarkings.values].sort()).toEqual([...MARKINGS].sort());
    for (const mapping of [organisationKinds, organisationStatuses, trustSignalTypes, trustMarkings, trustOpinions]) {
      for (const value of mapping.values) expect(mapping.fromProto(mapping.toProto(value as never))).toBe(value);
    }
  });

  it('return undefined for UNSPECIFIED, UNRECOGNIZED and unknown numbers', () => {
    expect(organisationKinds.fromProto(OrganisationKind.ORGANISATION_KIND_UNSPECIFIED)).toBeUndefined();
    expect(organisationKinds.fromProto(OrganisationKind.UNRECOGNIZED)).toBeUndefined();
    expect(organisationStatuses.fromProto(OrganisationStatus.ORGANISATION_STATUS_UNSPECIFIED)).toBeUndefined();
    expect(trustSignalTypes.fromProto(SignalType.SIGNAL_TYPE_UNSPECIFIED)).toBeUndefined();
    expect(trustMarkings.fromProto(TlpMarking.TLP_MARKING_UNSPECIFIED)).toBeUndefined();
    expect(trustMarkings.fromProto(99)).toBeUndefined();
    expect(trustMarkings.fromProto(TlpMarking.TLP_MARKING_AMBER_STRICT)).toBe('AMBER_STRICT');
  });
});
