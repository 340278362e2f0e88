export * from './connection';
export * from './repository';
