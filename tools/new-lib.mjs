#!/usr/bin/env node
// Scaffolds a workspace library the way every lib here is laid out:
//   node tools/new-lib.mjs <scope> <name> <type> [dependency-lib-dir ...]
// e.g. node tools/new-lib.mjs signals domain domain libs/shared/util-config
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const [scope, name, type, ...deps] = process.argv.slice(2);
const types = ['feature', 'data-access', 'transport', 'domain', 'util', 'contracts', 'testing'];
if (!scope || !name || !types.includes(type)) {
  console.error(`usage: new-lib.mjs <scope> <name> <${types.join('|')}> [dependency-lib-dir ...]`);
  process.exit(2);
}
const dir = join('libs', scope, name);
if (existsSync(dir)) {
  console.error(`${dir} exists`);
  process.exit(1);
}
const pkgName = scope === 'shared' ? `@signal-mesh/${name}` : `@signal-mesh/${scope}-${name}`;
const up = relative(dir, '.');
const json = (value) => `${JSON.stringify(value, null, 2)}\n`;
mkdirSync(join(dir, 'src'), { recursive: true });

writeFileSync(
  join(dir, 'package.json'),
  json({
    name: pkgName,
    version: '0.0.0',
    private: true,
    main: './dist/index.js',
    types: './dist/index.d.ts',
    exports: {
      '.': { '@signal-mesh/source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
      './package.json': './package.json',
    },
    nx: { tags: [`scope:${scope}`, `type:${type}`], targets: { build: {}, typecheck: {}, lint: {}, test: {} } },
  }),
);
writeFileSync(
  join(dir, 'tsconfig.json'),
  json({ extends: `${up}/tsconfig.base.json`, files: [], references: [{ path: './tsconfig.lib.json' }, { path: './tsconfig.spec.json' }] }),
);
writeFileSync(
  join(dir, 'tsconfig.lib.json'),
  json({
    extends: `${up}/tsconfig.base.json`,
    compilerOptions: { rootDir: 'src', outDir: 'dist', tsBuildInfoFile: 'dist/tsconfig.lib.tsbuildinfo' },
    include: ['src/**/*.ts'],
    exclude: ['src/**/*.spec.ts', 'src/**/*.int-spec.ts', 'src/**/*.fixtures.ts'],
    references: deps.map((d) => ({ path: `${relative(dir, d)}/tsconfig.lib.json` })),
  }),
);
writeFileSync(
  join(dir, 'tsconfig.spec.json'),
  json({
    extends: `${up}/tsconfig.base.json`,
    compilerOptions: { composite: false, noEmit: true, types: ['node', 'jest'] },
    include: ['src/**/*.spec.ts', 'src/**/*.int-spec.ts', 'src/**/*.fixtures.ts'],
    references: [{ path: './tsconfig.lib.json' }],
  }),
);
writeFileSync(join(dir, 'jest.config.cjs'), `module.exports = require('${up}/jest.preset.cjs').jestConfig(__dirname);\n`);
writeFileSync(join(dir, 'src', 'index.ts'), 'export {};\n');
writeFileSync(
  join(dir, 'README.md'),
  `# ${pkgName}\n\nTags: \`scope:${scope}\`, \`type:${type}\`.\n\n## What it is for\n\nTODO\n\n## Public API\n\nTODO\n\n## Must not depend on\n\nTODO\n`,
);
console.log(`created ${dir} (${pkgName})`);
