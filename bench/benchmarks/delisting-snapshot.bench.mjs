// GET /v1/lists/{listId}/snapshot (NDJSON, no gzip) of an N-entry delisting list, relative to the same bytes
// streamed from a file on disk over the same HTTP stack; plus the service's peak RSS.
//   baseline: a minimal NestJS app on Express (the delisting service's framework and adapter), in its own child
//             process like the service, whose one route pipes a file holding exactly the snapshot's bytes to the
//             response with the same headers, read by the same client code;
//   measured: the BUILT delisting service (child process) streaming one SEARCH_ENGINE organisation's list of N entries
//             from MongoDB (FerretDB here) page by page, authenticated and authorised by the real trust service.
// Peak RSS: VmHWM of the delisting process (/proc/<pid>/status) after the snapshots, against the 300 MB goal.
// Goals (issue 8): throughput ratio >= 0.5 and peak RSS <= 300 MB at N = 1,000,000. The entries are written through
// @signal-mesh/delisting-data-access directly (DelistingRepository.applyChanges, 5,000 ADDs per call), not through the
// feed topic: the consumer path on FerretDB costs the same upserts plus Kafka. Default N is BENCH_DELISTING_ENTRIES =
// 10,000: on FerretDB both the load (~200 entries/s, three upserts per entry) and the paged read (each page's query
// scans the collection, so a snapshot is quadratic in N) make 1M impossible here; see bench/README.md.
// Synthetic data only: *.nudify.example.test hosts.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { ApiKeyScope, OrganisationKind, Topics } = require('@signal-mesh/contracts');
const { MongoConnection } = require('@signal-mesh/data-access-mongo');
const { DelistingRepository } = require('@signal-mesh/delisting-data-access');
const { startServiceProcess, startTrustFixture } = require('@signal-mesh/testing');
const { createKafka, ensureTopics } = require('@signal-mesh/transport-kafka');
const { createLogger } = require('@signal-mesh/util-logging');

const COUNT = Number(process.env.BENCH_DELISTING_ENTRIES ?? 10_000);
const RUNS = 2;
export const LIST = 'nudify-services';
const LOAD_BATCH = 5_000;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const signalIdOf = (n) => `url_${n.toString(16).padStart(32, '0')}`;

/** The n-th synthetic entry. */
export function entryOf(n, at, overrides = {}) {
  return { signalId: signalIdOf(n), canonicalUrl: `https://app-${n}.nudify.example.test/`, matchScope: 'HOST', registrableDomain: 'example.test', categories: ['service.nudify'], firstListedAt: at, ...overrides };
}

/**
 * A trust fixture, a SEARCH_ENGINE organisation, `count` entries in its list (versions 1..count) and the built delisting
 * service on that database. `close()` stops and drops everything.
 */
export async function delistingFixture(ctx, count, suitePrefix) {
  const logger = createLogger({ service: suitePrefix, level: 'warn' });
  const suite = `${suitePrefix}-${randomBytes(3).toString('hex')}`;
  const database = suite.replace(/-/g, '_');
  const kafka = createKafka({ brokers: ctx.brokers.split(','), clientId: suite, logger });
  const topics = { feed: `bench.${suite}.${Topics.feeds.name}`, trust: `bench.${suite}.${Topics.trustChanges.name}` };
  await ensureTopics(kafka, [
    { ...Topics.feeds, name: topics.feed },
    { ...Topics.trustChanges, name: topics.trust },
  ]);
  const trust = await startTrustFixture({ kafkaBrokers: ctx.brokers.split(','), mongoUri: ctx.mongoUri }, { LOG_LEVEL: 'warn', TRUST_CHANGES_TOPIC: topics.trust });
  const mongo = await MongoConnection.connect({ uri: ctx.mongoUri, database, appName: suite, logger });
  const dir = mkdtempSync(join(tmpdir(), `${suitePrefix}-`));
  let service;
  const close = async () => {
    await service?.stop();
    await trust.close();
    await mongo.db.dropDatabase().catch(() => undefined);
    await mongo.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const org = await trust.createOrg({ kind: OrganisationKind.ORGANISATION_KIND_SEARCH_ENGINE, scopes: [ApiKeyScope.API_KEY_SCOPE_SUBSCRIBE] });
    const repository = await DelistingRepository.create(mongo, logger);
    const at = new Date();
    const t0 = performance.now();
    for (let n = 0; n < count; n += LOAD_BATCH) {
      const changes = [];
      for (let i = n; i < Math.min(count, n + LOAD_BATCH); i++) changes.push({ version: i + 1, kind: 'ADD', entryCountAfter: i + 1, entry: entryOf(i, at) });
      await repository.applyChanges(org.orgId, LIST, changes, at);
    }
    ctx.log(`loaded ${count.toLocaleString('en-US')} entries in ${((performance.now() - t0) / 1000).toFixed(1)} s (DelistingRepository, FerretDB)`);
    service = await startServiceProcess(
      'delisting',
      {
        KAFKA_BROKERS: ctx.brokers,
        MONGODB_URI: ctx.mongoUri,
        MONGODB_DATABASE: database,
        LOG_LEVEL: 'warn',
        DELISTING_TRUST_ADDRESS: trust.address,
        DELISTING_FEED_TOPIC: topics.feed,
        DELISTING_TRUST_TOPIC: topics.trust,
        DELISTING_GROUP_ID: suite,
        DELISTING_SIGNING_KEY_FILE: join(dir, 'signing.pem'),
        // The benchmark's versions must stay in the change log (the delta benchmark reads them).
        DELISTING_CHANGE_RETENTION_VERSIONS: String(count * 2 + 100),
      },
      { readyTimeoutMs: 90_000 },
    );
    return { org, repository, service, at, dir, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** One GET, body counted and discarded (or kept); resolves with status, headers, bytes and seconds. */
export function timedGet(url, headers = {}, keep = false) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    request(url, { headers }, (res) => {
      let bytes = 0;
      const chunks = [];
      res.on('data', (chunk) => {
        bytes += chunk.length;
        if (keep) chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, bytes, seconds: (performance.now() - t0) / 1000, body: keep ? Buffer.concat(chunks) : undefined }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/** Peak resident set size (VmHWM) of a process, in MB. */
export function peakRssMb(pid) {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmHWM for process ${pid}`);
  return Number(match[1]) / 1024;
}

// The baseline: NestJS on Express, as apps/delisting (NestFactory.create without an adapter), one streaming route.
const FILE_SERVER = `
require('reflect-metadata');
const { createReadStream } = require('node:fs');
const { pipeline } = require('node:stream/promises');
const { Controller, Get, Module, Res } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const file = process.env.BENCH_FILE;
class FileController {
  async snapshot(res) {
    res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache');
    res.statusCode = 200;
    await pipeline(createReadStream(file), res);
  }
}
Res()(FileController.prototype, 'snapshot', 0);
Get('snapshot')(FileController.prototype, 'snapshot', Object.getOwnPropertyDescriptor(FileController.prototype, 'snapshot'));
Controller()(FileController);
class AppModule {}
Module({ controllers: [FileController] })(AppModule);
NestFactory.create(AppModule, { logger: false, bodyParser: false }).then(async (app) => {
  await app.listen(0, '127.0.0.1');
  process.stdout.write(String(app.getHttpServer().address().port) + '\\n');
});
`;

async function fileServer(dir, file) {
  const script = join(dir, 'file-server.cjs');
  writeFileSync(script, FILE_SERVER);
  const child = spawn(process.execPath, [script], { cwd: ROOT, env: { ...process.env, BENCH_FILE: file, NODE_PATH: join(ROOT, 'node_modules') }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', (code) => reject(new Error(`file server exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}/snapshot`, pid: child.pid, close: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill('SIGTERM')))) };
}

export default {
  name: 'delisting-snapshot',
  description: `GET snapshot (NDJSON) of a ${COUNT.toLocaleString('en-US')}-entry delisting list vs the same bytes from a file over NestJS/Express; delisting peak RSS`,
  async run(ctx) {
    const fixture = await delistingFixture(ctx, COUNT, 'bench-delist-snap');
    let files;
    try {
      const url = `${fixture.service.httpUrl}/v1/lists/${LIST}/snapshot?format=ndjson`;
      const headers = { 'x-api-key': fixture.org.key };
      // The first run keeps the body: the baseline serves exactly these bytes.
      const first = await timedGet(url, headers, true);
      if (first.status !== 200 || first.headers['content-encoding']) throw new Error(`snapshot answered ${first.status} ${first.headers['content-encoding'] ?? ''}`);
      const lines = first.body.toString('utf8').split('\n').length - 1;
      if (lines !== COUNT || first.headers['etag'] !== `"${COUNT}"`) throw new Error(`snapshot has ${lines} lines at ${first.headers['etag']}, expected ${COUNT} at "${COUNT}"`);
      let best = first.seconds;
      for (let r = 1; r < RUNS; r++) best = Math.min(best, (await timedGet(url, headers)).seconds);
      const bytes = first.bytes;
      const value = bytes / best;
      const rssMb = peakRssMb(fixture.service.child.pid);

      const file = join(fixture.dir, 'snapshot.ndjson');
      writeFileSync(file, first.body);
      files = await fileServer(fixture.dir, file);
      let baseBest = Infinity;
      for (let r = 0; r < RUNS; r++) {
        const res = await timedGet(files.url);
        if (res.bytes !== bytes) throw new Error(`file server sent ${res.bytes} bytes, expected ${bytes}`);
        baseBest = Math.min(baseBest, res.seconds);
      }
      const baseline = bytes / baseBest;
      const fileRss = peakRssMb(files.pid);
      ctx.log(`snapshot ${(bytes / 2 ** 20).toFixed(1)} MiB in ${best.toFixed(2)} s (${Math.round(COUNT / best).toLocaleString('en-US')} entries/s); file over NestJS/Express ${baseBest.toFixed(3)} s; peak RSS delisting ${rssMb.toFixed(0)} MB, file server ${fileRss.toFixed(0)} MB`);
      return [
        { figure: `Snapshot of ${COUNT.toLocaleString('en-US')} entries (NDJSON)`, unit: 'bytes/s', value, baseline, baselineName: 'the same bytes from a file, NestJS/Express (goal ratio >= 0.5)' },
        { figure: `delisting peak RSS (VmHWM), ${COUNT.toLocaleString('en-US')} entries`, unit: 'MB', value: rssMb, baseline: 300, baselineName: 'goal: at most 300 MB (ratio <= 1)' },
      ];
    } finally {
      await files?.close();
      await fixture.close();
    }
  },
};
