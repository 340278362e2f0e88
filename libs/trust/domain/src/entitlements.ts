import type { TrustContext } from './context';
import type { EntitlementRule, Entitlements, Organisation, SignalType } from './model';

/** An entitlement category covers itself and its dotted sub-categories. */
export function categoryCovers(granted: string, category: string): boolean {
  return category === granted || category.startsWith(`${granted}.`);
}

/**
 * Whether the rules grant a type with these categories. Every category must be covered: an organisation entitled to
 * "service.nudify" URLs must not learn of a URL that is also tagged with a category it is not entitled to. Without
 * categories, only a rule granting the whole type applies.
 */
export function rulesGrant(rules: readonly EntitlementRule[], type: SignalType, categories: readonly string[]): boolean {
  const ofType = rules.filter((rule) => rule.signalType === type);
  if (ofType.some((rule) => rule.categories.length === 0)) return true;
  if (categories.length === 0) return false;
  return categories.every((category) => ofType.some((rule) => rule.categories.some((granted) => categoryCovers(granted, category))));
}

/** Explicit entitlements of the organisation, or the policy's defaults for its kind. */
export function entitlementsOf(org: Organisation, ctx: TrustContext): Entitlements {
  return ctx.entitlements(org.orgId) ?? ctx.policy.defaultEntitlements[org.kind];
}
