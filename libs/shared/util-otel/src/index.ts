export * from './server-span';
export * from './telemetry';
