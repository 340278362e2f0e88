import { FeedDomainError } from './errors';
import { EMPTY_FILTER, isEmptyFilter, matchesFilter, normalizeFilter } from './filter';

const TYPES = ['model-hash', 'url', 'prompt-pattern'];
const view = { type: 'url', categories: ['service.nudify.tutorial'], confidence: 70 };

describe('subscription filters', () => {
  it('an empty filter matches everything', () => {
    expect(isEmptyFilter(EMPTY_FILTER)).toBe(true);
    expect(matchesFilter(EMPTY_FILTER, view)).toBe(true);
  });

  it('narrows by type, category prefix and minimum confidence, all of them at once', () => {
    expect(matchesFilter({ ...EMPTY_FILTER, types: ['url'] }, view)).toBe(true);
    expect(matchesFilter({ ...EMPTY_FILTER, types: ['model-hash'] }, view)).toBe(false);
    expect(matchesFilter({ ...EMPTY_FILTER, categories: ['service.nudify'] }, view)).toBe(true);
    expect(matchesFilter({ ...EMPTY_FILTER, categories: ['service.nudify.tutorial'] }, view)).toBe(true);
    // A prefix of the word is not a parent category.
    expect(matchesFilter({ ...EMPTY_FILTER, categories: ['service.nud'] }, view)).toBe(false);
    expect(matchesFilter({ ...EMPTY_FILTER, categories: ['model.2c'] }, view)).toBe(false);
    expect(matchesFilter({ ...EMPTY_FILTER, minConfidence: 70 }, view)).toBe(true);
    expect(matchesFilter({ ...EMPTY_FILTER, minConfidence: 71 }, view)).toBe(false);
    expect(matchesFilter({ types: ['url'], categories: ['service.nudify'], minConfidence: 80 }, view)).toBe(false);
  });

  it('normalises to a canonical form', () => {
    expect(normalizeFilter({ types: ['url', 'model-hash', 'url'], categories: ['b.c', 'a'], minConfidence: 5 }, TYPES)).toEqual({ types: ['model-hash', 'url'], categories: ['a', 'b.c'], minConfidence: 5 });
  });

  it.each([
    ['an unknown type', { ...EMPTY_FILTER, types: ['image'] }, 'filter.types'],
    ['a malformed category', { ...EMPTY_FILTER, categories: ['Service Nudify'] }, 'filter.categories'],
    ['too many categories', { ...EMPTY_FILTER, categories: Array.from({ length: 65 }, (_, i) => `c${i}`) }, 'filter.categories'],
    ['a confidence above 100', { ...EMPTY_FILTER, minConfidence: 101 }, 'filter.min_confidence'],
    ['a fractional confidence', { ...EMPTY_FILTER, minConfidence: 1.5 }, 'filter.min_confidence'],
  ])('refuses %s with INVALID_FILTER naming the field', (_, filter, field) => {
    expect(() => normalizeFilter(filter, TYPES)).toThrow(FeedDomainError);
    expect(() => normalizeFilter(filter, TYPES)).toThrow(expect.objectContaining({ code: 'INVALID_FILTER', field }));
  });
});
