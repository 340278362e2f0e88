// Where the local stack lives and which versions it runs. Everything is per checkout, under .local/.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const LOCAL = process.env.SIGNAL_MESH_LOCAL_DIR ? resolve(process.env.SIGNAL_MESH_LOCAL_DIR) : join(ROOT, '.local');

export const KAFKA_VERSION = '4.3.1';
export const FERRETDB_VERSION = 'v1.24.2';

export const paths = {
  cache: join(LOCAL, 'cache'),
  kafkaLibs: join(LOCAL, 'cache', `kafka-${KAFKA_VERSION}`, 'libs'),
  kafkaPom: join(LOCAL, 'cache', `kafka-${KAFKA_VERSION}`, 'pom.xml'),
  ferretdbBin: join(LOCAL, 'cache', `ferretdb-${FERRETDB_VERSION}`, 'ferretdb'),
  ferretdbSrc: join(LOCAL, 'cache', `ferretdb-${FERRETDB_VERSION}`, 'src'),
  run: join(LOCAL, 'run'),
  state: join(LOCAL, 'run', 'stack.json'),
  logs: join(LOCAL, 'logs'),
  data: (profile) => join(LOCAL, 'data', profile),
};

/** Profiles: `dev` (npm start) keeps its data and uses the well-known ports; `test` starts empty on free ports. */
export const profiles = {
  dev: { ports: { kafka: 9092, controller: 9093, mongo: 27017 }, keepData: true },
  test: { ports: 'auto', keepData: false },
};

export const heap = { kafka: { xms: '256m', xmx: '768m' }, tools: '256m' };
