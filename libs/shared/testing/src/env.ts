import { randomBytes } from 'node:crypto';

export interface IntegrationEnv {
  kafkaBrokers: string[];
  mongoUri: string;
  /** PIDs of the local stack's processes when `npm test` started or reused it (absent for external servers). */
  kafkaPid?: number;
  ferretdbPid?: number;
}

/** The real stack the integration suites talk to, as `npm test` (tools/test.mjs) exports it. */
export function integrationEnv(source: NodeJS.ProcessEnv = process.env): IntegrationEnv {
  const brokers = source['KAFKA_BROKERS'];
  const mongoUri = source['MONGODB_URI'];
  if (!brokers || !mongoUri) {
    throw new Error('KAFKA_BROKERS and MONGODB_URI are not set: run integration tests through `npm test`, which starts the local stack');
  }
  const pid = (name: string) => (source[name] ? Number(source[name]) : undefined);
  return {
    kafkaBrokers: brokers.split(',').map((b) => b.trim()),
    mongoUri,
    kafkaPid: pid('SIGNAL_MESH_KAFKA_PID'),
    ferretdbPid: pid('SIGNAL_MESH_FERRETDB_PID'),
  };
}

/** A short random suffix so each suite's topics, groups and databases are its own. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
