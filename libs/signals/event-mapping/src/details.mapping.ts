import type { Signal } from '@signal-mesh/contracts';
import { type SignalDetails, signalId, type SignalKind, type SignalType } from '@signal-mesh/signals-domain';

import { hashAlgorithms, patternKinds, urlMatchScopes } from './enums';
import type { FieldReader } from './field-reader';

/** The `details` oneof of Signal and SubmittedContribution (the same three cases). */
export type ProtoDetails = NonNullable<Signal['details']>;

const CASE_OF: Readonly<Record<SignalType, ProtoDetails['$case']>> = { 'model-hash': 'modelHash', url: 'url', 'prompt-pattern': 'promptPattern' };

export function detailsToProto(details: SignalDetails): ProtoDetails {
  switch (details.type) {
    case 'model-hash':
      return {
        $case: 'modelHash',
        value: {
          algorithm: hashAlgorithms.toProto(details.algorithm),
          relatedIdentifiers: details.related.map((r) => ({ algorithm: hashAlgorithms.toProto(r.algorithm), value: r.value })),
        },
      };
    case 'url':
      return { $case: 'url', value: { matchScope: urlMatchScopes.toProto(details.scope), host: details.host, registrableDomain: details.registrableDomain ?? '' } };
    case 'prompt-pattern':
      return { $case: 'promptPattern', value: { kind: patternKinds.toProto(details.kind) } };
  }
}

/** Details whose case matches `type`, with known enums and the fields each case needs. */
export function detailsFromProto(type: SignalType, details: ProtoDetails | undefined, read: FieldReader): SignalDetails {
  if (details === undefined) return read.fail('details', `is required for ${type}`);
  if (details.$case !== CASE_OF[type]) return read.fail('details', `case ${details.$case} does not match type ${type}`);
  const at = read.at(details.$case);
  switch (details.$case) {
    case 'modelHash': {
      const { algorithm, relatedIdentifiers } = at.present(details.value, 'value');
      return {
        type: 'model-hash',
        algorithm: at.enumValue(hashAlgorithms, algorithm, 'algorithm'),
        related: (relatedIdentifiers ?? []).map((r, i) => ({
          algorithm: at.enumValue(hashAlgorithms, r.algorithm, `relatedIdentifiers[${i}].algorithm`),
          value: at.text(r.value, `relatedIdentifiers[${i}].value`),
        })),
      };
    }
    case 'url': {
      const { matchScope, host, registrableDomain } = at.present(details.value, 'value');
      const scope = at.enumValue(urlMatchScopes, matchScope, 'matchScope');
      const domain = at.optionalText(registrableDomain);
      return { type: 'url', scope, host: at.text(host, 'host'), ...(domain === undefined ? {} : { registrableDomain: domain }) };
    }
    case 'promptPattern':
      return { type: 'prompt-pattern', kind: at.enumValue(patternKinds, at.present(details.value, 'value').kind, 'kind') };
  }
}

function kindOf(details: SignalDetails): SignalKind {
  switch (details.type) {
    case 'model-hash':
      return { type: details.type, algorithm: details.algorithm };
    case 'url':
      return { type: details.type, scope: details.scope };
    case 'prompt-pattern':
      return { type: details.type, kind: details.kind };
  }
}

/**
 * The id must be the one derived from kind and canonical value: dedup stores under it, so a mismatch would split
 * one signal in two.
 */
export function checkSignalId(id: string, details: SignalDetails, canonical: string, read: FieldReader, field: string): void {
  const expected = signalId(kindOf(details), canonical);
  if (id !== expected) read.fail(field, `${id} is not the id of this ${details.type} and canonical value (expected ${expected})`);
}
