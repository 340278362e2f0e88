import type { SignalType } from '../identity';

/** One category of the controlled vocabulary; each applies to exactly one signal type. */
export interface CategoryDefinition {
  /** Dotted, lowercase; a dotted child refines its parent (`service.nudify.tutorial` under `service.nudify`). */
  readonly id: string;
  readonly signalType: SignalType;
  readonly description: string;
}

export interface CategoryVocabulary {
  /** `YYYY-MM`. Add-only within a version; renaming or removing a category makes a new version (docs/categories.md). */
  readonly version: string;
  readonly categories: readonly CategoryDefinition[];
}

/** The controlled category vocabulary. Model categories follow Safety by Design (Thorn / All Tech Is Human). */
export const CATEGORY_VOCABULARY: CategoryVocabulary = {
  version: '2026-11',
  categories: [
    {
      id: 'model.2a',
      signalType: 'model-hash',
      description: 'Model capable of generating AIG-CSAM when explicitly prompted (Safety by Design 2a): needs mitigation.',
    },
    {
      id: 'model.2b',
      signalType: 'model-hash',
      description: 'Model capable of generating AIG-CSAM inadvertently, without being asked to (Safety by Design 2b): needs mitigation.',
    },
    {
      id: 'model.2c',
      signalType: 'model-hash',
      description: 'Model optimised specifically for generating AIG-CSAM (Safety by Design 2c): should be removed everywhere.',
    },
    {
      id: 'service.nudify',
      signalType: 'url',
      description: 'A "nudify" service: a site, app or bot that generates sexualised or undressed images of real people, or a mirror of one.',
    },
    {
      id: 'service.nudify.tutorial',
      signalType: 'url',
      description: 'A page that teaches how to use, reach or build a nudify service.',
    },
    {
      id: 'prompt.aig-csam',
      signalType: 'prompt-pattern',
      description: 'A keyword phrase or regular expression that catches prompts meant to produce AIG-CSAM.',
    },
  ],
};

const BY_ID: ReadonlyMap<string, CategoryDefinition> = new Map(CATEGORY_VOCABULARY.categories.map((c) => [c.id, c]));

/** The definition of a category id (exact spelling), or undefined when the vocabulary does not have it. */
export function categoryDefinition(id: string): CategoryDefinition | undefined {
  return BY_ID.get(id);
}

/** The categories that apply to a signal type, in vocabulary order. */
export function categoriesFor(signalType: SignalType): readonly CategoryDefinition[] {
  return CATEGORY_VOCABULARY.categories.filter((c) => c.signalType === signalType);
}
