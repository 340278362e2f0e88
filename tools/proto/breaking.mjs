#!/usr/bin/env node
// `buf breaking` for proto/: against main when working off main, otherwise against the previous commit of main,
// so a breaking change can never land on main unnoticed. A breaking change belongs in a new package (signalmesh.v2).
// BUF_BREAKING_AGAINST=<git ref> overrides the choice.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
const tryGit = (...args) => {
  try {
    return git(...args);
  } catch {
    return undefined;
  }
};

let against = process.env.BUF_BREAKING_AGAINST;
if (!against) {
  const head = tryGit('rev-parse', 'HEAD');
  const main = tryGit('rev-parse', '--verify', 'main^{commit}');
  against = main && head !== main ? main : tryGit('rev-parse', '--verify', 'HEAD~1^{commit}');
}
if (!against || !tryGit('ls-tree', '-d', against, 'proto/signalmesh')) {
  console.log(`buf breaking: no earlier proto/ to compare with (${against ?? 'no base commit'}); skipped`);
  process.exit(0);
}
console.log(`buf breaking: proto/ against ${against.slice(0, 12)}`);
execFileSync(join(root, 'node_modules/.bin/buf'), ['breaking', 'proto', '--against', `.git#ref=${against},subdir=proto`], {
  cwd: root,
  stdio: 'inherit',
});
