import { randomBytes } from 'node:crypto';

import type { TrustServiceServer } from '@signal-mesh/contracts';
import { toServiceError } from '@signal-mesh/transport-grpc';
import type { TrustRepositories } from '@signal-mesh/trust-data-access';
import { type AuditEntry, containsApiKey, generateApiKey, hashSecret } from '@signal-mesh/trust-domain';
import type { Logger } from '@signal-mesh/util-logging';

import type { Authenticator, Caller } from './authenticator';
import { requireAdministrator } from './authorization';
import { grpcStatusFor, isDenial, TrustServiceError } from './errors';
import type { KeyUseAggregator } from './key-use-aggregator';
import { apiKeyToProto, kindFromProto, organisationToProto, principalToProto, scopesFromProto, tierFromProto } from './mapping';
import { apiKeyEvent, organisationEvent, TrustChangeKind,type TrustChangePublisher } from './trust-changes';

/** The RPCs implemented; grpc-js answers UNIMPLEMENTED for the others. */
export type ImplementedRpc = 'authenticate' | 'createOrganisation' | 'issueApiKey' | 'revokeApiKey' | 'suspendOrganisation' | 'reinstateOrganisation';
export type TrustServiceImplementation = Pick<TrustServiceServer, ImplementedRpc>;

export interface TrustGrpcDeps {
  repos: Pick<TrustRepositories, 'organisations' | 'apiKeys' | 'auditLog'>;
  authenticator: Authenticator;
  publisher: TrustChangePublisher;
  keyUses: KeyUseAggregator;
  logger: Logger;
  now: () => Date;
}

/** The metadata entry callers present their own API key in, on every call. */
export const API_KEY_METADATA = 'x-api-key';

type CallOf<K extends ImplementedRpc> = Parameters<TrustServiceServer[K]>[0];
type ReplyOf<K extends ImplementedRpc> = Parameters<Parameters<TrustServiceServer[K]>[1]>[1];

const MAX_TEXT = 200;

function text(value: string, field: string, { required }: { required: boolean }): string {
  const trimmed = value.trim();
  if (required && trimmed.length === 0) throw new TrustServiceError('INVALID_ARGUMENT', `${field} is required`, field);
  if (trimmed.length > MAX_TEXT) throw new TrustServiceError('INVALID_ARGUMENT', `${field} is longer than ${MAX_TEXT} characters`, field);
  // Names, labels and reasons go into events and the audit log, which must never hold a key.
  if (containsApiKey(trimmed)) throw new TrustServiceError('INVALID_ARGUMENT', `${field} must not contain an API key`, field);
  return trimmed;
}

/** Client address without the port ("ipv4:127.0.0.1:5123" → "ipv4:127.0.0.1"): the throttling bucket. */
export function clientOf(peer: string): string {
  return peer.replace(/:\d+$/, '');
}

/**
 * TrustService over gRPC. Every call first authenticates the caller's own key from `x-api-key` metadata (never a
 * request field); admin calls then require an operator ADMIN key. Errors are mapped once, in `unary`.
 */
export function trustGrpcService(deps: TrustGrpcDeps): TrustServiceImplementation {
  const { repos, authenticator, publisher, keyUses, now } = deps;
  const logger = deps.logger.child({ component: 'trust-grpc' });

  const audit = async (entry: AuditEntry): Promise<void> => {
    await repos.auditLog.append(entry);
  };

  /** Authenticates the caller from metadata; a failure is audited as a denied request and thrown. */
  async function callerOf(rpc: string, call: { metadata: { get(key: string): unknown[] }; getPeer(): string }): Promise<Caller> {
    const [presented] = call.metadata.get(API_KEY_METADATA);
    const result = await authenticator.authenticate(typeof presented === 'string' ? presented : undefined, clientOf(call.getPeer()));
    if (result.ok) {
      keyUses.record(result.caller.org.orgId, result.caller.key.keyId, `rpc.${rpc}`);
      return result.caller;
    }
    if (result.audit) await audit({ at: now(), actorOrgId: result.orgId, keyId: result.keyId, action: `rpc.${rpc}`, outcome: 'DENIED', details: { code: result.error.code } });
    throw result.error;
  }

  async function administrator(rpc: string, call: CallOf<ImplementedRpc>): Promise<Caller> {
    const caller = await callerOf(rpc, call);
    try {
      requireAdministrator(caller);
    } catch (err) {
      const code = (err as { code: string }).code;
      await audit({ at: now(), actorOrgId: caller.org.orgId, keyId: caller.key.keyId, action: `rpc.${rpc}`, outcome: 'DENIED', details: { code } });
      throw err;
    }
    return caller;
  }

  function unary<K extends ImplementedRpc>(rpc: K, handler: (call: CallOf<K>) => Promise<ReplyOf<K>>): TrustServiceServer[K] {
    const run = (call: CallOf<K>, callback: (err: ReturnType<typeof toServiceError> | null, res?: ReplyOf<K>) => void): void => {
      handler(call).then(
        (res) => callback(null, res),
        (err: unknown) => {
          const serviceError = toServiceError(err, grpcStatusFor);
          if (serviceError.code === 13) logger.error({ err, rpc }, 'call failed');
          else logger.info({ rpc, code: (err as { code?: string }).code, denied: isDenial(serviceError.code) }, 'call refused');
          callback(serviceError);
        },
      );
    };
    return run as unknown as TrustServiceServer[K];
  }

  const changed = (caller: Caller, action: string, subject: string, details?: AuditEntry['details']) =>
    audit({ at: now(), actorOrgId: caller.org.orgId, keyId: caller.key.keyId, action, outcome: 'CHANGED', subject, details });

  async function setStatus(caller: Caller, orgId: string, status: 'ACTIVE' | 'SUSPENDED', reason: string | undefined) {
    if (!orgId) throw new TrustServiceError('INVALID_ARGUMENT', 'org_id is required', 'org_id');
    const org = await repos.organisations.setStatus(orgId, status, reason, now());
    if (!org) throw new TrustServiceError('ORGANISATION_NOT_FOUND', 'no such organisation', 'org_id');
    await changed(caller, status === 'SUSPENDED' ? 'org.suspend' : 'org.reinstate', org.orgId, reason ? { reason } : undefined);
    await publisher.publish(organisationEvent(org, TrustChangeKind.TRUST_CHANGE_KIND_UPDATED, caller.org.orgId));
    return org;
  }

  return {
    authenticate: unary('authenticate', async (call) => {
      await callerOf('Authenticate', call);
      const result = await authenticator.authenticate(call.request.apiKey, clientOf(call.getPeer()));
      if (!result.ok) {
        if (result.audit) await audit({ at: now(), actorOrgId: result.orgId, keyId: result.keyId, action: 'auth.authenticate', outcome: 'DENIED', details: { code: result.error.code } });
        throw result.error;
      }
      keyUses.record(result.caller.org.orgId, result.caller.key.keyId, 'auth.authenticate');
      return { principal: principalToProto(result.caller.org, result.caller.key) };
    }),

    createOrganisation: unary('createOrganisation', async (call) => {
      const caller = await administrator('CreateOrganisation', call);
      const name = text(call.request.name, 'name', { required: true });
      const kind = kindFromProto(call.request.kind);
      const tier = tierFromProto(call.request.tier);
      const at = now();
      const org = await repos.organisations.create({ orgId: `org_${randomBytes(8).toString('hex')}`, name, kind, tier, status: 'ACTIVE', createdAt: at, updatedAt: at });
      await changed(caller, 'org.create', org.orgId, { kind, tier });
      await publisher.publish(organisationEvent(org, TrustChangeKind.TRUST_CHANGE_KIND_CREATED, caller.org.orgId));
      return { organisation: organisationToProto(org) };
    }),

    issueApiKey: unary('issueApiKey', async (call) => {
      const caller = await administrator('IssueApiKey', call);
      const { orgId, expiresAt } = call.request;
      if (!orgId) throw new TrustServiceError('INVALID_ARGUMENT', 'org_id is required', 'org_id');
      const label = text(call.request.label, 'label', { required: false });
      const scopes = scopesFromProto(call.request.scopes);
      const at = now();
      if (expiresAt && expiresAt.getTime() <= at.getTime()) throw new TrustServiceError('INVALID_ARGUMENT', 'expires_at must be in the future', 'expires_at');
      if (!(await repos.organisations.findById(orgId))) throw new TrustServiceError('ORGANISATION_NOT_FOUND', 'no such organisation', 'org_id');
      const generated = generateApiKey();
      const key = await repos.apiKeys.insert({ keyId: generated.keyId, orgId, label: label || undefined, scopes, secretHash: hashSecret(generated.secret), createdAt: at, expiresAt });
      await changed(caller, 'key.issue', key.keyId, { orgId, scopes: scopes.join(',') });
      await publisher.publish(apiKeyEvent(key, TrustChangeKind.TRUST_CHANGE_KIND_CREATED, caller.org.orgId));
      // The only time the secret leaves the service.
      return { apiKey: apiKeyToProto(key), secret: generated.apiKey };
    }),

    revokeApiKey: unary('revokeApiKey', async (call) => {
      const caller = await administrator('RevokeApiKey', call);
      const { keyId } = call.request;
      if (!keyId) throw new TrustServiceError('INVALID_ARGUMENT', 'key_id is required', 'key_id');
      const existing = await repos.apiKeys.findByKeyId(keyId);
      if (!existing) throw new TrustServiceError('API_KEY_NOT_FOUND', 'no such API key', 'key_id');
      const key = await repos.apiKeys.revoke(existing.orgId, keyId, now());
      if (!key) throw new TrustServiceError('API_KEY_NOT_FOUND', 'no such API key', 'key_id');
      await changed(caller, 'key.revoke', key.keyId, { orgId: key.orgId });
      await publisher.publish(apiKeyEvent(key, TrustChangeKind.TRUST_CHANGE_KIND_UPDATED, caller.org.orgId));
      return { apiKey: apiKeyToProto(key) };
    }),

    suspendOrganisation: unary('suspendOrganisation', async (call) => {
      const caller = await administrator('SuspendOrganisation', call);
      const reason = text(call.request.reason, 'reason', { required: true });
      if (call.request.orgId === caller.org.orgId) throw new TrustServiceError('INVALID_ARGUMENT', 'an operator cannot suspend its own organisation', 'org_id');
      return { organisation: organisationToProto(await setStatus(caller, call.request.orgId, 'SUSPENDED', reason)) };
    }),

    reinstateOrganisation: unary('reinstateOrganisation', async (call) => {
      const caller = await administrator('ReinstateOrganisation', call);
      return { organisation: organisationToProto(await setStatus(caller, call.request.orgId, 'ACTIVE', undefined)) };
    }),
  };
}
