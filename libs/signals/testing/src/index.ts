export * from './signal-fixtures';
