// Environment shared by npm test, npm start and npm run bench: where the stack is, and quiet, local Nx.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { ROOT } from './stack/config.mjs';
import { stackEnv } from './stack/stack.mjs';

export function meshEnv(state, extra = {}) {
  return {
    ...process.env,
    ...stackEnv(state),
    ...(state.kafka.pid ? { SIGNAL_MESH_KAFKA_PID: String(state.kafka.pid) } : {}),
    ...(state.mongo.pid ? { SIGNAL_MESH_FERRETDB_PID: String(state.mongo.pid) } : {}),
    // Make the Node this project runs on (node_modules/.bin/node, see README) win over the system one.
    PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}`,
    NX_DAEMON: 'false',
    NX_NO_CLOUD: 'true',
    NX_TUI: 'false',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    NODE_OPTIONS: [process.env.NODE_OPTIONS, '--disable-warning=TimeoutNegativeWarning', '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON'].filter(Boolean).join(' '),
    ...extra,
  };
}

/** Runs a command with inherited stdio; resolves with its exit code. */
export function run(command, args, env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
