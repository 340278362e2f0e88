import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import {
  type AddGroupMemberRequest,
  ApiKey,
  ApiKeyScope,
  type CreateOrganisationRequest,
  type CreateSharingGroupRequest,
  type Duration,
  type EntitlementRule,
  type Entitlements,
  type IssueApiKeyRequest,
  Organisation,
  OrganisationKind,
  type ReinstateOrganisationRequest,
  type RemoveGroupMemberRequest,
  type RevokeApiKeyRequest,
  type RotateApiKeyRequest,
  type SetEntitlementsRequest,
  type SetTrustTierRequest,
  SharingGroup,
  SignalType,
  signalTypeToJSON,
  type SuspendOrganisationRequest,
  TrustServiceClient,
} from '@signal-mesh/contracts';
import { grpcCredentials, GrpcStatus, Metadata, readErrorDetail, type ServiceError } from '@signal-mesh/transport-grpc';
import { ConfigError } from '@signal-mesh/util-config';
import { Command, InvalidArgumentError, Option } from 'commander';

import { loadAdminConfig } from '../config';
import { type CliIo, printError, printJson } from '../io';
import { type DemoKeys, readDemoKeys, seedDemo, writeDemoKeys } from './demo-seed';

export const DEFAULT_TRUST_ADDRESS = '127.0.0.1:50061';
export const DEFAULT_KEY_FILE = '.local/operator-key';
export const DEFAULT_DEMO_KEYS_FILE = '.local/demo-keys.json';
const DEADLINE_MS = 10_000;

/** The admin RPCs of signalmesh.v1.TrustService, as promises; the caller's key is already attached. */
export interface TrustAdmin {
  createOrganisation(request: CreateOrganisationRequest): Promise<{ organisation?: Organisation }>;
  issueApiKey(request: IssueApiKeyRequest): Promise<{ apiKey?: ApiKey; secret: string }>;
  revokeApiKey(request: RevokeApiKeyRequest): Promise<{ apiKey?: ApiKey }>;
  suspendOrganisation(request: SuspendOrganisationRequest): Promise<{ organisation?: Organisation }>;
  reinstateOrganisation(request: ReinstateOrganisationRequest): Promise<{ organisation?: Organisation }>;
  rotateApiKey(request: RotateApiKeyRequest): Promise<{ newApiKey?: ApiKey; secret: string; oldApiKey?: ApiKey }>;
  setTrustTier(request: SetTrustTierRequest): Promise<{ organisation?: Organisation }>;
  createSharingGroup(request: CreateSharingGroupRequest): Promise<{ sharingGroup?: SharingGroup }>;
  addGroupMember(request: AddGroupMemberRequest): Promise<{ sharingGroup?: SharingGroup }>;
  removeGroupMember(request: RemoveGroupMemberRequest): Promise<{ sharingGroup?: SharingGroup }>;
  setEntitlements(request: SetEntitlementsRequest): Promise<{ entitlements?: Entitlements }>;
  close(): void;
}

export type ConnectTrustAdmin = (address: string, apiKey: string) => TrustAdmin;

type Unary<Req, Res> = (request: Req, metadata: Metadata, options: { deadline: Date }, callback: (err: ServiceError | null, res: Res) => void) => unknown;

/** A TrustAdmin over gRPC (plaintext, as the local stack serves it), sending the key as `x-api-key` on every call. */
export const connectTrustAdmin: ConnectTrustAdmin = (address, apiKey) => {
  const client = new TrustServiceClient(address, grpcCredentials.createInsecure());
  const call =
    <Req, Res>(method: Unary<Req, Res>) =>
    (request: Req): Promise<Res> =>
      new Promise((resolve, reject) => {
        const metadata = new Metadata();
        metadata.set('x-api-key', apiKey);
        method.call(client, request, metadata, { deadline: new Date(Date.now() + DEADLINE_MS) }, (err, res) => (err ? reject(err) : resolve(res)));
      });
  return {
    createOrganisation: call(client.createOrganisation as Unary<CreateOrganisationRequest, { organisation?: Organisation }>),
    issueApiKey: call(client.issueApiKey as Unary<IssueApiKeyRequest, { apiKey?: ApiKey; secret: string }>),
    revokeApiKey: call(client.revokeApiKey as Unary<RevokeApiKeyRequest, { apiKey?: ApiKey }>),
    suspendOrganisation: call(client.suspendOrganisation as Unary<SuspendOrganisationRequest, { organisation?: Organisation }>),
    reinstateOrganisation: call(client.reinstateOrganisation as Unary<ReinstateOrganisationRequest, { organisation?: Organisation }>),
    rotateApiKey: call(client.rotateApiKey as Unary<RotateApiKeyRequest, { newApiKey?: ApiKey; secret: string; oldApiKey?: ApiKey }>),
    setTrustTier: call(client.setTrustTier as Unary<SetTrustTierRequest, { organisation?: Organisation }>),
    createSharingGroup: call(client.createSharingGroup as Unary<CreateSharingGroupRequest, { sharingGroup?: SharingGroup }>),
    addGroupMember: call(client.addGroupMember as Unary<AddGroupMemberRequest, { sharingGroup?: SharingGroup }>),
    removeGroupMember: call(client.removeGroupMember as Unary<RemoveGroupMemberRequest, { sharingGroup?: SharingGroup }>),
    setEntitlements: call(client.setEntitlements as Unary<SetEntitlementsRequest, { entitlements?: Entitlements }>),
    close: () => client.close(),
  };
};

const KINDS: Record<string, OrganisationKind> = {
  platform: OrganisationKind.ORGANISATION_KIND_PLATFORM,
  ngo: OrganisationKind.ORGANISATION_KIND_NGO,
  'search-engine': OrganisationKind.ORGANISATION_KIND_SEARCH_ENGINE,
  hotline: OrganisationKind.ORGANISATION_KIND_HOTLINE,
  researcher: OrganisationKind.ORGANISATION_KIND_RESEARCHER,
  operator: OrganisationKind.ORGANISATION_KIND_OPERATOR,
};

const SCOPES: Record<string, ApiKeyScope> = {
  contribute: ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE,
  subscribe: ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE,
  admin: ApiKeyScope.API_KEY_SCOPE_ADMIN,
};

function tierArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 4) throw new InvalidArgumentError('must be 1, 2, 3 or 4');
  return n;
}

export const SIGNAL_TYPES: Record<string, SignalType> = {
  url: SignalType.SIGNAL_TYPE_URL,
  'model-hash': SignalType.SIGNAL_TYPE_MODEL_HASH,
  'prompt-pattern': SignalType.SIGNAL_TYPE_PROMPT_PATTERN,
};

const DURATION_UNITS_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `10m`, `24h`, `1h30m`, `7d` (or `0`) → milliseconds. The service enforces the 30-day maximum. */
export function parseDuration(value: string): number {
  const text = value.trim();
  if (text === '0') return 0;
  if (!/^(\d+[smhd])+$/.test(text)) throw new InvalidArgumentError('must be a duration such as 90s, 10m, 24h, 1h30m or 7d');
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhd])/g)) ms += Number(amount) * (DURATION_UNITS_MS[unit ?? ''] ?? 0);
  if (!Number.isSafeInteger(ms)) throw new InvalidArgumentError('is too long');
  return ms;
}

export function durationToProto(ms: number): Duration {
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

/**
 * `type[:cat1,cat2]` → an entitlement rule: `url`, `model-hash` or `prompt-pattern`, optionally narrowed to
 * categories (each also covers its dotted sub-categories). Category spelling is validated by the service.
 */
export function parseEntitlementRule(value: string): EntitlementRule {
  const colon = value.indexOf(':');
  const type = (colon === -1 ? value : value.slice(0, colon)).trim();
  const signalType = SIGNAL_TYPES[type];
  if (signalType === undefined) throw new InvalidArgumentError(`type must be one of ${Object.keys(SIGNAL_TYPES).join(', ')} (as type or type:category,category)`);
  if (colon === -1) return { signalType, categories: [] };
  const categories = value
    .slice(colon + 1)
    .split(',')
    .map((c) => c.trim());
  if (categories.some((c) => c === '')) throw new InvalidArgumentError('categories after ":" must be a comma-separated list without empty entries');
  return { signalType, categories: [...new Set(categories)] };
}

/** Commander parser for a repeatable, variadic rule option: collects every rule given. */
function collectRules(value: string, previous: EntitlementRule[] | undefined): EntitlementRule[] {
  return [...(previous ?? []), parseEntitlementRule(value)];
}

function futureDate(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('must be an ISO 8601 date, e.g. 2027-01-01T00:00:00Z');
  return date;
}

interface ConnectionOptions {
  trust: string;
  keyFile?: string;
}

/** `--key-file` when given, else SIGNAL_MESH_API_KEY, else the default key file. Never printed. */
export async function resolveApiKey(io: CliIo, keyFile: string | undefined): Promise<string> {
  const fromEnv = keyFile === undefined ? loadAdminConfig(io.env).apiKey : undefined;
  if (fromEnv !== undefined) return fromEnv.trim();
  const path = keyFile ?? DEFAULT_KEY_FILE;
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (err) {
    throw Object.assign(new Error(`cannot read the key file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}); pass --key-file or set SIGNAL_MESH_API_KEY`), { code: 'API_KEY_FILE_UNREADABLE' });
  }
  const key = content.trim();
  if (key === '') throw Object.assign(new Error(`the key file ${path} is empty`), { code: 'API_KEY_FILE_UNREADABLE' });
  return key;
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as ServiceError).code === 'number' && 'metadata' in err;
}

/** The coded error a failed call prints: the service's ErrorDetail code, or one named after the gRPC status. */
export function adminErrorOf(err: unknown): { code: string; message: string; status?: string } {
  if (isServiceError(err)) {
    const status = GrpcStatus[err.code] ?? String(err.code);
    const detail = readErrorDetail(err);
    if (detail?.code) return { code: detail.code, message: detail.message || err.details, status };
    if (err.code === GrpcStatus.UNAVAILABLE || err.code === GrpcStatus.DEADLINE_EXCEEDED) return { code: 'TRUST_UNAVAILABLE', message: err.details || err.message, status };
    return { code: `GRPC_${status}`, message: err.details || err.message, status };
  }
  const coded = err as { code?: unknown; message?: string };
  return { code: typeof coded.code === 'string' ? coded.code : 'INTERNAL', message: coded.message ?? String(err) };
}

/** `{ code, message, status? }` as printed under `error`. */
function codedError(err: unknown): { code: string; message: string; status?: string } {
  const { code, message, status } = adminErrorOf(err);
  return { code, message, ...(status ? { status } : {}) };
}

export function adminCommand(io: CliIo, setExitCode: (code: number) => void, connect: ConnectTrustAdmin = connectTrustAdmin): Command {
  const admin = new Command('admin')
    .description('administer the mesh through the trust service (gRPC) with an operator ADMIN key')
    .option('--trust <host:port>', 'trust service gRPC address', DEFAULT_TRUST_ADDRESS)
    .option('--key-file <path>', `file holding the operator key (default: SIGNAL_MESH_API_KEY, else ${DEFAULT_KEY_FILE})`)
    .addHelpText(
      'after',
      `\nThe key is sent as x-api-key metadata and never printed. Each command prints one JSON line; a refused call\nprints { error: { code, message, status } } (e.g. NOT_OPERATOR, API_KEY_INVALID, ORGANISATION_NOT_FOUND) and\nexits 1; a missing key file or bad configuration exits 2. key issue and key rotate print the new secret once;\ndemo-seed writes its secrets to a file instead.`,
    );

  /** Opens a client with the resolved key and runs `body`, whose result is the exit code; no key: exit 2. */
  const connected = async (command: Command, body: (client: TrustAdmin) => Promise<number>) => {
    const options = command.optsWithGlobals<ConnectionOptions>();
    let apiKey: string;
    try {
      apiKey = await resolveApiKey(io, options.keyFile);
    } catch (err) {
      const coded = err instanceof ConfigError ? { code: err.code, message: err.message } : adminErrorOf(err);
      printError(io, coded.code, coded.message);
      setExitCode(2);
      return;
    }
    const client = connect(options.trust, apiKey);
    try {
      setExitCode(await body(client));
    } finally {
      client.close();
    }
  };

  /** Runs one RPC and prints its result, or its coded error (exit 1). */
  const rpc = (command: Command, body: (client: TrustAdmin) => Promise<Record<string, unknown>>) =>
    connected(command, async (client) => {
      try {
        printJson(io, await body(client));
        return 0;
      } catch (err) {
        printJson(io, { error: codedError(err) });
        return 1;
      }
    });

  const organisationJson = (res: { organisation?: Organisation }) => ({ organisation: res.organisation ? Organisation.toJSON(res.organisation) : null });
  // toJSON leaves out empty lists; a group without members or a rule list that grants nothing is worth showing.
  const groupJson = (res: { sharingGroup?: SharingGroup }) => ({ sharingGroup: res.sharingGroup ? { memberOrgIds: [], ...(SharingGroup.toJSON(res.sharingGroup) as object) } : null });
  const rulesJson = (rules: readonly EntitlementRule[]) => rules.map((r) => ({ signalType: signalTypeToJSON(r.signalType), categories: [...r.categories] }));
  const secretWarning = () => io.stderr.write('signal-mesh: store the secret now; it is not shown again and only its hash is kept\n');

  const org = admin.command('org').description('create, suspend and reinstate organisations; change their trust tier');
  org
    .command('create')
    .description('create an organisation; prints it')
    .requiredOption('--name <name>', 'unique organisation name')
    .addOption(new Option('--kind <kind>', 'organisation kind').choices(Object.keys(KINDS)).makeOptionMandatory())
    .addOption(new Option('--tier <tier>', 'trust tier 1 (lowest) to 4').argParser(tierArg).makeOptionMandatory())
    .action(async (options: { name: string; kind: string; tier: number }, command: Command) => {
      await rpc(command, async (client) => organisationJson(await client.createOrganisation({ name: options.name, kind: KINDS[options.kind] as OrganisationKind, tier: options.tier })));
    });
  org
    .command('suspend')
    .description('suspend an organisation: its keys stop working and others stop seeing its contributions')
    .requiredOption('--org <orgId>', 'organisation id')
    .option('--reason <text>', 'why (kept in the audit log and events; never a key)', '')
    .action(async (options: { org: string; reason: string }, command: Command) => {
      await rpc(command, async (client) => organisationJson(await client.suspendOrganisation({ orgId: options.org, reason: options.reason })));
    });
  org
    .command('reinstate')
    .description('reinstate a suspended organisation')
    .requiredOption('--org <orgId>', 'organisation id')
    .action(async (options: { org: string }, command: Command) => {
      await rpc(command, async (client) => organisationJson(await client.reinstateOrganisation({ orgId: options.org })));
    });
  org
    .command('tier')
    .description("set an organisation's trust tier; prints the organisation")
    .requiredOption('--org <orgId>', 'organisation id')
    .addOption(new Option('--tier <tier>', 'trust tier 1 (lowest) to 4').argParser(tierArg).makeOptionMandatory())
    .action(async (options: { org: string; tier: number }, command: Command) => {
      await rpc(command, async (client) => organisationJson(await client.setTrustTier({ orgId: options.org, tier: options.tier })));
    });

  const key = admin.command('key').description('issue, rotate and revoke API keys');
  key
    .command('issue')
    .description('issue an API key for an organisation; prints its metadata and the secret, shown this once only')
    .requiredOption('--org <orgId>', 'organisation id')
    .addOption(new Option('--scope <scope...>', 'one or more scopes').choices(Object.keys(SCOPES)).makeOptionMandatory())
    .option('--label <label>', 'human label, e.g. ingest-pipeline', '')
    .addOption(new Option('--expires <date>', 'expiry (ISO 8601); default: none').argParser(futureDate))
    .action(async (options: { org: string; scope: string[]; label: string; expires?: Date }, command: Command) => {
      await rpc(command, async (client) => {
        const res = await client.issueApiKey({ orgId: options.org, label: options.label, scopes: [...new Set(options.scope)].map((s) => SCOPES[s] as ApiKeyScope), expiresAt: options.expires });
        secretWarning();
        return { apiKey: res.apiKey ? ApiKey.toJSON(res.apiKey) : null, secret: res.secret };
      });
    });
  key
    .command('rotate')
    .description(
      'replace a key with a new one (same organisation, label, scopes and expiry); prints the new key and its secret, shown this once only, and the old key',
    )
    .requiredOption('--key-id <keyId>', 'the public id of the key to replace (12 characters)')
    .addOption(new Option('--grace <duration>', 'how long the old key keeps working, e.g. 10m, 24h, 7d (at most 30d); default: revoked at once').argParser(parseDuration))
    .action(async (options: { keyId: string; grace?: number }, command: Command) => {
      await rpc(command, async (client) => {
        const res = await client.rotateApiKey({ keyId: options.keyId, gracePeriod: options.grace === undefined ? undefined : durationToProto(options.grace) });
        secretWarning();
        return { newApiKey: res.newApiKey ? ApiKey.toJSON(res.newApiKey) : null, secret: res.secret, oldApiKey: res.oldApiKey ? ApiKey.toJSON(res.oldApiKey) : null };
      });
    });
  key
    .command('revoke')
    .description('revoke an API key at once (idempotent)')
    .requiredOption('--key-id <keyId>', 'the public key id (12 characters)')
    .action(async (options: { keyId: string }, command: Command) => {
      await rpc(command, async (client) => {
        const res = await client.revokeApiKey({ keyId: options.keyId });
        return { apiKey: res.apiKey ? ApiKey.toJSON(res.apiKey) : null };
      });
    });

  const group = admin.command('group').description('sharing groups: the audiences AMBER contributions address');
  group
    .command('create')
    .description('create a sharing group (unique name); prints it')
    .requiredOption('--name <name>', 'unique group name, e.g. nudify-watch')
    .option('--description <text>', 'what the group is for', '')
    .option('--member <orgId...>', 'initial member organisation ids (each must exist)')
    .action(async (options: { name: string; description: string; member?: string[] }, command: Command) => {
      await rpc(command, async (client) => groupJson(await client.createSharingGroup({ name: options.name, description: options.description, memberOrgIds: [...new Set(options.member ?? [])] })));
    });
  group
    .command('add')
    .description('add an organisation to a sharing group; prints the group')
    .requiredOption('--group <groupId>', 'sharing group id')
    .requiredOption('--org <orgId>', 'organisation id (must exist)')
    .action(async (options: { group: string; org: string }, command: Command) => {
      await rpc(command, async (client) => groupJson(await client.addGroupMember({ groupId: options.group, orgId: options.org })));
    });
  group
    .command('remove')
    .description("remove an organisation from a sharing group (it loses the group's AMBER signals at once); prints the group")
    .requiredOption('--group <groupId>', 'sharing group id')
    .requiredOption('--org <orgId>', 'organisation id (a stale id may be removed too)')
    .action(async (options: { group: string; org: string }, command: Command) => {
      await rpc(command, async (client) => groupJson(await client.removeGroupMember({ groupId: options.group, orgId: options.org })));
    });

  const entitlements = admin.command('entitlements').description('which signal types and categories an organisation may receive and contribute');
  entitlements
    .command('set')
    .description(
      "REPLACE an organisation's entitlements (never merged): what is not given is no longer granted, and with neither --receive nor --contribute it receives and contributes nothing. Until first set, its kind's defaults apply. Prints the stored entitlements",
    )
    .requiredOption('--org <orgId>', 'organisation id')
    .addOption(new Option('--receive <rule...>', 'type[:category,…] it may receive; type: url, model-hash or prompt-pattern; repeatable').argParser(collectRules))
    .addOption(new Option('--contribute <rule...>', 'type[:category,…] it may contribute; repeatable').argParser(collectRules))
    .addHelpText('after', '\nExample: signal-mesh admin entitlements set --org <orgId> --receive url:service.nudify model-hash --contribute url:service.nudify\nA category also covers its dotted sub-categories (service.nudify covers service.nudify.tutorial).')
    .action(async (options: { org: string; receive?: EntitlementRule[]; contribute?: EntitlementRule[] }, command: Command) => {
      await rpc(command, async (client) => {
        const res = await client.setEntitlements({ entitlements: { orgId: options.org, receive: options.receive ?? [], contribute: options.contribute ?? [] } });
        const stored = res.entitlements;
        return { entitlements: stored ? { orgId: stored.orgId, receive: rulesJson(stored.receive), contribute: rulesJson(stored.contribute) } : null };
      });
    });

  admin
    .command('demo-seed')
    .description('create the local demo population (docs/demo.md): organisations of every kind, two sharing groups, entitlements and one key per organisation')
    .option('--out <file>', 'where the demo keys are written (JSON, mode 0600)', DEFAULT_DEMO_KEYS_FILE)
    .addHelpText(
      'after',
      `\nFor local trials only. Secrets go to the --out file only; stdout gets one JSON summary line with the file's path.\nRe-running is safe: an organisation or group whose name already exists is reported and skipped (its id is\ntaken from the keys file when it is there); entitlements are set again (replace).`,
    )
    .action(async (options: { out: string }, command: Command) => {
      await connected(command, async (client) => {
        const path = resolve(options.out);
        let keys: DemoKeys;
        try {
          keys = await readDemoKeys(path);
          // Written (0600) before any key is issued, so a secret is never issued into a file we cannot write.
          await writeDemoKeys(path, keys);
        } catch (err) {
          const { code, message } = adminErrorOf(err);
          printError(io, code, message, { keysFile: path });
          return 2;
        }
        const { report, error } = await seedDemo(client, { keys, save: (k) => writeDemoKeys(path, k), progress: (line) => io.stderr.write(`signal-mesh: demo-seed: ${line}\n`) });
        printJson(io, { keysFile: path, ...report, ...(error === undefined ? {} : { error: codedError(error) }) });
        return error === undefined ? 0 : 1;
      });
    });

  return admin;
}
