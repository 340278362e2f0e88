import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import { ApiKeyScope, type EntitlementRule, OrganisationKind, organisationKindToJSON, SignalType } from '@signal-mesh/contracts';
import { GrpcStatus } from '@signal-mesh/transport-grpc';
import { z } from 'zod';

import type { TrustAdmin } from './admin.command';

export interface DemoOrganisation {
  readonly name: string;
  readonly kind: OrganisationKind;
  readonly tier: 1 | 2 | 3 | 4;
}

export interface DemoSharingGroup {
  readonly name: string;
  readonly description: string;
  /** Organisation names from `organisations`. */
  readonly members: readonly string[];
}

export interface DemoEntitlements {
  /** An organisation name from `organisations`. */
  readonly org: string;
  readonly receive: readonly EntitlementRule[];
  readonly contribute: readonly EntitlementRule[];
}

export interface DemoPopulation {
  readonly organisations: readonly DemoOrganisation[];
  readonly sharingGroups: readonly DemoSharingGroup[];
  readonly entitlements: readonly DemoEntitlements[];
  /** Scopes of the one key issued per organisation. */
  readonly keyScopes: readonly ApiKeyScope[];
  readonly keyLabel: string;
}

/** The whole demo population, described in docs/demo.md: synthetic names, for local trials only. */
export const DEMO_POPULATION: DemoPopulation = {
  organisations: [
    { name: 'Demo Platform A', kind: OrganisationKind.ORGANISATION_KIND_PLATFORM, tier: 2 },
    { name: 'Demo Platform B', kind: OrganisationKind.ORGANISATION_KIND_PLATFORM, tier: 3 },
    { name: 'Demo NGO A', kind: OrganisationKind.ORGANISATION_KIND_NGO, tier: 4 },
    { name: 'Demo NGO B', kind: OrganisationKind.ORGANISATION_KIND_NGO, tier: 2 },
    { name: 'Demo Search Engine A', kind: OrganisationKind.ORGANISATION_KIND_SEARCH_ENGINE, tier: 2 },
    { name: 'Demo Hotline A', kind: OrganisationKind.ORGANISATION_KIND_HOTLINE, tier: 4 },
    { name: 'Demo Researcher A', kind: OrganisationKind.ORGANISATION_KIND_RESEARCHER, tier: 3 },
  ],
  sharingGroups: [
    {
      name: 'nudify-watch',
      description: 'Demo: AMBER URLs of nudify services, shared between the NGOs, the hotline and one platform',
      members: ['Demo NGO A', 'Demo NGO B', 'Demo Hotline A', 'Demo Platform A'],
    },
    {
      name: 'model-hashes-trusted',
      description: 'Demo: AMBER model hashes, shared between members of tier 3 and above',
      members: ['Demo Platform B', 'Demo NGO A', 'Demo Hotline A', 'Demo Researcher A'],
    },
  ],
  entitlements: [
    // Narrower than a search engine's default (which also contributes nudify URLs): it only consumes delisting.
    { org: 'Demo Search Engine A', receive: [{ signalType: SignalType.SIGNAL_TYPE_URL, categories: ['service.nudify'] }], contribute: [] },
  ],
  keyScopes: [ApiKeyScope.API_KEY_SCOPE_CONTRIBUTE, ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE],
  keyLabel: 'demo-seed',
};

/** One entry of the keys file. `keyId`/`apiKey` are absent only when a run stopped between creating and keying. */
export interface DemoKeyEntry {
  orgId: string;
  kind: string;
  tier: number;
  keyId?: string;
  apiKey?: string;
}
/** The keys file: organisation name → entry. */
export type DemoKeys = Record<string, DemoKeyEntry>;

const keysFileSchema = z.record(z.string(), z.object({ orgId: z.string().min(1), kind: z.string(), tier: z.number().int(), keyId: z.string().optional(), apiKey: z.string().optional() }));

class DemoKeysFileError extends Error {
  constructor(
    readonly code: 'DEMO_KEYS_FILE_INVALID' | 'DEMO_KEYS_FILE_UNREADABLE' | 'DEMO_KEYS_FILE_UNWRITABLE',
    message: string,
  ) {
    super(message);
    this.name = 'DemoKeysFileError';
  }
}

/** The keys file of an earlier run, or `{}` when there is none. A file that is not ours is refused, never overwritten. */
export async function readDemoKeys(path: string): Promise<DemoKeys> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    throw new DemoKeysFileError('DEMO_KEYS_FILE_UNREADABLE', `cannot read ${path} (${code ?? 'error'})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    throw new DemoKeysFileError('DEMO_KEYS_FILE_INVALID', `${path} is not JSON; move it away or pass another --out`);
  }
  const result = keysFileSchema.safeParse(parsed);
  if (!result.success) throw new DemoKeysFileError('DEMO_KEYS_FILE_INVALID', `${path} is not a demo keys file; move it away or pass another --out`);
  return result.data;
}

/** Written next to the target and renamed over it (mode 0600 either way), so a reader never sees half a file. */
export async function writeDemoKeys(path: string, keys: DemoKeys): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(tmp, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new DemoKeysFileError('DEMO_KEYS_FILE_UNWRITABLE', `cannot write ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** The service answers a duplicate organisation or group name with ALREADY_EXISTS (ErrorDetail code DUPLICATE_KEY). */
export function isAlreadyExists(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'metadata' in err && (err as { code?: unknown }).code === GrpcStatus.ALREADY_EXISTS;
}

export interface SeedReport {
  organisations: { name: string; orgId: string | null; outcome: 'created' | 'exists'; key: 'issued' | 'kept' | 'none' }[];
  sharingGroups: { name: string; groupId: string | null; outcome: 'created' | 'exists'; members: number; missingMembers: string[] }[];
  entitlements: { org: string; outcome: 'set' | 'skipped' }[];
}

export interface SeedDeps {
  /** The keys file of an earlier run (updated in place). */
  keys: DemoKeys;
  /** Persists the keys file; called after every change, so an interrupted run loses no secret. */
  save(keys: DemoKeys): Promise<void>;
  /** Human progress lines (stderr); never given a secret. */
  progress(line: string): void;
  population?: DemoPopulation;
}

type SeedClient = Pick<TrustAdmin, 'createOrganisation' | 'issueApiKey' | 'createSharingGroup' | 'setEntitlements'>;

const kindName = (kind: OrganisationKind) => organisationKindToJSON(kind).replace(/^ORGANISATION_KIND_/, '');

/**
 * Creates the demo population. Idempotent-ish: an organisation or group whose name exists is reported and skipped
 * (an organisation's id then comes from the keys file, when it is there); an organisation known from the keys file
 * but without a key gets one; entitlements are set again (replace). Stops at the first other error and returns it
 * with what was done so far.
 */
export async function seedDemo(client: SeedClient, deps: SeedDeps): Promise<{ report: SeedReport; error?: unknown }> {
  const { keys, save, progress, population = DEMO_POPULATION } = deps;
  const report: SeedReport = { organisations: [], sharingGroups: [], entitlements: [] };
  try {
    for (const wanted of population.organisations) {
      let outcome: 'created' | 'exists';
      try {
        const { organisation } = await client.createOrganisation({ name: wanted.name, kind: wanted.kind, tier: wanted.tier });
        if (!organisation) throw Object.assign(new Error(`no organisation in the answer for ${wanted.name}`), { code: 'UNEXPECTED_RESPONSE' });
        // A new organisation: an entry of an older stack under the same name is stale.
        keys[wanted.name] = { orgId: organisation.orgId, kind: kindName(wanted.kind), tier: wanted.tier };
        await save(keys);
        outcome = 'created';
        progress(`created organisation "${wanted.name}" (${organisation.orgId})`);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        outcome = 'exists';
        progress(keys[wanted.name] ? `organisation "${wanted.name}" exists (${keys[wanted.name]?.orgId}): skipped` : `organisation "${wanted.name}" exists but is not in the keys file: skipped, its id is unknown`);
      }
      const entry = keys[wanted.name];
      let key: 'issued' | 'kept' | 'none' = entry?.apiKey ? 'kept' : 'none';
      if (entry && !entry.apiKey) {
        const issued = await client.issueApiKey({ orgId: entry.orgId, label: population.keyLabel, scopes: [...population.keyScopes], expiresAt: undefined });
        if (!issued.apiKey) throw Object.assign(new Error(`no key in the answer for ${wanted.name}`), { code: 'UNEXPECTED_RESPONSE' });
        entry.keyId = issued.apiKey.keyId;
        entry.apiKey = issued.secret;
        await save(keys);
        key = 'issued';
        progress(`issued key ${issued.apiKey.keyId} for "${wanted.name}"`);
      }
      report.organisations.push({ name: wanted.name, orgId: entry?.orgId ?? null, outcome, key });
    }

    for (const wanted of population.sharingGroups) {
      const missingMembers = wanted.members.filter((name) => !keys[name]);
      const memberOrgIds = wanted.members.flatMap((name) => (keys[name] ? [keys[name].orgId] : []));
      try {
        const { sharingGroup } = await client.createSharingGroup({ name: wanted.name, description: wanted.description, memberOrgIds });
        report.sharingGroups.push({ name: wanted.name, groupId: sharingGroup?.groupId ?? null, outcome: 'created', members: memberOrgIds.length, missingMembers });
        progress(`created sharing group "${wanted.name}" (${sharingGroup?.groupId ?? '?'}) with ${memberOrgIds.length} members${missingMembers.length ? `; left out (id unknown): ${missingMembers.join(', ')}` : ''}`);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        // Membership of an existing group is left as it is: the operator may have changed it on purpose.
        report.sharingGroups.push({ name: wanted.name, groupId: null, outcome: 'exists', members: 0, missingMembers: [] });
        progress(`sharing group "${wanted.name}" exists: skipped`);
      }
    }

    for (const wanted of population.entitlements) {
      const entry = keys[wanted.org];
      if (!entry) {
        report.entitlements.push({ org: wanted.org, outcome: 'skipped' });
        progress(`entitlements of "${wanted.org}" skipped: its id is unknown`);
        continue;
      }
      await client.setEntitlements({ entitlements: { orgId: entry.orgId, receive: [...wanted.receive], contribute: [...wanted.contribute] } });
      report.entitlements.push({ org: wanted.org, outcome: 'set' });
      progress(`set entitlements of "${wanted.org}"`);
    }
    return { report };
  } catch (error) {
    return { report, error };
  }
}
