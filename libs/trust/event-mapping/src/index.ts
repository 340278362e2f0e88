export * from './entitlements.mapping';
export * from './enums';
export * from './signal-state.mapping';
export * from './trust-change.mapping';
export * from './trust-event-mapping.error';
export * from './view.mapping';
