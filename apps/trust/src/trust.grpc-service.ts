import { randomBytes } from 'node:crypto';

import type { TrustServiceServer } from '@signal-mesh/contracts';
import { toServiceError } from '@signal-mesh/transport-grpc';
import type { TrustRepositories } from '@signal-mesh/trust-data-access';
import {
  type AuditEntry,
  checkKeyUsable,
  containsApiKey,
  createTrustContext,
  type Entitlements,
  generateApiKey,
  hashSecret,
  type Organisation,
  type SharingGroup,
  viewOf,
} from '@signal-mesh/trust-domain';
import { viewToProto } from '@signal-mesh/trust-event-mapping';
import type { Logger } from '@signal-mesh/util-logging';

import type { Authenticator, Caller } from './authenticator';
import { type AuthorizeResource, decideAuthorization, requireAdministrator, requireKeyRotator, requireViewer } from './authorization';
import { grpcStatusFor, isDenial, TrustServiceError } from './errors';
import type { KeyUseAggregator } from './key-use-aggregator';
import {
  actionFromProto,
  apiKeyToProto,
  entitlementsFromProto,
  entitlementsToProto,
  kindFromProto,
  markingFromProto,
  organisationToProto,
  principalToProto,
  requiredTierFromProto,
  scopesFromProto,
  sharingGroupToProto,
  signalTypeFromProto,
  tierFromProto,
} from './mapping';
import { apiKeyEvent, entitlementsEvent, organisationEvent, sharingGroupEvent, TrustChangeKind, type TrustChangePublisher } from './trust-changes';
import { signalStateFromProto } from './view-mapping';

/** The RPCs implemented; grpc-js answers UNIMPLEMENTED for the others. */
export type ImplementedRpc =
  | 'authenticate'
  | 'authorize'
  | 'getView'
  | 'createOrganisation'
  | 'issueApiKey'
  | 'rotateApiKey'
  | 'revokeApiKey'
  | 'suspendOrganisation'
  | 'reinstateOrganisation'
  | 'setTrustTier'
  | 'createSharingGroup'
  | 'addGroupMember'
  | 'removeGroupMember'
  | 'setEntitlements';
export type TrustServiceImplementation = Pick<TrustServiceServer, ImplementedRpc>;

export interface TrustGrpcDeps {
  repos: Pick<TrustRepositories, 'organisations' | 'apiKeys' | 'sharingGroups' | 'entitlements' | 'auditLog'>;
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
/** Upper bound on ids in one request (group members, audiences): each is a lookup. */
const MAX_IDS = 100;
/** Longest rotation grace period: a rotation is meant to retire the old key. */
const MAX_GRACE_MS = 30 * 24 * 60 * 60 * 1000;

function ids(values: readonly string[], field: string): string[] {
  if (values.length > MAX_IDS) throw new TrustServiceError('INVALID_ARGUMENT', `at most ${MAX_IDS} ids`, field);
  if (values.some((v) => v.trim() === '' || v.length > MAX_TEXT || containsApiKey(v))) throw new TrustServiceError('INVALID_ARGUMENT', `${field} must hold ids`, field);
  return [...new Set(values)];
}

function graceMs(duration: { seconds: string; nanos: number } | undefined): number {
  if (!duration) return 0;
  const ms = Number(duration.seconds) * 1000 + Math.floor(duration.nanos / 1e6);
  if (!Number.isFinite(ms) || ms < 0) throw new TrustServiceError('INVALID_ARGUMENT', 'grace_period must not be negative', 'grace_period');
  if (ms > MAX_GRACE_MS) throw new TrustServiceError('INVALID_ARGUMENT', 'grace_period is at most 30 days', 'grace_period');
  return ms;
}

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

  /** Runs an authorisation check for an authenticated caller; a refusal is audited as DENIED and thrown. */
  async function guard(rpc: string, caller: Caller, check: () => void, subject?: string): Promise<void> {
    try {
      check();
    } catch (err) {
      const code = (err as { code: string }).code;
      await audit({ at: now(), actorOrgId: caller.org.orgId, keyId: caller.key.keyId, action: `rpc.${rpc}`, outcome: 'DENIED', subject, details: { code } });
      throw err;
    }
  }

  async function administrator(rpc: string, call: CallOf<ImplementedRpc>): Promise<Caller> {
    const caller = await callerOf(rpc, call);
    await guard(rpc, caller, () => requireAdministrator(caller));
    return caller;
  }

  async function organisationExists(orgId: string, field: string): Promise<void> {
    if (!orgId) throw new TrustServiceError('INVALID_ARGUMENT', `${field} is required`, field);
    if (!(await repos.organisations.findById(orgId))) throw new TrustServiceError('ORGANISATION_NOT_FOUND', 'no such organisation', field);
  }

  async function groupMembership(rpc: 'AddGroupMember' | 'RemoveGroupMember', call: CallOf<'addGroupMember'>) {
    const caller = await administrator(rpc, call);
    const { groupId, orgId } = call.request;
    if (!groupId) throw new TrustServiceError('INVALID_ARGUMENT', 'group_id is required', 'group_id');
    // Adding needs a real organisation; removing a stale id must stay possible.
    if (rpc === 'AddGroupMember') await organisationExists(orgId, 'org_id');
    else if (!orgId) throw new TrustServiceError('INVALID_ARGUMENT', 'org_id is required', 'org_id');
    const group = rpc === 'AddGroupMember' ? await repos.sharingGroups.addMember(groupId, orgId, now()) : await repos.sharingGroups.removeMember(groupId, orgId, now());
    if (!group) throw new TrustServiceError('SHARING_GROUP_NOT_FOUND', 'no such sharing group', 'group_id');
    await changed(caller, rpc === 'AddGroupMember' ? 'group.member.add' : 'group.member.remove', group.groupId, { orgId });
    await publisher.publish(sharingGroupEvent(group, TrustChangeKind.TRUST_CHANGE_KIND_UPDATED, caller.org.orgId));
    return { sharingGroup: sharingGroupToProto(group) };
  }

  /** The resource in domain spellings plus a context holding exactly what the decision may look up. */
  async function authorizationInput(caller: Caller, request: CallOf<'authorize'>['request']) {
    const r = request.resource;
    const resource: AuthorizeResource = {
      signalType: r ? signalTypeFromProto(r.signalType) : undefined,
      categories: r ? ids(r.categories, 'resource.categories') : [],
      marking: r ? markingFromProto(r.marking) : undefined,
      sharingGroupIds: r ? ids(r.sharingGroupIds, 'resource.sharing_group_ids') : [],
      namedOrgIds: r ? ids(r.namedOrgIds, 'resource.named_org_ids') : [],
      ownerOrgId: r?.ownerOrgId ?? '',
      targetOrgId: r?.targetOrgId ?? '',
    };
    const named = await Promise.all(resource.namedOrgIds.filter((id) => id !== caller.org.orgId).map((id) => repos.organisations.findById(id)));
    const groups = await Promise.all(resource.sharingGroupIds.map((id) => repos.sharingGroups.findById(id)));
    const explicit = await repos.entitlements.get(caller.org.orgId);
    const ctx = createTrustContext({
      now: now(),
      organisations: [caller.org, ...named.filter((o) => o !== undefined)],
      groups: groups.filter((g): g is NonNullable<typeof g> => g !== undefined) as SharingGroup[],
      entitlements: explicit ? new Map<string, Entitlements>([[caller.org.orgId, explicit]]) : undefined,
    });
    return { resource, ctx };
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

    rotateApiKey: unary('rotateApiKey', async (call) => {
      const caller = await callerOf('RotateApiKey', call);
      const { keyId } = call.request;
      if (!keyId) throw new TrustServiceError('INVALID_ARGUMENT', 'key_id is required', 'key_id');
      const old = await repos.apiKeys.findByKeyId(keyId);
      await guard('RotateApiKey', caller, () => requireKeyRotator(caller, old?.orgId), keyId);
      if (!old) throw new TrustServiceError('API_KEY_NOT_FOUND', 'no such API key', 'key_id');
      const grace = graceMs(call.request.gracePeriod);
      const at = now();
      const usable = checkKeyUsable(old, at);
      if (!usable.ok) throw new TrustServiceError('API_KEY_NOT_ROTATABLE', `a key that is ${usable.code === 'API_KEY_REVOKED' ? 'revoked' : 'expired'} cannot be rotated; issue a new one`, 'key_id');
      const generated = generateApiKey();
      // Same organisation, label, scopes and expiry: a rotation changes the secret, nothing else.
      const fresh = await repos.apiKeys.insert({
        keyId: generated.keyId,
        orgId: old.orgId,
        label: old.label,
        scopes: old.scopes,
        secretHash: hashSecret(generated.secret),
        createdAt: at,
        expiresAt: old.expiresAt,
        rotatedFrom: old.keyId,
      });
      const retired = grace === 0 ? await repos.apiKeys.revoke(old.orgId, old.keyId, at) : await repos.apiKeys.expireBy(old.orgId, old.keyId, new Date(at.getTime() + grace));
      if (!retired) throw new TrustServiceError('API_KEY_NOT_FOUND', 'no such API key', 'key_id');
      await changed(caller, 'key.rotate', fresh.keyId, { orgId: fresh.orgId, rotatedFrom: old.keyId, graceMs: grace });
      await publisher.publish(apiKeyEvent(fresh, TrustChangeKind.TRUST_CHANGE_KIND_CREATED, caller.org.orgId));
      await publisher.publish(apiKeyEvent(retired, TrustChangeKind.TRUST_CHANGE_KIND_UPDATED, caller.org.orgId, at));
      // The only time the new secret leaves the service.
      return { newApiKey: apiKeyToProto(fresh), secret: generated.apiKey, oldApiKey: apiKeyToProto(retired) };
    }),

    setTrustTier: unary('setTrustTier', async (call) => {
      const caller = await administrator('SetTrustTier', call);
      const { orgId } = call.request;
      if (!orgId) throw new TrustServiceError('INVALID_ARGUMENT', 'org_id is required', 'org_id');
      const tier = requiredTierFromProto(call.request.tier);
      const org = await repos.organisations.setTier(orgId, tier, now());
      if (!org) throw new TrustServiceError('ORGANISATION_NOT_FOUND', 'no such organisation', 'org_id');
      await changed(caller, 'org.tier', org.orgId, { tier });
      await publisher.publish(organisationEvent(org, TrustChangeKind.TRUST_CHANGE_KIND_UPDATED, caller.org.orgId));
      return { organisation: organisationToProto(org) };
    }),

    createSharingGroup: unary('createSharingGroup', async (call) => {
      const caller = await administrator('CreateSharingGroup', call);
      const name = text(call.request.name, 'name', { required: true });
      const description = text(call.request.description, 'description', { required: false });
      const members = ids(call.request.memberOrgIds, 'member_org_ids');
      for (const orgId of members) await organisationExists(orgId, 'member_org_ids');
      const at = now();
      const group = await repos.sharingGroups.create({ groupId: `grp_${randomBytes(8).toString('hex')}`, name, description, memberOrgIds: members, createdAt: at, updatedAt: at });
      await changed(caller, 'group.create', group.groupId, { members: group.memberOrgIds.length });
      await publisher.publish(sharingGroupEvent(group, TrustChangeKind.TRUST_CHANGE_KIND_CREATED, caller.org.orgId));
      return { sharingGroup: sharingGroupToProto(group) };
    }),

    addGroupMember: unary('addGroupMember', (call) => groupMembership('AddGroupMember', call)),

    removeGroupMember: unary('removeGroupMember', (call) => groupMembership('RemoveGroupMember', call)),

    setEntitlements: unary('setEntitlements', async (call) => {
      const caller = await administrator('SetEntitlements', call);
      const requested = call.request.entitlements;
      if (!requested) throw new TrustServiceError('INVALID_ARGUMENT', 'entitlements is required', 'entitlements');
      await organisationExists(requested.orgId, 'entitlements.org_id');
      const entitlements = entitlementsFromProto(requested);
      const at = now();
      const stored = await repos.entitlements.set(requested.orgId, entitlements, at);
      await changed(caller, 'entitlements.set', requested.orgId, { receiveRules: stored.receive.length, contributeRules: stored.contribute.length });
      await publisher.publish(entitlementsEvent(requested.orgId, stored, at, caller.org.orgId));
      return { entitlements: entitlementsToProto(requested.orgId, stored) };
    }),

    authorize: unary('authorize', async (call) => {
      const caller = await callerOf('Authorize', call);
      // Decided for the caller's own credential only; a key id, when given, must be that credential's.
      if (call.request.keyId && call.request.keyId !== caller.key.keyId) throw new TrustServiceError('INVALID_ARGUMENT', "key_id must be empty or the caller's own key id", 'key_id');
      const action = actionFromProto(call.request.action);
      const { resource, ctx } = await authorizationInput(caller, call.request);
      const decision = decideAuthorization(caller, action, resource, ctx);
      if (decision.allowed) return { allowed: true, denial: undefined };
      await audit({ at: now(), actorOrgId: caller.org.orgId, keyId: caller.key.keyId, action: `authz.${action.toLowerCase()}`, outcome: 'DENIED', details: { code: decision.code } });
      return { allowed: false, denial: { code: decision.code, message: decision.message, field: decision.field ?? '' } };
    }),

    getView: unary('getView', async (call) => {
      const caller = await callerOf('GetView', call);
      const { orgId } = call.request;
      if (!orgId) throw new TrustServiceError('INVALID_ARGUMENT', 'org_id is required', 'org_id');
      await guard('GetView', caller, () => requireViewer(caller, orgId), orgId);
      const signal = call.request.signal;
      const state = signalStateFromProto(signal);
      const viewer = orgId === caller.org.orgId ? caller.org : await repos.organisations.findById(orgId);
      if (!viewer) throw new TrustServiceError('ORGANISATION_NOT_FOUND', 'no such organisation', 'org_id');
      // Exactly what the policy may look up: the viewer, the contributors, the groups named, the viewer's entitlements.
      const contributorIds = [...new Set(state.contributions.map((c) => c.contributorOrgId))].filter((id) => id !== viewer.orgId);
      const groupIds = [...new Set(state.contributions.flatMap((c) => c.sharingGroupIds))];
      const [contributors, groups, explicit] = await Promise.all([
        Promise.all(contributorIds.map((id) => repos.organisations.findById(id))),
        Promise.all(groupIds.map((id) => repos.sharingGroups.findById(id))),
        repos.entitlements.get(viewer.orgId),
      ]);
      const ctx = createTrustContext({
        now: now(),
        organisations: [viewer, ...contributors.filter((o): o is NonNullable<typeof o> => o !== undefined)] as Organisation[],
        groups: groups.filter((g): g is NonNullable<typeof g> => g !== undefined) as SharingGroup[],
        entitlements: explicit ? new Map<string, Entitlements>([[viewer.orgId, explicit]]) : undefined,
      });
      const view = viewOf(viewer, state, ctx);
      return { view: view && signal ? viewToProto(view, signal) : undefined };
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
