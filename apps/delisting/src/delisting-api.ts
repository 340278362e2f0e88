import type { StoredList } from '@signal-mesh/delisting-data-access';
import { type DelistChange, type DelistEntry, LIST_DEFINITIONS, type ListDefinition, type Manifest, type PublishedKeys, type SigningKey, signManifest,SnapshotHasher } from '@signal-mesh/delisting-domain';
import type { Logger } from '@signal-mesh/util-logging';

import type { DelistingLimits } from './config';
import { DelistingError } from './errors';
import type { Clock, ListReader, Trust } from './ports';

/** An authenticated, authorised caller: every list it reads is its own organisation's. */
export interface ListCaller {
  readonly orgId: string;
}

export interface ListSummary extends StoredList {
  readonly description: string;
}

export interface ChangesPage {
  readonly changes: DelistChange[];
  readonly currentVersion: number;
  readonly hasMore: boolean;
}

export interface DelistingApiDeps {
  readonly trust: Trust;
  readonly lists: ListReader;
  readonly signing: SigningKey;
  readonly published: PublishedKeys;
  readonly limits: DelistingLimits;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly definitions?: readonly ListDefinition[];
}

/**
 * What both transports call. Every call authenticates the caller's own key and has the trust service authorise
 * PULL_DELISTING (a SEARCH_ENGINE organisation with a SUBSCRIBE key); the organisation is always the caller's, so
 * another organisation's lists cannot even be named. A list id the caller's organisation does not have is refused
 * PERMISSION_DENIED (LIST_NOT_AVAILABLE), the same class as a caller that may not pull lists at all.
 */
export class DelistingApi {
  private readonly definitions: readonly ListDefinition[];

  constructor(private readonly deps: DelistingApiDeps) {
    this.definitions = deps.definitions ?? LIST_DEFINITIONS;
  }

  get limits(): DelistingLimits {
    return this.deps.limits;
  }

  publishedKeys(): PublishedKeys {
    return this.deps.published;
  }

  async caller(apiKey: string | undefined, listId?: string): Promise<ListCaller> {
    if (!apiKey) throw new DelistingError('API_KEY_MISSING', 'an API key is required (x-api-key or Authorization: Bearer)');
    const principal = await this.deps.trust.authenticate(apiKey);
    await this.deps.trust.authorize(apiKey, 'PULL_DELISTING', listId ? { listId } : {});
    return { orgId: principal.orgId };
  }

  async lists(caller: ListCaller): Promise<ListSummary[]> {
    const stored = new Map((await this.deps.lists.getLists(caller.orgId)).map((list) => [list.listId, list]));
    return this.definitions.map((definition) => ({
      ...(stored.get(definition.listId) ?? { orgId: caller.orgId, listId: definition.listId, version: 0, entryCount: 0, changesFrom: 1 }),
      description: definition.description,
    }));
  }

  /** The list's current version (what a snapshot is taken at). */
  async list(caller: ListCaller, listId: string): Promise<StoredList> {
    this.definition(listId);
    return this.deps.lists.getList(caller.orgId, listId);
  }

  /** Pages of the list at `version`, in signal id order. */
  entries(caller: ListCaller, listId: string, version: number): AsyncGenerator<DelistEntry[]> {
    this.definition(listId);
    return this.deps.lists.entriesAt(caller.orgId, listId, version, this.deps.limits.pageSize);
  }

  async changes(caller: ListCaller, listId: string, since: number, pageSize: number | undefined): Promise<ChangesPage> {
    this.definition(listId);
    const limit = pageSize === undefined || pageSize === 0 ? this.deps.limits.changesPageSize : pageSize;
    if (!Number.isInteger(limit) || limit < 1 || limit > this.deps.limits.maxChangesPageSize) {
      throw new DelistingError('INVALID_REQUEST', `page size must be an integer from 1 to ${this.deps.limits.maxChangesPageSize}`, 'page_size');
    }
    const { list, changes, hasMore } = await this.deps.lists.changesSince(caller.orgId, listId, since, limit);
    return { changes, currentVersion: list.version, hasMore };
  }

  /**
   * The signed manifest of `version` (default: current). Computed once per version by streaming the canonical
   * snapshot through SHA-256 (memory independent of the list's size), then cached; re-signed if the key changed.
   */
  async manifest(caller: ListCaller, listId: string, version?: number): Promise<Manifest> {
    this.definition(listId);
    const list = await this.deps.lists.getList(caller.orgId, listId);
    const at = version ?? list.version;
    if (at > list.version) throw new DelistingError('VERSION_NOT_FOUND', `the list has no version ${at} yet (current version ${list.version})`, 'version');
    const cached = await this.deps.lists.findManifest(caller.orgId, listId, at);
    if (cached?.keyId === this.deps.signing.keyId) return cached;
    // A snapshot is exact only from the oldest retained change's predecessor on (older tombstones are pruned).
    if (!cached && at < list.changesFrom - 1) throw new DelistingError('VERSION_EXPIRED', `version ${at} is older than the retained history (from ${list.changesFrom - 1}); take a snapshot`, 'version');
    const digest = cached ? { sha256: cached.snapshotSha256, entryCount: cached.entryCount } : await this.digest(caller, listId, at);
    const manifest = signManifest({ listId, version: at, entryCount: digest.entryCount, snapshotSha256: digest.sha256 }, this.deps.signing, this.deps.clock());
    await this.deps.lists.saveManifest(caller.orgId, manifest);
    return manifest;
  }

  private async digest(caller: ListCaller, listId: string, version: number): Promise<{ sha256: string; entryCount: number }> {
    const hasher = new SnapshotHasher();
    for await (const page of this.deps.lists.entriesAt(caller.orgId, listId, version, this.deps.limits.pageSize)) for (const entry of page) hasher.add(entry);
    return hasher.digest();
  }

  private definition(listId: string): ListDefinition {
    const definition = this.definitions.find((d) => d.listId === listId);
    if (!definition) throw new DelistingError('LIST_NOT_AVAILABLE', 'no such list for this organisation', 'list_id');
    return definition;
  }
}
