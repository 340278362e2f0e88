export * from './delisting.repository';
export * from './errors';
export * from './keys';
