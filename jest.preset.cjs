// Shared Jest settings. Each project's jest.config.cjs calls jestConfig(__dirname).
const path = require('node:path');

const swcOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2023',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

function jestConfig(projectDir) {
  return {
    displayName: path.relative(__dirname, projectDir),
    rootDir: projectDir,
    testEnvironment: 'node',
    // Workspace libs resolve to their TypeScript sources in tests (see package.json "exports").
    testEnvironmentOptions: { customExportConditions: ['@signal-mesh/source', 'node', 'require', 'default'] },
    transform: { '^.+\\.ts$': ['@swc/jest', swcOptions] },
    moduleFileExtensions: ['ts', 'js', 'json'],
    testMatch: ['**/src/**/*.spec.ts'],
    testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    testTimeout: 30_000,
  };
}

module.exports = { jestConfig };
