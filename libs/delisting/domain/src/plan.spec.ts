import { DelistingDomainError } from './errors';
import { NUDIFY_SERVICES } from './model';
import { type LiveEntry, planChanges } from './plan';
import { contribution, randomSignalId, urlView } from './testing.fixtures';

const t = (minute: number) => new Date(Date.UTC(2025, 5, 1, 12, minute));
const empty = { version: 0, entryCount: 0, live: new Map<string, LiveEntry>() };

describe(planChanges.name, () => {
  it('adds, replaces and removes with dense versions and running counts', () => {
    const a = randomSignalId();
    const b = randomSignalId();
    const changes = planChanges(NUDIFY_SERVICES, empty, [
      { signalId: a, view: urlView({ signalId: a }), at: t(1) },
      { signalId: b, view: urlView({ signalId: b }), at: t(2) },
      { signalId: a, view: urlView({ signalId: a, contributions: [contribution({ categories: ['service.nudify', 'service.nudify.tutorial'] })] }), at: t(3) },
      { signalId: b, at: t(4) },
    ]);
    expect(changes.map((c) => [c.version, c.kind, c.entry.signalId, c.previousAddedVersion, c.entryCountAfter])).toEqual([
      [1, 'ADD', a, undefined, 1],
      [2, 'ADD', b, undefined, 2],
      [3, 'ADD', a, 1, 2],
      [4, 'REMOVE', b, 2, 1],
    ]);
    // A replacement keeps the first-listed time; categories are the new ones.
    expect(changes[2]?.entry.firstListedAt).toEqual(t(1));
    expect(changes[2]?.entry.categories).toEqual(['service.nudify', 'service.nudify.tutorial']);
  });

  it('is idempotent: the same updates against the resulting state change nothing', () => {
    const a = randomSignalId();
    const updates = [{ signalId: a, view: urlView({ signalId: a }), at: t(1) }];
    const [added] = planChanges(NUDIFY_SERVICES, empty, updates);
    if (!added) throw new Error('expected an add');
    const state = { version: 1, entryCount: 1, live: new Map([[a, { entry: added.entry, addedVersion: 1 }]]) };
    expect(planChanges(NUDIFY_SERVICES, state, updates)).toEqual([]);
    // A later emission of the same view (another time) is no change either: the first-listed time is kept.
    expect(planChanges(NUDIFY_SERVICES, state, [{ ...updates[0], at: t(9) } as (typeof updates)[0]])).toEqual([]);
  });

  it('ignores retractions of unlisted signals and views that do not qualify', () => {
    const a = randomSignalId();
    expect(planChanges(NUDIFY_SERVICES, empty, [{ signalId: a, at: t(1) }, { signalId: a, view: urlView({ signalId: a, contributions: [contribution({ marking: 'RED' })] }), at: t(2) }])).toEqual([]);
  });

  it('removes an entry whose view stops qualifying (only RED left)', () => {
    const a = randomSignalId();
    const [added] = planChanges(NUDIFY_SERVICES, empty, [{ signalId: a, view: urlView({ signalId: a }), at: t(1) }]);
    if (!added) throw new Error('expected an add');
    const state = { version: 7, entryCount: 3, live: new Map([[a, { entry: added.entry, addedVersion: 5 }]]) };
    const changes = planChanges(NUDIFY_SERVICES, state, [{ signalId: a, view: urlView({ signalId: a, contributions: [contribution({ marking: 'RED' })] }), at: t(2) }]);
    expect(changes).toEqual([{ version: 8, kind: 'REMOVE', entry: added.entry, previousAddedVersion: 5, entryCountAfter: 2 }]);
  });

  it('refuses signal ids that would break the storage order', () => {
    expect(() => planChanges(NUDIFY_SERVICES, empty, [{ signalId: 'url_short', at: t(1) }])).toThrow(DelistingDomainError);
    const a = randomSignalId();
    expect(() => planChanges(NUDIFY_SERVICES, empty, [{ signalId: a, view: urlView(), at: t(1) }])).toThrow(DelistingDomainError);
  });
});
