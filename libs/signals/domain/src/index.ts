export * from './canonicalize';
export * from './contribution';
export * from './errors';
export * from './identity';
export * from './model-hash';
export * from './prompt-pattern';
export * from './url';
