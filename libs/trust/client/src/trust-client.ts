import { hash } from 'node:crypto';

import { Action, ApiKeyScope, type Resource, type Signal, SignalType, TlpMarking, TrustServiceClient } from '@signal-mesh/contracts';
import { grpcCredentials, Metadata, type ServiceError } from '@signal-mesh/transport-grpc';
import type { OrganisationKind } from '@signal-mesh/trust-domain';
import { organisationKinds, trustMarkings, trustSignalTypes } from '@signal-mesh/trust-event-mapping';
import type { Logger } from '@signal-mesh/util-logging';

import { fromServiceError, TrustClientError } from './errors';
import { TtlCache } from './ttl-cache';

export type PrincipalScope = 'CONTRIBUTE' | 'SUBSCRIBE' | 'ADMIN';
export type PrincipalKind = OrganisationKind;

/** The authenticated organisation behind an API key. */
export interface Principal {
  readonly orgId: string;
  readonly orgKind: PrincipalKind;
  readonly tier: number;
  readonly scopes: readonly PrincipalScope[];
  readonly keyId: string;
}

export type TrustAction = 'CONTRIBUTE' | 'REVOKE' | 'DISPUTE' | 'SUBSCRIBE' | 'LOOKUP' | 'PULL_DELISTING';

/** What an action touches, in domain spellings (the signal domain's types and TLP markings). */
export interface TrustResource {
  readonly signalType?: 'model-hash' | 'url' | 'prompt-pattern';
  readonly categories?: readonly string[];
  readonly marking?: 'CLEAR' | 'GREEN' | 'AMBER' | 'AMBER_STRICT' | 'RED';
  readonly sharingGroupIds?: readonly string[];
  readonly namedOrgIds?: readonly string[];
  readonly ownerOrgId?: string;
  readonly targetOrgId?: string;
  readonly listId?: string;
}

export interface TrustClientOptions {
  /** host:port of the trust service. */
  readonly address: string;
  readonly logger: Logger;
  /**
   * The calling service's own operator key, needed only for getView (computing another organisation's view).
   * End callers' keys are passed through per call instead, so the trust service decides from their credential.
   */
  readonly serviceKey?: string;
  /** How long answers are reused; at most 1,000 ms so a revocation or suspension is seen everywhere within 1 s. */
  readonly cacheTtlMs?: number;
  readonly maxCacheEntries?: number;
  readonly deadlineMs?: number;
}

/** The promise that revocations and suspensions reach every service within one second. */
export const MAX_CACHE_TTL_MS = 1_000;
const DEFAULT_CACHE_TTL_MS = 500;

const API_KEY_METADATA = 'x-api-key';

type Unary<Req, Res> = (request: Req, metadata: Metadata, options: { deadline: Date }, callback: (err: ServiceError | null, res: Res) => void) => unknown;

const SCOPES: Partial<Record<ApiKeyScope, PrincipalScope>> = {
  [ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE]: 'CONTRIBUTE',
  [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE]: 'SUBSCRIBE',
  [ApiKeyScope.API_KEY_SCOPE_ADMIN]: 'ADMIN',
};
const ACTIONS: Record<TrustAction, Action> = {
  CONTRIBUTE: Action.ACTION_CONTRIBUTE,
  REVOKE: Action.ACTION_REVOKE,
  DISPUTE: Action.ACTION_DISPUTE,
  SUBSCRIBE: Action.ACTION_SUBSCRIBE,
  LOOKUP: Action.ACTION_LOOKUP,
  PULL_DELISTING: Action.ACTION_PULL_DELISTING,
};

type Decision = { readonly allowed: true } | { readonly allowed: false; readonly error: TrustClientError };

/** Cache keys hold a digest of the key, never the key itself. */
const digest = (apiKey: string): string => hash('sha256', apiKey, 'base64url');

export function resourceToProto(resource: TrustResource): Resource {
  const sorted = (values: readonly string[] | undefined) => [...new Set(values ?? [])].sort();
  return {
    signalType: resource.signalType ? trustSignalTypes.toProto(resource.signalType) : SignalType.SIGNAL_TYPE_UNSPECIFIED,
    categories: sorted(resource.categories),
    marking: resource.marking ? trustMarkings.toProto(resource.marking) : TlpMarking.TLP_MARKING_UNSPECIFIED,
    sharingGroupIds: sorted(resource.sharingGroupIds),
    namedOrgIds: sorted(resource.namedOrgIds),
    ownerOrgId: resource.ownerOrgId ?? '',
    listId: resource.listId ?? '',
    targetOrgId: resource.targetOrgId ?? '',
  };
}

/**
 * How the other services ask the trust service "who is this" and "may they": every answer is reused for at most
 * `cacheTtlMs` (≤ 1 s), so hot paths do not pay a round trip per item, and a revoked key or a suspended organisation
 * is refused everywhere within one second. Refusals of authentication are never cached (the trust service counts and
 * audits them); authorisation decisions, both ways, are. Errors are TrustClientError; an unreachable trust service
 * fails closed.
 */
export class TrustClient {
  private readonly client: TrustServiceClient;
  private readonly principals: TtlCache<Principal>;
  private readonly decisions: TtlCache<Decision>;
  private readonly deadlineMs: number;

  private constructor(private readonly options: TrustClientOptions) {
    const ttl = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
    if (!Number.isFinite(ttl) || ttl < 0 || ttl > MAX_CACHE_TTL_MS) throw new RangeError(`cacheTtlMs must be between 0 and ${MAX_CACHE_TTL_MS}`);
    const max = options.maxCacheEntries ?? 10_000;
    this.principals = new TtlCache(ttl, max);
    this.decisions = new TtlCache(ttl, max);
    this.deadlineMs = options.deadlineMs ?? 2_000;
    this.client = new TrustServiceClient(options.address, grpcCredentials.createInsecure());
  }

  static create(options: TrustClientOptions): TrustClient {
    return new TrustClient(options);
  }

  /** The principal behind `apiKey`; UNAUTHENTICATED for unknown, revoked or expired keys and suspended organisations. */
  authenticate(apiKey: string): Promise<Principal> {
    if (!apiKey) return Promise.reject(new TrustClientError('API_KEY_MISSING', 'UNAUTHENTICATED', 'an API key is required'));
    return this.principals.get(digest(apiKey), async () => {
      const { principal } = await this.call(this.client.authenticate, apiKey, { apiKey });
      if (!principal) throw new TrustClientError('TRUST_ERROR', 'INTERNAL', 'the trust service answered without a principal');
      return {
        orgId: principal.orgId,
        orgKind: organisationKinds.fromProto(principal.orgKind) ?? 'PLATFORM',
        tier: principal.tier,
        scopes: principal.scopes.map((scope) => SCOPES[scope]).filter((scope): scope is PrincipalScope => scope !== undefined),
        keyId: principal.keyId,
      };
    });
  }

  /** Resolves when the key's organisation may perform `action` on `resource`; throws the coded refusal otherwise. */
  async authorize(apiKey: string, action: TrustAction, resource: TrustResource = {}): Promise<void> {
    if (!apiKey) throw new TrustClientError('API_KEY_MISSING', 'UNAUTHENTICATED', 'an API key is required');
    const request = { keyId: '', action: ACTIONS[action], resource: resourceToProto(resource) };
    const cacheKey = `${digest(apiKey)}|${action}|${JSON.stringify(request.resource)}`;
    const decision = await this.decisions.get(cacheKey, async () => {
      const reply = await this.call(this.client.authorize, apiKey, request);
      if (reply.allowed) return { allowed: true };
      const denial = reply.denial;
      return { allowed: false, error: new TrustClientError(denial?.code || 'DENIED', 'PERMISSION_DENIED', denial?.message || 'not allowed', denial?.field || undefined) };
    });
    if (!decision.allowed) throw decision.error;
  }

  /** `orgId`'s view of a full signal state, or undefined when it may see none of it. Needs the service key. */
  async getView(orgId: string, signal: Signal): Promise<Signal | undefined> {
    const key = this.options.serviceKey;
    if (!key) throw new TrustClientError('SERVICE_KEY_MISSING', 'INTERNAL', 'this service has no trust service key configured');
    const { view } = await this.call(this.client.getView, key, { orgId, signal });
    return view;
  }

  /** Drops every cached answer (e.g. on a trust change event), so the next call asks the trust service. */
  invalidateAll(): void {
    this.principals.clear();
    this.decisions.clear();
  }

  close(): void {
    this.client.close();
  }

  private call<Req, Res>(method: Unary<Req, Res>, apiKey: string, request: Req): Promise<Res> {
    const metadata = new Metadata();
    metadata.set(API_KEY_METADATA, apiKey);
    return new Promise<Res>((resolve, reject) => {
      method.call(this.client, request, metadata, { deadline: new Date(Date.now() + this.deadlineMs) }, (err, res) => {
        if (!err) return resolve(res);
        const mapped = fromServiceError(err);
        if (mapped.status === 'INTERNAL' || mapped.code === 'TRUST_UNAVAILABLE') this.options.logger.warn({ code: mapped.code, grpcCode: err.code }, 'trust service call failed');
        reject(mapped);
      });
    });
  }
}
