import { deriveEntry, type ListableView } from './derive';
import { DelistingDomainError } from './errors';
import { assertUrlSignalId, assertVersion, type DelistEntry, entriesEqual, type ListDefinition } from './model';

export type ChangeKind = 'ADD' | 'REMOVE';

/** One change of a list's log: ADD (new or replaced entry) or REMOVE. */
export interface DelistChange {
  /** The list version this change produced. */
  readonly version: number;
  readonly kind: ChangeKind;
  /** The full entry for ADD; the removed entry for REMOVE. */
  readonly entry: DelistEntry;
}

/** The entry of a signal currently on the list, with the version that added it. */
export interface LiveEntry {
  readonly entry: DelistEntry;
  readonly addedVersion: number;
}

/** A change with what storage needs to apply it alone (crash repair replays these). */
export interface PlannedChange extends DelistChange {
  /** The version that added the live entry this change replaces or removes; undefined for a first add. */
  readonly previousAddedVersion?: number;
  /** Entries on the list after this change. */
  readonly entryCountAfter: number;
}

/** What happened to one signal of one organisation: its new view, or a retraction (no view). */
export interface ViewUpdate {
  readonly signalId: string;
  /** undefined: the organisation no longer sees the signal (RETRACT). */
  readonly view?: ListableView;
  /** When the change was emitted: the first-listed time of a new entry (deterministic on reprocessing). */
  readonly at: Date;
}

export interface ListState {
  readonly version: number;
  readonly entryCount: number;
  /** The live entries of (at least) every signal the updates touch. */
  readonly live: ReadonlyMap<string, LiveEntry>;
}

/**
 * The changes a sequence of view updates makes to one list, in order, with dense versions after `state.version`.
 * An update whose result equals the live entry changes nothing, so reprocessing the same updates yields no change.
 * Pure: `state.live` is not modified.
 */
export function planChanges(list: ListDefinition, state: ListState, updates: readonly ViewUpdate[]): PlannedChange[] {
  assertVersion(state.version);
  const live = new Map(state.live);
  let version = state.version;
  let count = state.entryCount;
  const changes: PlannedChange[] = [];
  for (const update of updates) {
    assertUrlSignalId(update.signalId);
    if (update.view && update.view.signalId !== update.signalId) throw new DelistingDomainError('INVALID_ENTRY', 'the view is of another signal than the update');
    const current = live.get(update.signalId);
    const next = update.view ? deriveEntry(list, update.view, update.at, current?.entry) : undefined;
    if (entriesEqual(current?.entry, next)) continue;
    version += 1;
    const previousAddedVersion = current?.addedVersion;
    if (next) {
      if (!current) count += 1;
      live.set(update.signalId, { entry: next, addedVersion: version });
      changes.push({ version, kind: 'ADD', entry: next, ...(previousAddedVersion === undefined ? {} : { previousAddedVersion }), entryCountAfter: count });
    } else if (current) {
      count -= 1;
      live.delete(update.signalId);
      changes.push({ version, kind: 'REMOVE', entry: current.entry, previousAddedVersion: current.addedVersion, entryCountAfter: count });
    }
  }
  return changes;
}
