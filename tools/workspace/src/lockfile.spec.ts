import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// `npm ci` (CI, Docker) refuses a lockfile that misses a workspace or a platform build of an optional dependency;
// locally node_modules hides both, so check them here.
const root = join(__dirname, '..', '..', '..');
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { optionalDependencies?: Record<string, string> }> };

function workspaceDirs(): string[] {
  const dirs: string[] = [];
  for (const scope of readdirSync(join(root, 'libs'))) {
    for (const name of readdirSync(join(root, 'libs', scope))) dirs.push(`libs/${scope}/${name}`);
  }
  for (const name of readdirSync(join(root, 'apps'))) dirs.push(`apps/${name}`);
  return dirs.filter((dir) => existsSync(join(root, dir, 'package.json')));
}

describe('package-lock.json', () => {
  it('lists every workspace package', () => {
    expect(workspaceDirs().filter((dir) => !lock.packages[dir])).toEqual([]);
  });

  it('lists every optional platform package of every dependency', () => {
    const missing = Object.entries(lock.packages).flatMap(([path, pkg]) =>
      Object.keys(pkg.optionalDependencies ?? {})
        .filter((dep) => !lock.packages[`node_modules/${dep}`] && !lock.packages[`${path}/node_modules/${dep}`])
        .map((dep) => `${path || '<root>'} → ${dep}`),
    );
    expect(missing).toEqual([]);
  });
});
