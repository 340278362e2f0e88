export * from './admin';
export * from './consumer';
export * from './errors';
export * from './headers';
export * from './kafka';
export * from './partition-tail';
export * from './producer';
export * from './topic-reader';
export type { Kafka } from 'kafkajs';
