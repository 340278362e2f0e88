// The local stack: one Kafka broker+controller (KRaft) and one FerretDB (SQLite), started as background
// processes whose PIDs and ports are recorded in .local/run/stack.json. KAFKA_BROKERS / MONGODB_URI in the
// environment point everything at external servers instead, and then nothing is started for that part.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';

import { heap, KAFKA_VERSION, LOCAL, paths, profiles, ROOT } from './config.mjs';
import { freePort, isOurs, portIsFree, spawnDetached, stopPid, waitFor } from './processes.mjs';
import { provision } from './provision.mjs';

const log = (msg) => console.log(`[stack] ${msg}`);
const KAFKA_MARKER = 'kafka.Kafka';
const FERRET_MARKER = 'ferretdb';

export function readState() {
  if (!existsSync(paths.state)) return undefined;
  try {
    return JSON.parse(readFileSync(paths.state, 'utf8'));
  } catch {
    return undefined;
  }
}

function writeState(state) {
  mkdirSync(paths.run, { recursive: true });
  writeFileSync(paths.state, `${JSON.stringify(state, null, 2)}\n`);
}

/** Is the recorded stack (or the external one) still up? */
export function isRunning(state = readState()) {
  if (!state) return false;
  const kafkaUp = state.kafka.external || isOurs(state.kafka.pid, KAFKA_MARKER);
  const mongoUp = state.mongo.external || isOurs(state.mongo.pid, FERRET_MARKER);
  return kafkaUp && mongoUp;
}

export function stackEnv(state) {
  return { KAFKA_BROKERS: state.kafka.brokers, MONGODB_URI: state.mongo.uri };
}

async function choosePorts(profile) {
  const wanted = profiles[profile].ports;
  if (wanted === 'auto') return { kafka: await freePort(), controller: await freePort(), mongo: await freePort() };
  for (const [name, port] of Object.entries(wanted)) {
    if (!(await portIsFree(port))) {
      throw new Error(`port ${port} (${name}) is in use on 127.0.0.1: stop what holds it, or set KAFKA_BROKERS/MONGODB_URI`);
    }
  }
  return wanted;
}

function kafkaServerProperties({ ports, logDir }) {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${ports.controller}`,
    `listeners=PLAINTEXT://127.0.0.1:${ports.kafka},CONTROLLER://127.0.0.1:${ports.controller}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${ports.kafka}`,
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${logDir}`,
    // A single node: every internal topic must have replication factor 1 or consumer groups never form.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // Topics are created explicitly (tools/stack/topics.mjs), never by a typo in a consumer.
    'auto.create.topics.enable=false',
    'num.network.threads=2',
    'num.io.threads=2',
    'num.partitions=1',
    '',
  ].join('\n');
}

const log4j2 = `status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = OUT
logger.kafka.name = kafka
logger.kafka.level = warn
logger.apache.name = org.apache.kafka
logger.apache.level = warn
logger.controller.name = kafka.controller
logger.controller.level = warn
logger.server.name = kafka.server.KafkaServer
logger.server.level = info
`;

async function startKafka(profile, ports) {
  const base = join(paths.data(profile), 'kafka');
  const logDir = join(base, 'log');
  const configDir = join(base, 'config');
  mkdirSync(logDir, { recursive: true });
  mkdirSync(configDir, { recursive: true });
  const props = join(configDir, 'server.properties');
  writeFileSync(props, kafkaServerProperties({ ports, logDir }));
  writeFileSync(join(configDir, 'log4j2.properties'), log4j2);
  const classpath = `${paths.kafkaLibs}/*`;
  const jvmCommon = [`-Dlog4j2.configurationFile=${join(configDir, 'log4j2.properties')}`, `-Dkafka.logs.dir=${join(LOCAL, 'logs')}`];
  if (!existsSync(join(logDir, 'meta.properties'))) {
    const clusterId = randomBytes(16).toString('base64url');
    execFileSync('java', [`-Xmx${heap.tools}`, ...jvmCommon, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }
  const pid = spawnDetached(
    'java',
    [`-Xms${heap.kafka.xms}`, `-Xmx${heap.kafka.xmx}`, '-XX:+UseG1GC', '-Djava.awt.headless=true', ...jvmCommon, '-cp', classpath, 'kafka.Kafka', props],
    { logFile: join(paths.logs, `${profile}-kafka.log`), cwd: ROOT, env: process.env },
  );
  const brokers = `127.0.0.1:${ports.kafka}`;
  return { pid, brokers, port: ports.kafka, controllerPort: ports.controller, version: KAFKA_VERSION, external: false };
}

async function startFerretdb(profile, ports) {
  const dir = join(paths.data(profile), 'ferretdb');
  mkdirSync(join(dir, 'sqlite'), { recursive: true });
  const pid = spawnDetached(
    paths.ferretdbBin,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${join(dir, 'sqlite')}/`,
      `--listen-addr=127.0.0.1:${ports.mongo}`,
      `--state-dir=${dir}`,
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=warn',
    ],
    { logFile: join(paths.logs, `${profile}-ferretdb.log`), cwd: ROOT, env: process.env },
  );
  return { pid, port: ports.mongo, uri: `mongodb://127.0.0.1:${ports.mongo}/?directConnection=true`, external: false };
}

export async function kafkaAnswers(brokers) {
  const kafka = new Kafka({ clientId: 'signal-mesh-stack', brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export async function mongoAnswers(uri) {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 2000 });
  try {
    await client.connect();
    const res = await client.db('admin').command({ ping: 1 });
    return res.ok === 1;
  } finally {
    await client.close().catch(() => {});
  }
}

/**
 * Start the stack for `profile` unless this checkout's stack already runs. Returns the state and whether this call
 * started it (so the caller knows whether to stop it).
 */
export async function start(profile = 'dev', { env = process.env } = {}) {
  const existing = readState();
  if (isRunning(existing)) {
    log(`reusing the running ${existing.profile} stack (Kafka ${existing.kafka.brokers}, MongoDB ${existing.mongo.uri})`);
    return { state: existing, started: false };
  }
  if (existing) await stop({ quiet: true });

  const externalKafka = env.KAFKA_BROKERS;
  const externalMongo = env.MONGODB_URI;
  if (!externalKafka || !externalMongo) provision();

  const settings = profiles[profile];
  if (!settings) throw new Error(`unknown profile ${profile}`);
  if (!settings.keepData) rmSync(paths.data(profile), { recursive: true, force: true });
  const ports = externalKafka && externalMongo ? {} : await choosePorts(profile);

  const state = { profile, startedAt: new Date().toISOString() };
  state.kafka = externalKafka ? { brokers: externalKafka, external: true } : await startKafka(profile, ports);
  state.mongo = externalMongo ? { uri: externalMongo, external: true } : await startFerretdb(profile, ports);
  writeState(state);

  try {
    const t0 = Date.now();
    await Promise.all([
      waitFor('Kafka', () => kafkaAnswers(state.kafka.brokers), {
        timeoutMs: 120_000,
        isStillRunning: state.kafka.external ? undefined : () => isOurs(state.kafka.pid, KAFKA_MARKER),
      }),
      waitFor('FerretDB', () => mongoAnswers(state.mongo.uri), {
        timeoutMs: 60_000,
        isStillRunning: state.mongo.external ? undefined : () => isOurs(state.mongo.pid, FERRET_MARKER),
      }),
    ]);
    const { ensureTopics } = await import('./topics.mjs');
    const created = await ensureTopics(state.kafka.brokers);
    log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)}s — Kafka ${state.kafka.brokers}, MongoDB ${state.mongo.uri}` +
      (created.length ? ` (created topics: ${created.join(', ')})` : ''));
  } catch (err) {
    log(`start failed: ${err.message}; logs in ${paths.logs}`);
    await stop({ quiet: true });
    throw err;
  }
  return { state, started: true };
}

export async function stop({ quiet = false } = {}) {
  const state = readState();
  if (!state) {
    if (!quiet) log('no stack recorded for this checkout');
    return;
  }
  // Independent processes: stop both at once (each TERM, then KILL after its grace period).
  const stops = [];
  if (!state.kafka?.external && state.kafka?.pid) stops.push(stopPid(state.kafka.pid, KAFKA_MARKER));
  if (!state.mongo?.external && state.mongo?.pid) stops.push(stopPid(state.mongo.pid, FERRET_MARKER, { graceMs: 10_000 }));
  await Promise.all(stops);
  rmSync(paths.state, { force: true });
  if (!state.kafka?.external && profiles[state.profile] && !profiles[state.profile].keepData) {
    rmSync(paths.data(state.profile), { recursive: true, force: true });
  }
  if (!quiet) log(`stopped the ${state.profile} stack`);
}

export function status() {
  const state = readState();
  if (!state) return { running: false };
  return {
    running: isRunning(state),
    profile: state.profile,
    kafka: { brokers: state.kafka.brokers, pid: state.kafka.pid, alive: state.kafka.external || isOurs(state.kafka.pid, KAFKA_MARKER) },
    mongo: { uri: state.mongo.uri, pid: state.mongo.pid, alive: state.mongo.external || isOurs(state.mongo.pid, FERRET_MARKER) },
    startedAt: state.startedAt,
  };
}
