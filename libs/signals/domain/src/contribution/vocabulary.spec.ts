import { categoriesFor, CATEGORY_VOCABULARY,categoryDefinition } from './vocabulary';

describe('CATEGORY_VOCABULARY', () => {
  it('is version 2026-11 with the Safety by Design model categories, nudify services and AIG-CSAM prompts', () => {
    expect(CATEGORY_VOCABULARY.version).toBe('2026-11');
    expect(CATEGORY_VOCABULARY.categories.map((c) => [c.id, c.signalType])).toEqual([
      ['model.2a', 'model-hash'],
      ['model.2b', 'model-hash'],
      ['model.2c', 'model-hash'],
      ['service.nudify', 'url'],
      ['service.nudify.tutorial', 'url'],
      ['prompt.aig-csam', 'prompt-pattern'],
    ]);
  });

  it('has unique, lowercase dotted ids, each with a description', () => {
    const ids = CATEGORY_VOCABULARY.categories.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CATEGORY_VOCABULARY.categories) {
      expect(c.id).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)*$/);
      expect(c.description.length).toBeGreaterThan(20);
    }
  });

  it('keeps a dotted child under the same signal type as its parent', () => {
    for (const c of CATEGORY_VOCABULARY.categories) {
      const parent = categoryDefinition(c.id.slice(0, c.id.lastIndexOf('.')));
      if (parent) expect(parent.signalType).toBe(c.signalType);
    }
  });
});

describe(categoryDefinition.name, () => {
  it('finds a category by its exact id', () => {
    expect(categoryDefinition('service.nudify.tutorial')).toMatchObject({ id: 'service.nudify.tutorial', signalType: 'url' });
  });

  it.each(['model.1', 'model', 'MODEL.2C', ' model.2c', 'service.nudifyx', ''])('has no category %j', (id) => {
    expect(categoryDefinition(id)).toBeUndefined();
  });
});

describe(categoriesFor.name, () => {
  it('lists the categories of one signal type', () => {
    expect(categoriesFor('model-hash').map((c) => c.id)).toEqual(['model.2a', 'model.2b', 'model.2c']);
    expect(categoriesFor('url').map((c) => c.id)).toEqual(['service.nudify', 'service.nudify.tutorial']);
    expect(categoriesFor('prompt-pattern').map((c) => c.id)).toEqual(['prompt.aig-csam']);
  });
});
