export * from './fanout-state.repository';
export * from './subscription.repository';
