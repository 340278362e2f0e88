import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..', '..');

describe('Node version', () => {
  it('runs the tests on the Node the README promises (.nvmrc major), not the system Node', () => {
    const promised = Number(readFileSync(join(root, '.nvmrc'), 'utf8').trim());
    expect(Number(process.versions.node.split('.')[0])).toBe(promised);
  });

  it('pins the bundled node devDependency to that major and allows it in engines', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string>; engines: { node: string } };
    const promised = readFileSync(join(root, '.nvmrc'), 'utf8').trim();
    expect(pkg.devDependencies['node']).toMatch(new RegExp(`^${promised}\\.\\d+\\.\\d+$`));
    expect(pkg.engines.node).toMatch(/^>=22\./);
  });
});
