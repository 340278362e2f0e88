export * from './feed-event.mapping';
