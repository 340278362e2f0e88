export * from './audit-record';
export * from './errors';
export * from './verify-chain';
