export * from './config';
export * from './sections';
