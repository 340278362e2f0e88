#!/usr/bin/env node
// npm run bench [-- <name-filter>]: runs every benchmark registered in bench/benchmarks/*.bench.mjs against the real
// local stack and reports each figure as a ratio to a baseline measured in the same run on the same machine
// (absolute times on shared machines lie; ratios travel). Writes bench/results/latest.json and latest.md.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { meshEnv, run } from '../run-env.mjs';
import { KAFKA_VERSION, paths, ROOT } from '../stack/config.mjs';
import { start, stop } from '../stack/stack.mjs';

const filter = process.argv[2];
const benchDir = join(ROOT, 'bench', 'benchmarks');
const outDir = join(ROOT, 'bench', 'results');

let started = false;
try {
  const stackPromise = start('test');
  const built = await run('nx', ['run-many', '-t', 'build', '--output-style=dynamic-legacy'], meshEnv({ kafka: {}, mongo: {} }));
  if (built !== 0) throw new Error('build failed');
  const { state, started: s } = await stackPromise;
  started = s;
  Object.assign(process.env, meshEnv(state));

  const files = readdirSync(benchDir).filter((f) => f.endsWith('.bench.mjs')).sort();
  const results = [];
  for (const file of files) {
    const bench = (await import(pathToFileURL(join(benchDir, file)).href)).default;
    if (filter && !bench.name.includes(filter)) continue;
    console.log(`[bench] ${bench.name}: ${bench.description}`);
    const ctx = { brokers: state.kafka.brokers, mongoUri: state.mongo.uri, kafkaLibs: paths.kafkaLibs, kafkaVersion: KAFKA_VERSION, log: (m) => console.log(`[bench]   ${m}`) };
    const figures = await bench.run(ctx);
    for (const f of figures) results.push({ benchmark: bench.name, ...f, ratio: f.value / f.baseline });
  }

  const report = {
    measuredAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    note: 'ratio = value / baseline, both measured in this run on this machine; for throughputs higher is better.',
    results,
  };
  const table = [
    '| benchmark | figure | value | baseline | baseline is | ratio |',
    '|---|---|---:|---:|---|---:|',
    ...results.map((r) => `| ${r.benchmark} | ${r.figure} | ${fmt(r.value)} ${r.unit} | ${fmt(r.baseline)} ${r.unit} | ${r.baselineName} | **${r.ratio.toFixed(2)}** |`),
  ].join('\n');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(outDir, 'latest.md'), `# Benchmark results\n\n${report.measuredAt}, ${report.machine.cpus} CPUs, Node ${report.machine.node}\n\n${table}\n\n${report.note}\n`);
  console.log(`\n${table}\n\n[bench] written to bench/results/latest.json and latest.md`);
} catch (err) {
  console.error(`[bench] ${err.stack ?? err.message}`);
  process.exitCode = 1;
} finally {
  if (started) await stop();
}

function fmt(n) {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2);
}
