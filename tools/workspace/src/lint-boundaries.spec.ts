import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// Lints synthetic source placed (virtually) inside real projects, proving the architecture rules in
// eslint.config.mjs reject forbidden imports — and accept the allowed ones, so the rules are not just "error always".
// ESLint loads its flat config with a dynamic import, which Jest's VM cannot do: it runs in one child process.
const root = join(__dirname, '..', '..', '..');
const lintScript = `
const { ESLint } = require('eslint');
const cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const eslint = new ESLint({ cwd: process.cwd() });
Promise.all(cases.map((c) => eslint.lintText(c.code, { filePath: c.filePath }).then((r) => r[0].messages)))
  .then((all) => process.stdout.write(JSON.stringify(all)));
`;

const importing = (what: string, from: string) => `import { ${what} } from '${from}';\nexport const x = ${what};\n`;
const cases = {
  utilToTransport: ['libs/shared/util-config/src/fixture.ts', importing('KafkaProducer', '@signal-mesh/transport-kafka')],
  kafkaInDataAccess: ['libs/shared/data-access-mongo/src/fixture.ts', importing('Kafka', 'kafkajs')],
  mongoInTransport: ['libs/shared/transport-grpc/src/fixture.ts', importing('MongoClient', 'mongodb')],
  deepImport: ['libs/shared/transport-kafka/src/fixture.ts', importing('loadConfig', '@signal-mesh/util-config/src/config')],
  testingInCode: ['libs/shared/transport-kafka/src/fixture.ts', importing('uniqueName', '@signal-mesh/testing')],
  testingInSpec: ['libs/shared/transport-kafka/src/fixture.int-spec.ts', importing('uniqueName', '@signal-mesh/testing')],
  allowed: [
    'libs/shared/transport-kafka/src/fixture.ts',
    "import { Topics } from '@signal-mesh/contracts';\nimport { createLogger } from '@signal-mesh/util-logging';\nimport { Kafka } from 'kafkajs';\nexport const x = [Topics, createLogger, Kafka];\n",
  ],
} as const;

describe('module boundaries', () => {
  let found: Record<keyof typeof cases, string[]>;

  beforeAll(() => {
    const input = Object.values(cases).map(([file, code]) => ({ filePath: join(root, file), code }));
    const output = execFileSync(process.execPath, ['-e', lintScript], { cwd: root, input: JSON.stringify(input), encoding: 'utf8' });
    const results = JSON.parse(output) as { ruleId: string | null; message: string }[][];
    found = Object.fromEntries(
      Object.keys(cases).map((name, i) => [name, (results[i] ?? []).filter((m) => m.ruleId !== 'simple-import-sort/imports').map((m) => `${m.ruleId}: ${m.message}`)]),
    ) as typeof found;
  }, 60_000);

  it('forbids a util lib from depending on a transport lib', () => {
    expect(found.utilToTransport).toEqual([expect.stringMatching(/^@nx\/enforce-module-boundaries: A project tagged with "type:util" can only depend on libs tagged with/)]);
  });

  it('forbids kafkajs outside transport libs', () => {
    expect(found.kafkaInDataAccess).toEqual([expect.stringMatching(/^@nx\/enforce-module-boundaries: A project tagged with "type:data-access" is not allowed to import "kafkajs"/)]);
  });

  it('forbids mongodb outside data-access libs', () => {
    expect(found.mongoInTransport).toEqual([expect.stringMatching(/is not allowed to import "mongodb"/)]);
  });

  it('forbids deep imports into another lib', () => {
    expect(found.deepImport).toEqual(expect.arrayContaining([expect.stringMatching(/^no-restricted-imports: .*Import a workspace lib through its index only/)]));
  });

  it('forbids test helpers in production code but allows them in specs', () => {
    expect(found.testingInCode).toEqual([expect.stringMatching(/^no-restricted-imports: .*Test helpers are for/)]);
    expect(found.testingInSpec).toEqual([]);
  });

  it('allows what the layering permits: a transport lib using util libs, contracts and kafkajs', () => {
    expect(found.allowed).toEqual([]);
  });
});
