import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { MongoConnection } from '@signal-mesh/data-access-mongo';
import { integrationEnv, testLogger, uniqueName } from '@signal-mesh/testing';
import { AuditLogRepository } from '@signal-mesh/trust-data-access';
import type { AuditEntry } from '@signal-mesh/trust-domain';

// Runs the real `signal-mesh` bin against the test stack's FerretDB, in a database of its own.
const bin = join(__dirname, '..', 'bin', 'signal-mesh.cjs');
const logger = testLogger('cli-audit-int-spec');

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

const lines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

const entry = (i: number): AuditEntry => ({
  at: new Date(Date.UTC(2025, 5, 1, 12, 0, i)),
  actorOrgId: 'org-operator-1',
  keyId: 'abcdefghijkl',
  action: i % 2 === 0 ? 'org.suspend' : 'key.issue',
  outcome: 'CHANGED',
  subject: `org-ngo-${i}`,
  details: { reason: 'policy review', tier: 2 },
});

describe('signal-mesh audit', () => {
  const database = uniqueName('cli-audit');
  let connection: MongoConnection;
  let env: Record<string, string>;

  beforeAll(async () => {
    const { mongoUri } = integrationEnv();
    connection = await MongoConnection.connect({ uri: mongoUri, database, appName: 'cli-audit-int-spec', logger });
    const log = new AuditLogRepository(connection, { logger });
    await log.ensureIndexes();
    for (let i = 1; i <= 6; i++) await log.append(entry(i));
    env = { MONGODB_URI: mongoUri, MONGODB_DATABASE: database };
  });

  afterAll(async () => {
    await connection.db.dropDatabase();
    await connection.close();
  });

  it('verify reports an intact chain with its length', async () => {
    const { code, stdout } = await cli(['audit', 'verify'], env);
    expect(code).toBe(0);
    expect(lines(stdout)).toEqual([{ ok: true, count: 6 }]);
  });

  it('tail prints the last n records, oldest first, with nothing beyond the stored fields', async () => {
    const { code, stdout } = await cli(['audit', 'tail', '-n', '2'], env);
    expect(code).toBe(0);
    const records = lines(stdout);
    expect(records.map((r) => r['seq'])).toEqual([5, 6]);
    expect(records[1]).toMatchObject({ action: 'org.suspend', outcome: 'CHANGED', subject: 'org-ngo-6', at: '2025-06-01T12:00:06.000Z', details: { reason: 'policy review', tier: 2 } });
    expect(Object.keys(records[1] ?? {}).sort()).toEqual(['action', 'actorOrgId', 'at', 'details', 'hash', 'keyId', 'outcome', 'prevHash', 'seq', 'subject']);
  });

  it('verify names the seq of a record tampered with in the collection and exits 1', async () => {
    await connection.db.collection('audit_log').updateOne({ seq: 4 }, { $set: { subject: 'org-someone-else' } });
    const { code, stdout } = await cli(['audit', 'verify'], env);
    expect(code).toBe(1);
    expect(lines(stdout)).toEqual([{ ok: false, brokenAt: 4, reason: 'HASH_MISMATCH' }]);
  });

  it('reports an invalid MONGODB_URI as a coded error, exit 2, without echoing it', async () => {
    const { code, stdout } = await cli(['audit', 'verify'], { MONGODB_URI: 'http://user:hunter2@example.com' });
    expect(code).toBe(2);
    expect(lines(stdout)[0]).toMatchObject({ error: { code: 'CONFIG_INVALID' } });
    expect(stdout).not.toContain('hunter2');
  });

  it('has --help for audit, verify and tail', async () => {
    for (const args of [['audit', '--help'], ['audit', 'verify', '--help'], ['audit', 'tail', '--help']]) {
      const { code, stdout } = await cli(args, env);
      expect(code).toBe(0);
      expect(stdout).toContain('Usage: signal-mesh audit');
    }
  });
});
