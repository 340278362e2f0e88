export * from './api-key';
export * from './attempt-limiter';
export * from './errors';
export * from './key-record';
