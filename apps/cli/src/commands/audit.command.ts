import { MongoConnection } from '@signal-mesh/data-access-mongo';
import { AuditLogRepository } from '@signal-mesh/trust-data-access';
import { type AuditRecord, type ChainVerification, verifyChain } from '@signal-mesh/trust-domain';
import { ConfigError } from '@signal-mesh/util-config';
import { createLogger } from '@signal-mesh/util-logging';
import { Command, InvalidArgumentError } from 'commander';

import { loadAuditConfig } from '../config';
import { type CliIo, printError, printJson } from '../io';

/** The audit log as the CLI needs it: read-only. */
export interface AuditLogReader {
  stream(): AsyncIterable<AuditRecord>;
  tail(n: number): Promise<AuditRecord[]>;
  close(): Promise<void>;
}

export type OpenAuditLog = (io: CliIo) => Promise<AuditLogReader>;

/** Connects to the trust service's database (MONGODB_URI, MONGODB_DATABASE) through util-config. */
export const openAuditLog: OpenAuditLog = async (io) => {
  const config = loadAuditConfig(io.env);
  // The CLI's output is its JSON lines: the connection's own logging stays off.
  const logger = createLogger({ service: 'signal-mesh-cli', level: 'silent' });
  const connection = await MongoConnection.connect({ uri: config.mongo.uri, database: config.mongo.database, appName: 'signal-mesh-cli', logger });
  const repository = new AuditLogRepository(connection, { logger });
  return { stream: () => repository.stream(), tail: (n) => repository.tail(n), close: () => connection.close() };
};

/** One audit record as printed: the stored (hashed) fields, nothing else. Records never carry secrets. */
export function auditRecordJson(record: AuditRecord): Record<string, unknown> {
  return {
    seq: record.seq,
    at: record.at.toISOString(),
    ...(record.actorOrgId !== undefined ? { actorOrgId: record.actorOrgId } : {}),
    ...(record.keyId !== undefined ? { keyId: record.keyId } : {}),
    action: record.action,
    outcome: record.outcome,
    ...(record.subject !== undefined ? { subject: record.subject } : {}),
    ...(record.details !== undefined ? { details: record.details } : {}),
    prevHash: record.prevHash,
    hash: record.hash,
  };
}

function positiveCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('must be an integer from 1 to 10000');
  return n;
}

/** Runs `use` on an open audit log; config and connection failures become coded JSON errors (exit 2). */
async function withAuditLog(io: CliIo, setExitCode: (code: number) => void, open: OpenAuditLog, use: (log: AuditLogReader) => Promise<number>): Promise<void> {
  let log: AuditLogReader;
  try {
    log = await open(io);
  } catch (err) {
    if (err instanceof ConfigError) printError(io, err.code, err.message);
    else printError(io, 'MONGO_UNAVAILABLE', `cannot connect to MongoDB: ${(err as Error).message}`);
    setExitCode(2);
    return;
  }
  try {
    setExitCode(await use(log));
  } catch (err) {
    printError(io, 'AUDIT_READ_FAILED', (err as Error).message);
    setExitCode(2);
  } finally {
    await log.close();
  }
}

export function auditCommand(io: CliIo, setExitCode: (code: number) => void, open: OpenAuditLog = openAuditLog): Command {
  const audit = new Command('audit').description("check and read the trust service's hash-chained audit log (MongoDB: MONGODB_URI, MONGODB_DATABASE)");

  audit
    .command('verify')
    .description('check the whole audit chain in one streaming pass; prints { ok: true, count } or { ok: false, brokenAt, reason }')
    .addHelpText(
      'after',
      '\nEnvironment:\n  MONGODB_URI       the trust service\'s MongoDB (required)\n  MONGODB_DATABASE  its database (default: signalmesh)\n\nExits 0 when the chain is intact, 1 when it is broken (brokenAt is the first bad seq; reason is\nHASH_MISMATCH, PREV_HASH_MISMATCH or SEQ_GAP), 2 when the log could not be read.\nRecords deleted from the end cannot be seen by the chain alone: compare count with an anchor kept elsewhere.',
    )
    .action(async () => {
      await withAuditLog(io, setExitCode, open, async (log) => {
        const result: ChainVerification = await verifyChain(log.stream());
        printJson(io, result);
        return result.ok ? 0 : 1;
      });
    });

  audit
    .command('tail')
    .description('print the newest audit records, oldest first, one JSON object per line')
    .option('-n, --lines <n>', 'how many records', positiveCount, 20)
    .addHelpText('after', '\nEnvironment: MONGODB_URI (required), MONGODB_DATABASE (default: signalmesh).\nRecords never carry keys or secrets (the trust domain refuses them at append).')
    .action(async (options: { lines: number }) => {
      await withAuditLog(io, setExitCode, open, async (log) => {
        for (const record of await log.tail(options.lines)) printJson(io, auditRecordJson(record));
        return 0;
      });
    });

  return audit;
}
