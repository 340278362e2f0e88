export * from './canonical';
export * from './derive';
export * from './errors';
export * from './formats';
export * from './local-list';
export * from './manifest';
export * from './model';
export * from './plan';
