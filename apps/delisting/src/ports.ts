import type { DelistingRepository } from '@signal-mesh/delisting-data-access';
import type { TrustClient } from '@signal-mesh/trust-client';

// The side effects the processor and the API need, each behind a narrow interface so unit specs pass fakes.

export type ListStore = Pick<DelistingRepository, 'loadState' | 'applyChanges'>;
export type ListReader = Pick<DelistingRepository, 'getList' | 'getLists' | 'entriesAt' | 'changesSince' | 'findManifest' | 'saveManifest'>;
export type Trust = Pick<TrustClient, 'authenticate' | 'authorize'>;

/** What the live trust snapshot says about an organisation; undefined when it does not know it (yet). */
export type OrgKindLookup = () => (orgId: string) => string | undefined;

export type Clock = () => Date;
