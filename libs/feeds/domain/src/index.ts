export * from './cursor';
export * from './errors';
export * from './filter';
export * from './partition';
