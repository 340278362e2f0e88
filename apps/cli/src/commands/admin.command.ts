import { readFile } from 'node:fs/promises';

import {
  ApiKey,
  ApiKeyScope,
  type CreateOrganisationRequest,
  type IssueApiKeyRequest,
  Organisation,
  OrganisationKind,
  type ReinstateOrganisationRequest,
  type RevokeApiKeyRequest,
  type SuspendOrganisationRequest,
  TrustServiceClient,
} from '@signal-mesh/contracts';
import { grpcCredentials, GrpcStatus, Metadata, readErrorDetail, type ServiceError } from '@signal-mesh/transport-grpc';
import { ConfigError } from '@signal-mesh/util-config';
import { Command, InvalidArgumentError, Option } from 'commander';

import { loadAdminConfig } from '../config';
import { type CliIo, printError, printJson } from '../io';

export const DEFAULT_TRUST_ADDRESS = '127.0.0.1:50061';
export const DEFAULT_KEY_FILE = '.local/operator-key';
const DEADLINE_MS = 10_000;

/** The admin RPCs of signalmesh.v1.TrustService, as promises; the caller's key is already attached. */
export interface TrustAdmin {
  createOrganisation(request: CreateOrganisationRequest): Promise<{ organisation?: Organisation }>;
  issueApiKey(request: IssueApiKeyRequest): Promise<{ apiKey?: ApiKey; secret: string }>;
  revokeApiKey(request: RevokeApiKeyRequest): Promise<{ apiKey?: ApiKey }>;
  suspendOrganisation(request: SuspendOrganisationRequest): Promise<{ organisation?: Organisation }>;
  reinstateOrganisation(request: ReinstateOrganisationRequest): Promise<{ organisation?: Organisation }>;
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

export function adminCommand(io: CliIo, setExitCode: (code: number) => void, connect: ConnectTrustAdmin = connectTrustAdmin): Command {
  const admin = new Command('admin')
    .description('administer the mesh through the trust service (gRPC) with an operator ADMIN key')
    .option('--trust <host:port>', 'trust service gRPC address', DEFAULT_TRUST_ADDRESS)
    .option('--key-file <path>', `file holding the operator key (default: SIGNAL_MESH_API_KEY, else ${DEFAULT_KEY_FILE})`)
    .addHelpText(
      'after',
      `\nThe key is sent as x-api-key metadata and never printed. Each command prints one JSON line; a refused call\nprints { error: { code, message, status } } (e.g. NOT_OPERATOR, API_KEY_INVALID, ORGANISATION_NOT_FOUND) and\nexits 1; a missing key file or bad configuration exits 2.`,
    );

  /** Opens a client with the resolved key, runs one RPC and prints its result or its coded error. */
  const rpc = async (command: Command, body: (client: TrustAdmin) => Promise<Record<string, unknown>>) => {
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
      printJson(io, await body(client));
      setExitCode(0);
    } catch (err) {
      const { code, message, status } = adminErrorOf(err);
      printJson(io, { error: { code, message, ...(status ? { status } : {}) } });
      setExitCode(1);
    } finally {
      client.close();
    }
  };

  const org = admin.command('org').description('create, suspend and reinstate organisations');
  org
    .command('create')
    .description('create an organisation; prints it')
    .requiredOption('--name <name>', 'unique organisation name')
    .addOption(new Option('--kind <kind>', 'organisation kind').choices(Object.keys(KINDS)).makeOptionMandatory())
    .addOption(new Option('--tier <tier>', 'trust tier 1 (lowest) to 4').argParser(tierArg).makeOptionMandatory())
    .action(async (options: { name: string; kind: string; tier: number }, command: Command) => {
      await rpc(command, async (client) => {
        const res = await client.createOrganisation({ name: options.name, kind: KINDS[options.kind] as OrganisationKind, tier: options.tier });
        return { organisation: res.organisation ? Organisation.toJSON(res.organisation) : null };
      });
    });
  org
    .command('suspend')
    .description('suspend an organisation: its keys stop working and others stop seeing its contributions')
    .requiredOption('--org <orgId>', 'organisation id')
    .option('--reason <text>', 'why (kept in the audit log and events; never a key)', '')
    .action(async (options: { org: string; reason: string }, command: Command) => {
      await rpc(command, async (client) => {
        const res = await client.suspendOrganisation({ orgId: options.org, reason: options.reason });
        return { organisation: res.organisation ? Organisation.toJSON(res.organisation) : null };
      });
    });
  org
    .command('reinstate')
    .description('reinstate a suspended organisation')
    .requiredOption('--org <orgId>', 'organisation id')
    .action(async (options: { org: string }, command: Command) => {
      await rpc(command, async (client) => {
        const res = await client.reinstateOrganisation({ orgId: options.org });
        return { organisation: res.organisation ? Organisation.toJSON(res.organisation) : null };
      });
    });

  const key = admin.command('key').description('issue and revoke API keys');
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
        io.stderr.write('signal-mesh: store the secret now; it is not shown again and only its hash is kept\n');
        return { apiKey: res.apiKey ? ApiKey.toJSON(res.apiKey) : null, secret: res.secret };
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

  return admin;
}
