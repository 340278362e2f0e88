export * from './contribution-id';
export * from './merge';
export * from './model';
export * from './validate-contribution';
export * from './vocabulary';
