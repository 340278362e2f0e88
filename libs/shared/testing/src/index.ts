export * from './dead-letters';
export * from './env';
export * from './errors';
export * from './logger';
export * from './service-process';
export * from './test-meter';
export * from './trust-fixture';
export * from './wait';
