export * from './trust-follower';
