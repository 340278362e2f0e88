#!/usr/bin/env node
// npm test: lint, type checks, proto checks and unit tests, then the integration suites against a real Kafka broker
// and a real FerretDB. Starts a fresh local stack (or reuses this checkout's running one, or uses KAFKA_BROKERS and
// MONGODB_URI when both are set) and stops only what it started. Extra arguments go to `nx run-many`.
import { meshEnv, run } from './run-env.mjs';
import { start, stop } from './stack/stack.mjs';

const extra = process.argv.slice(2);
const staticTargets = ['build', 'lint', 'typecheck', 'test', 'proto-lint', 'proto-breaking'];

let started = false;
let stopping;
const cleanup = async () => {
  stopping ??= started ? stop() : Promise.resolve();
  await stopping;
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => cleanup().finally(() => process.exit(130)));
}

const t0 = Date.now();
const baseEnv = meshEnv({ kafka: {}, mongo: {} });
// Unit work runs while the stack starts (the first start fetches Kafka and builds FerretDB).
const staticRun = run('nx', ['run-many', '-t', ...staticTargets, '--output-style=stream', ...extra], baseEnv);
let code = 1;
try {
  const stack = await start('test');
  started = stack.started;
  const staticCode = await staticRun;
  if (staticCode !== 0) {
    code = staticCode;
  } else {
    code = await run('nx', ['run-many', '-t', 'integration', '--parallel=1', '--output-style=stream', ...extra], meshEnv(stack.state));
  }
} catch (err) {
  console.error(`[test] ${err.message}`);
  await staticRun;
} finally {
  await cleanup();
}
console.log(`[test] ${code === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(0)}s`);
process.exit(code);
