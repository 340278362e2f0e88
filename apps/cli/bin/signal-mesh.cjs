#!/usr/bin/env node
// Entry point of `signal-mesh` (npx signal-mesh). The CLI targets Node 22+; started by an older system Node, it
// re-runs itself with the Node 24 the project ships (node_modules/.bin/node). Builds itself once if needed.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const appDir = join(__dirname, '..');
const root = join(appDir, '..', '..');
const bundledNode = join(root, 'node_modules', '.bin', 'node');
const major = Number(process.versions.node.split('.')[0]);

if (major < 22 && existsSync(bundledNode) && !process.env.SIGNAL_MESH_REEXEC) {
  const child = spawn(bundledNode, [__filename, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, SIGNAL_MESH_REEXEC: '1' } });
  // `kill -TERM <pid>` reaches only this process: pass it on, so a long `subscribe` still saves its cursor and exits.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (require('node:os').constants.signals[signal] ?? 0) : 1)));
} else {
  start();
}

function start() {
  const main = join(appDir, 'dist', 'main.js');
  if (!existsSync(main)) {
    process.stderr.write('signal-mesh: building the CLI once (npx nx build @signal-mesh/cli)…\n');
    const res = spawnSync(join(root, 'node_modules', '.bin', 'nx'), ['build', '@signal-mesh/cli', '--output-style=static'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, NX_DAEMON: 'false', PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH}` },
    });
    if (res.status !== 0) process.exit(res.status ?? 1);
  }

  require(main)
    .run(process.argv.slice(2))
    .then((code) => {
      process.exitCode = code;
    });
}
