import { categoryCovers, rulesGrant } from './entitlements';

describe(categoryCovers.name, () => {
  it.each([
    ['service.nudify', 'service.nudify', true],
    ['service.nudify', 'service.nudify.tutorial', true],
    ['service.nudify', 'service.nudify.tutorial.mirror', true],
    ['service.nudify', 'service.nudifyx', false],
    ['service.nudify', 'service', false],
    ['service.nudify', 'Service.Nudify', false],
    ['model', 'model.2c', true],
  ] as const)('%s covers %s → %s', (granted, category, covers) => {
    expect(categoryCovers(granted, category)).toBe(covers);
  });
});

describe(rulesGrant.name, () => {
  const rules = [
    { signalType: 'url' as const, categories: ['service.nudify'] },
    { signalType: 'url' as const, categories: ['service.mirror'] },
    { signalType: 'model-hash' as const, categories: [] },
  ];

  it('needs every category covered, possibly by different rules of the type', () => {
    expect(rulesGrant(rules, 'url', ['service.nudify.tutorial', 'service.mirror'])).toBe(true);
    expect(rulesGrant(rules, 'url', ['service.nudify', 'model.2c'])).toBe(false);
  });

  it('grants an uncategorised signal only through a whole-type rule', () => {
    expect(rulesGrant(rules, 'url', [])).toBe(false);
    expect(rulesGrant(rules, 'model-hash', [])).toBe(true);
    expect(rulesGrant(rules, 'model-hash', ['model.2c'])).toBe(true);
  });

  it('never lets a rule of one type grant another', () => {
    expect(rulesGrant(rules, 'prompt-pattern', [])).toBe(false);
    expect(rulesGrant([{ signalType: 'url', categories: [] }], 'prompt-pattern', ['service.nudify'])).toBe(false);
  });
});
