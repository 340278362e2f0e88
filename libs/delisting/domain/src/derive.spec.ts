import { deriveEntry } from './derive';
import { NUDIFY_SERVICES } from './model';
import { contribution, entry, urlView } from './testing.fixtures';

const at = new Date('2025-06-01T12:00:00.000Z');

describe(deriveEntry.name, () => {
  it('lists a URL view in a covered category, with every field from the view', () => {
    const view = urlView({ canonical: 'https://app.nudify.test/', url: { matchScope: 'DOMAIN', registrableDomain: 'nudify.test' } });
    expect(deriveEntry(NUDIFY_SERVICES, view, at)).toEqual({
      signalId: view.signalId,
      canonicalUrl: 'https://app.nudify.test/',
      matchScope: 'DOMAIN',
      registrableDomain: 'nudify.test',
      categories: ['service.nudify'],
      firstListedAt: at,
    });
  });

  it('covers dotted sub-categories, not look-alike prefixes', () => {
    expect(deriveEntry(NUDIFY_SERVICES, urlView({ contributions: [contribution({ categories: ['service.nudify.tutorial'] })] }), at)?.categories).toEqual(['service.nudify.tutorial']);
    expect(deriveEntry(NUDIFY_SERVICES, urlView({ contributions: [contribution({ categories: ['service.nudifyx'] })] }), at)).toBeUndefined();
    expect(deriveEntry(NUDIFY_SERVICES, urlView({ contributions: [contribution({ categories: ['model.2c'] })] }), at)).toBeUndefined();
  });

  it('strips RED contributions and recomputes categories from the rest', () => {
    const view = urlView({
      contributions: [contribution({ categories: ['service.nudify'] }), contribution({ marking: 'RED', categories: ['service.nudify.secret-red-only'] })],
    });
    expect(deriveEntry(NUDIFY_SERVICES, view, at)?.categories).toEqual(['service.nudify']);
  });

  it('does not list a view whose only covered or positive contributions are RED, unknown-marked or revoked', () => {
    expect(deriveEntry(NUDIFY_SERVICES, urlView({ contributions: [contribution({ marking: 'RED' })] }), at)).toBeUndefined();
    expect(deriveEntry(NUDIFY_SERVICES, urlView({ contributions: [contribution({ marking: 'UNKNOWN' })] }), at)).toBeUndefined();
    expect(deriveEntry(NUDIFY_SERVICES, urlView({ contributions: [contribution({ revoked: true })] }), at)).toBeUndefined();
    // The nudify category only comes from a RED contribution: the shareable rest does not put it on the list.
    const redCategory = urlView({ contributions: [contribution({ marking: 'RED' }), contribution({ marking: 'CLEAR', categories: ['service.other'] })] });
    expect(deriveEntry(NUDIFY_SERVICES, redCategory, at)).toBeUndefined();
    // A shareable dispute alone does not list a URL that only a RED contribution calls nudify.
    const disputeOnly = urlView({ contributions: [contribution({ marking: 'RED' }), contribution({ opinion: 'NEGATIVE' })] });
    expect(deriveEntry(NUDIFY_SERVICES, disputeOnly, at)).toBeUndefined();
  });

  it('lists AMBER and AMBER_STRICT contributions the organisation may see (the fan-out already applied the policy)', () => {
    for (const marking of ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT'] as const) {
      expect(deriveEntry(NUDIFY_SERVICES, urlView({ contributions: [contribution({ marking })] }), at)).toBeDefined();
    }
  });

  it('never lists other signal types, or a URL view without URL details', () => {
    expect(deriveEntry(NUDIFY_SERVICES, urlView({ type: 'prompt-pattern', url: undefined }), at)).toBeUndefined();
    expect(deriveEntry(NUDIFY_SERVICES, urlView({ type: 'model-hash' }), at)).toBeUndefined();
    expect(deriveEntry(NUDIFY_SERVICES, urlView({ url: undefined }), at)).toBeUndefined();
  });

  it('keeps the first-listed time of the previous entry', () => {
    const previous = entry({ firstListedAt: new Date('2020-01-01T00:00:00.000Z') });
    expect(deriveEntry(NUDIFY_SERVICES, urlView({ signalId: previous.signalId }), at, previous)?.firstListedAt).toEqual(previous.firstListedAt);
  });
});
