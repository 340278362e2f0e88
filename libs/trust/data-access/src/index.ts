export * from './api-key.repository';
export * from './audit-log.repository';
export * from './entitlements.repository';
export * from './organisation.repository';
export * from './sharing-group.repository';
export * from './trust-repositories';
