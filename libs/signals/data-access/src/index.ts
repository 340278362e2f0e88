export * from './signal.document';
export * from './signal.repository';
