#!/usr/bin/env node
// npm start: provision what is missing, start Kafka + FerretDB (the `dev` profile: well-known ports, data kept in
// .local/data/dev), build and start every service under apps/ that declares `signalMesh.service` in its
// package.json, wait until each is ready, print the endpoints, and stop everything on Ctrl-C.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { meshEnv, run } from './run-env.mjs';
import { paths, ROOT } from './stack/config.mjs';
import { sleep, waitFor } from './stack/processes.mjs';
import { start, stop } from './stack/stack.mjs';

const log = (msg) => console.log(`[start] ${msg}`);

function discoverServices() {
  const appsDir = join(ROOT, 'apps');
  if (!existsSync(appsDir)) return [];
  return readdirSync(appsDir)
    .map((name) => ({ name, pkgFile: join(appsDir, name, 'package.json') }))
    .filter(({ pkgFile }) => existsSync(pkgFile))
    .map(({ name, pkgFile }) => ({ name, pkg: JSON.parse(readFileSync(pkgFile, 'utf8')) }))
    .filter(({ pkg }) => pkg.signalMesh?.service)
    .map(({ name, pkg }) => ({ name, project: pkg.name, ...pkg.signalMesh.service }))
    .sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
}

const children = [];
let stackStarted = false;
let shuttingDown = false;

async function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  log('stopping…');
  // Reverse start order: consumers and front doors first, the services they call last.
  for (const child of [...children].reverse()) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
  const deadline = Date.now() + 20_000;
  while (children.some((c) => c.exitCode === null && c.signalCode === null) && Date.now() < deadline) await sleep(100);
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (stackStarted) await stop();
  process.exit(code);
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

try {
  const t0 = Date.now();
  const services = discoverServices();
  const stackPromise = start('dev');
  if (services.length > 0) {
    const code = await run('nx', ['run-many', '-t', 'build', '-p', ...services.map((s) => s.project), '--output-style=dynamic-legacy'], meshEnv({ kafka: {}, mongo: {} }));
    if (code !== 0) throw new Error('build failed');
  }
  const { state, started } = await stackPromise;
  stackStarted = started;
  const env = meshEnv(state, { LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' });
  mkdirSync(paths.logs, { recursive: true });

  for (const service of services) {
    const logFile = join(paths.logs, `dev-${service.name}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(process.execPath, [join(ROOT, 'apps', service.name, 'dist', 'main.js')], {
      cwd: ROOT,
      env: { ...env, SERVICE_NAME: service.name, GRPC_PORT: String(service.grpcPort ?? 0), HTTP_PORT: String(service.httpPort ?? 0), ...(service.env ?? {}) },
      stdio: ['ignore', fd, fd],
    });
    children.push(child);
    child.on('exit', (code, signal) => {
      if (!shuttingDown) {
        log(`${service.name} exited (${code ?? signal}); see ${logFile}`);
        shutdown(1);
      }
    });
    await waitFor(`${service.name} readiness`, async () => (await fetch(`http://127.0.0.1:${service.httpPort}/readyz`)).ok, { timeoutMs: 60_000 });
  }

  console.log('');
  console.log('Signal Mesh is up:');
  console.log(`  Kafka      ${state.kafka.brokers}`);
  console.log(`  MongoDB    ${state.mongo.uri}`);
  for (const s of services) {
    console.log(`  ${s.name.padEnd(10)} gRPC 127.0.0.1:${s.grpcPort}  HTTP http://127.0.0.1:${s.httpPort}  (log .local/logs/dev-${s.name}.log)`);
  }
  if (services.length === 0) console.log('  (no services yet: apps/ has none that declare signalMesh.service)');
  for (const s of services) if (s.hint) console.log(`  ${s.hint}`);
  console.log(`Ready in ${((Date.now() - t0) / 1000).toFixed(1)}s. Ctrl-C stops everything.`);
  // Stay in the foreground until Ctrl-C, also when no service process holds the event loop open.
  setInterval(() => {}, 60_000);
} catch (err) {
  console.error(`[start] ${err.message}`);
  await shutdown(1);
}
