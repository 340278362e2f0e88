export * from './codec';
export * from './enums';
export * from './event-mapping.error';
export * from './state.mapping';
export * from './submission.mapping';
