export * from './health.controller';
export * from './metrics.controller';
export * from './nest-logger';
export * from './ops.controller';
export * from './run-service';
export * from './service-app';
export * from './service-lifecycle';
export * from './service-runtime';
