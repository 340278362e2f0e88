// Fetch the Kafka broker jars from Maven Central and build FerretDB from the Go module proxy, once per checkout.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { FERRETDB_PATCH, FERRETDB_VERSION, KAFKA_VERSION, paths } from './config.mjs';

const log = (msg) => console.log(`[stack] ${msg}`);

function run(cmd, args, opts = {}) {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });
  } catch (err) {
    const output = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${output}`);
  }
}

const kafkaPom = `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.signalmesh.local</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <dependencies>
    <!-- The broker (kafka.Kafka) and storage formatter (kafka.tools.StorageTool). -->
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <!-- ProducerPerformance / ConsumerPerformance: the benchmark baseline. -->
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>${KAFKA_VERSION}</version></dependency>
  </dependencies>
</project>
`;

export function kafkaReady() {
  return existsSync(join(paths.kafkaLibs, '.complete'));
}

export function ensureKafka() {
  if (kafkaReady()) return;
  log(`fetching Apache Kafka ${KAFKA_VERSION} jars from Maven Central (first run only)…`);
  mkdirSync(dirname(paths.kafkaPom), { recursive: true });
  writeFileSync(paths.kafkaPom, kafkaPom);
  const staging = `${paths.kafkaLibs}.partial`;
  rmSync(staging, { recursive: true, force: true });
  run('mvn', [
    '-B',
    '-q',
    '-f',
    paths.kafkaPom,
    'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies',
    `-DoutputDirectory=${staging}`,
    '-DincludeScope=runtime',
  ]);
  if (!readdirSync(staging).some((f) => f.startsWith(`kafka_2.13-${KAFKA_VERSION}`))) {
    throw new Error(`Maven did not deliver kafka_2.13-${KAFKA_VERSION}.jar into ${staging}`);
  }
  writeFileSync(join(staging, '.complete'), `${KAFKA_VERSION}\n`);
  rmSync(paths.kafkaLibs, { recursive: true, force: true });
  renameSync(staging, paths.kafkaLibs);
  log(`Kafka jars cached in ${paths.kafkaLibs}`);
}

export function ferretdbReady() {
  return existsSync(paths.ferretdbBin);
}

export function ensureFerretdb() {
  if (ferretdbReady()) return;
  log(`building FerretDB ${FERRETDB_VERSION} from the Go module proxy (first run only, a few minutes)…`);
  const env = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-mod=mod' };
  const module = `github.com/FerretDB/FerretDB@${FERRETDB_VERSION}`;
  let info;
  try {
    info = JSON.parse(run('go', ['mod', 'download', '-json', module], { env }));
  } catch {
    // The checksum database is not always reachable from these machines; the proxy is.
    info = JSON.parse(run('go', ['mod', 'download', '-json', module], { env: { ...env, GOSUMDB: 'off' } }));
  }
  if (info.Error || !info.Dir) throw new Error(`go mod download ${module}: ${info.Error ?? 'no Dir'}`);
  rmSync(paths.ferretdbSrc, { recursive: true, force: true });
  cpSync(info.Dir, paths.ferretdbSrc, { recursive: true });
  run('chmod', ['-R', 'u+w', paths.ferretdbSrc]);
  // `go install …@version` leaves build/version/version.txt empty and the binary panics at start
  // (FerretDB issue #2982); the build needs the version written in.
  writeFileSync(join(paths.ferretdbSrc, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
  run('patch', ['-p0', '--forward', '--batch', '-d', paths.ferretdbSrc, '-i', FERRETDB_PATCH]);
  const out = `${paths.ferretdbBin}.partial`;
  run('go', ['build', '-trimpath', '-o', out, './cmd/ferretdb'], { cwd: paths.ferretdbSrc, env });
  renameSync(out, paths.ferretdbBin);
  rmSync(paths.ferretdbSrc, { recursive: true, force: true });
  log(`FerretDB binary cached at ${paths.ferretdbBin}`);
}

export function provision() {
  ensureKafka();
  ensureFerretdb();
}
