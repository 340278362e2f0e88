export * from './env';
export * from './errors';
export * from './logger';
export * from './wait';
