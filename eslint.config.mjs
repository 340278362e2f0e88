// Lint rules for the whole workspace. The module-boundary constraints below are the architecture:
// change them only together with docs/architecture.md.
import nx from '@nx/eslint-plugin';
import simpleImportSort from 'eslint-plugin-simple-import-sort';

const grpcPackages = ['@grpc/grpc-js', '@grpc/reflection', '@grpc/proto-loader', 'grpc-health-check'];
const frameworkPackages = ['@nestjs/*'];

/** Layers (type:*) and what each may depend on; external imports banned per layer. */
const typeConstraints = [
  {
    sourceTag: 'type:app',
    onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:transport', 'type:domain', 'type:util', 'type:contracts', 'type:testing'],
    bannedExternalImports: ['mongodb', 'kafkajs', ...grpcPackages],
  },
  {
    sourceTag: 'type:feature',
    onlyDependOnLibsWithTags: ['type:data-access', 'type:transport', 'type:domain', 'type:util', 'type:contracts', 'type:testing'],
    bannedExternalImports: ['mongodb', 'kafkajs', ...grpcPackages],
  },
  {
    sourceTag: 'type:data-access',
    // data-access libs build on the shared Mongo base (data-access-mongo).
    onlyDependOnLibsWithTags: ['type:data-access', 'type:domain', 'type:util', 'type:contracts', 'type:testing'],
    bannedExternalImports: ['kafkajs', ...grpcPackages, ...frameworkPackages],
  },
  {
    sourceTag: 'type:transport',
    // Service clients (e.g. the trust client) build on the shared gRPC/Kafka transports.
    onlyDependOnLibsWithTags: ['type:transport', 'type:domain', 'type:util', 'type:contracts', 'type:testing'],
    bannedExternalImports: ['mongodb', ...frameworkPackages],
  },
  {
    sourceTag: 'type:domain',
    onlyDependOnLibsWithTags: ['type:util', 'type:testing'],
    bannedExternalImports: ['mongodb', 'kafkajs', ...grpcPackages, ...frameworkPackages],
  },
  {
    sourceTag: 'type:util',
    onlyDependOnLibsWithTags: ['type:util', 'type:testing'],
    bannedExternalImports: ['mongodb', 'kafkajs', ...grpcPackages, ...frameworkPackages],
  },
  {
    // Generated message and service code; grpc-js types are part of what ts-proto emits.
    sourceTag: 'type:contracts',
    onlyDependOnLibsWithTags: ['type:util', 'type:testing'],
    bannedExternalImports: ['mongodb', 'kafkajs', '@grpc/reflection', 'grpc-health-check', ...frameworkPackages],
  },
  {
    sourceTag: 'type:testing',
    onlyDependOnLibsWithTags: ['type:data-access', 'type:transport', 'type:domain', 'type:util', 'type:contracts', 'type:testing'],
  },
];

// Every layer may use type:testing libs, but only from test files: see the no-restricted-imports rule below.

/** Areas (scope:*): each may use itself and shared; the listed ones also use signals, trust and feeds. */
const scopeConstraints = [
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:signals', onlyDependOnLibsWithTags: ['scope:signals', 'scope:shared'] },
  { sourceTag: 'scope:trust', onlyDependOnLibsWithTags: ['scope:trust', 'scope:signals', 'scope:shared'] },
  // Feed events, cursors and filters: shared by the fan-out, the feed service and the CLI.
  { sourceTag: 'scope:feeds', onlyDependOnLibsWithTags: ['scope:feeds', 'scope:trust', 'scope:signals', 'scope:shared'] },
  // Workspace-wide checks (tools/workspace) look at everything.
  { sourceTag: 'scope:workspace', onlyDependOnLibsWithTags: ['*'] },
  ...['ingest', 'dedup', 'fanout', 'feed', 'delisting'].map((scope) => ({
    sourceTag: `scope:${scope}`,
    onlyDependOnLibsWithTags: [`scope:${scope}`, 'scope:feeds', 'scope:signals', 'scope:trust', 'scope:shared'],
  })),
  // The CLI also verifies delisting manifests with the delisting domain's rules.
  { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:cli', 'scope:delisting', 'scope:feeds', 'scope:signals', 'scope:trust', 'scope:shared'] },
];

// Each lib exposes one index.ts: no deep imports into another project.
const deepImports = { group: ['@signal-mesh/*/*'], message: 'Import a workspace lib through its index only.' };
const testingProjects = ['libs/shared/testing', 'libs/shared/stack-smoke', 'tools/workspace'];
const testingPackages = ['@signal-mesh/testing'];

export default [
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/generated/**', '.local/**', '.nx/**', 'coverage/**', 'tmp/**'],
  },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    plugins: { 'simple-import-sort': simpleImportSort },
    rules: {
      'simple-import-sort/imports': 'error',
      'simple-import-sort/exports': 'error',
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          banTransitiveDependencies: false,
          checkDynamicDependenciesExceptions: [],
          allow: [],
          depConstraints: [...typeConstraints, ...scopeConstraints],
        },
      ],
      'no-restricted-imports': ['error', { patterns: [deepImports] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Production code never imports test helpers.
    files: ['**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.fixtures.ts', ...testingProjects.map((dir) => `${dir}/**`)],
    rules: { 'no-restricted-imports': ['error', { paths: testingPackages.map((name) => ({ name, message: 'Test helpers are for *.spec.ts / *.int-spec.ts / *.fixtures.ts files only.' })), patterns: [deepImports] }] },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
];
