// Where the local stack lives and which versions it runs. Everything is per checkout, under .local/.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const LOCAL = process.env.SIGNAL_MESH_LOCAL_DIR ? resolve(process.env.SIGNAL_MESH_LOCAL_DIR) : join(ROOT, '.local');

export const KAFKA_VERSION = '4.3.1';
export const FERRETDB_VERSION = 'v1.24.2';
/**
 * Applied to the FerretDB sources before building (see the patch's comments and docs/local-stack.md): `_id` lookups
 * use the `_id` index, `_id` / `$in` conditions are pushed down next to other filter fields, and an update command
 * releases each statement's SQLite connection at once. Without it every versioned replace and `$in` read scans the
 * whole collection and a 100-statement update hangs the server. Its digest is part of the cache key.
 */
export const FERRETDB_PATCH = join(ROOT, 'tools', 'stack', `ferretdb-${FERRETDB_VERSION}.patch`);
const ferretdbBuild = `ferretdb-${FERRETDB_VERSION}-${createHash('sha256').update(readFileSync(FERRETDB_PATCH)).digest('hex').slice(0, 8)}`;

export const paths = {
  cache: join(LOCAL, 'cache'),
  kafkaLibs: join(LOCAL, 'cache', `kafka-${KAFKA_VERSION}`, 'libs'),
  kafkaPom: join(LOCAL, 'cache', `kafka-${KAFKA_VERSION}`, 'pom.xml'),
  ferretdbBin: join(LOCAL, 'cache', ferretdbBuild, 'ferretdb'),
  ferretdbSrc: join(LOCAL, 'cache', ferretdbBuild, 'src'),
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
