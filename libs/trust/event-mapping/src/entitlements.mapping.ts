import type { EntitlementRule as ProtoRule, Entitlements as ProtoEntitlements } from '@signal-mesh/contracts';
import type { EntitlementRule, Entitlements } from '@signal-mesh/trust-domain';

import { trustSignalTypes } from './enums';
import { type TrustEventMappingCode, TrustEventMappingError } from './trust-event-mapping.error';

export const MAX_ENTITLEMENT_RULES = 50;
export const MAX_RULE_CATEGORIES = 50;
const CATEGORY_RE = /^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$/;

function rulesFromProto(rules: readonly ProtoRule[] | undefined, field: string, code: TrustEventMappingCode): EntitlementRule[] {
  const fail = (path: string, message: string): never => {
    throw new TrustEventMappingError(code, message, path);
  };
  const list = rules ?? [];
  if (list.length > MAX_ENTITLEMENT_RULES) fail(field, `at most ${MAX_ENTITLEMENT_RULES} rules`);
  return list.map((rule, i) => {
    const signalType = trustSignalTypes.fromProto(rule.signalType) ?? fail(`${field}[${i}].signal_type`, 'signal_type must be a known signal type');
    const categories = rule.categories ?? [];
    if (categories.length > MAX_RULE_CATEGORIES) fail(`${field}[${i}].categories`, `at most ${MAX_RULE_CATEGORIES} categories`);
    for (const category of categories) {
      if (typeof category !== 'string' || category.length > 100 || !CATEGORY_RE.test(category)) fail(`${field}[${i}].categories`, 'categories must be dotted lower-case names');
    }
    return { signalType, categories: [...new Set(categories)] };
  });
}

/**
 * Complete entitlements (replace, not merge); every type and category is validated. Throws TrustEventMappingError
 * with `code` (default INVALID_ENTITLEMENTS) and the path under `field`.
 */
export function entitlementsFromProto(entitlements: ProtoEntitlements, field = 'entitlements', code: TrustEventMappingCode = 'INVALID_ENTITLEMENTS'): Entitlements {
  return { receive: rulesFromProto(entitlements.receive, `${field}.receive`, code), contribute: rulesFromProto(entitlements.contribute, `${field}.contribute`, code) };
}

export function entitlementsToProto(orgId: string, entitlements: Entitlements): ProtoEntitlements {
  const rules = (list: readonly EntitlementRule[]) => list.map((rule) => ({ signalType: trustSignalTypes.toProto(rule.signalType), categories: [...rule.categories] }));
  return { orgId, receive: rules(entitlements.receive), contribute: rules(entitlements.contribute) };
}
