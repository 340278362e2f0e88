import type { Logger } from '@signal-mesh/util-logging';
import { type Db, MongoClient } from 'mongodb';

export interface MongoConnectionOptions {
  uri: string;
  database: string;
  appName: string;
  logger: Logger;
}

/**
 * One MongoClient per process. Works against MongoDB (replica set, production) and FerretDB (local and tests): the
 * code uses the common subset only — no transactions, change streams, TTL or partial indexes, `$lookup`.
 */
export class MongoConnection {
  private constructor(
    private readonly client: MongoClient,
    readonly db: Db,
    private readonly logger: Logger,
  ) {}

  static async connect({ uri, database, appName, logger }: MongoConnectionOptions): Promise<MongoConnection> {
    const client = new MongoClient(uri, { appName, serverSelectionTimeoutMS: 10_000, retryWrites: true, writeConcern: { w: 'majority', j: true } });
    await client.connect();
    return new MongoConnection(client, client.db(database), logger.child({ component: 'mongo', database }));
  }

  /** Readiness: true when the server answers a ping. */
  async ping(): Promise<boolean> {
    try {
      const res = await this.db.command({ ping: 1 });
      return res['ok'] === 1;
    } catch (err) {
      this.logger.warn({ err }, 'ping failed');
      return false;
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
