export * from './errors';
export * from './trust-client';
export { TtlCache } from './ttl-cache';
