import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// Runs the real `signal-mesh` bin (as `npx signal-mesh` would), against the built app.
const bin = join(__dirname, '..', 'bin', 'signal-mesh.cjs');
const exec = promisify(execFile);

async function cli(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

const lines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('signal-mesh canonicalize', () => {
  it('prints one JSON object with the canonical value, signal id, lookup expressions and registrable domain', async () => {
    const { code, stdout } = await cli(['canonicalize', '--type', 'url', 'HTTP://WWW.Example.COM:80/a/./b/../c#frag']);
    expect(code).toBe(0);
    const [out] = lines(stdout);
    expect(out).toMatchObject({ type: 'url', scope: 'exact', canonical: 'http://www.example.com/a/c', registrableDomain: 'example.com' });
    expect(out?.['signalId']).toMatch(/^url_[0-9a-f]{32}$/);
    expect(out?.['lookupExpressions']).toEqual(expect.arrayContaining(['www.example.com/a/c', 'example.com/']));
  });

  it('reads one value per line from stdin and maps spellings of one hash to one signal id', async () => {
    const hex = randomBytes(32).toString('hex');
    const { code, stdout } = await cli(['canonicalize', '--type', 'model-hash'], `${hex}\nsha256:${hex.toUpperCase()}\n  SHA256:${hex}  \n`);
    expect(code).toBe(0);
    const ids = lines(stdout).map((l) => l['signalId']);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(1);
  });

  it('prints the error code and message for invalid input and exits non-zero, keeping the valid lines', async () => {
    const { code, stdout } = await cli(['canonicalize', '--type', 'url'], 'https://example.com/ok\nmailto:someone@example.com\n');
    expect(code).toBe(1);
    const [ok, bad] = lines(stdout);
    expect(ok).toMatchObject({ canonical: 'https://example.com/ok' });
    expect(bad).toMatchObject({ input: 'mailto:someone@example.com', error: { code: 'UNSUPPORTED_SCHEME' } });
  });

  it('rejects an unknown option value with usage help', async () => {
    const { code, stderr } = await cli(['canonicalize', '--type', 'ftp-site', 'x']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('--type');
  });

  it('has --help for every command', async () => {
    for (const args of [['--help'], ['canonicalize', '--help'], ['fingerprint', '--help'], ['admin', '--help'], ['admin', 'org', 'create', '--help'], ['admin', 'key', 'issue', '--help']]) {
      const { code, stdout } = await cli(args);
      expect(code).toBe(0);
      expect(stdout).toContain('Usage: signal-mesh');
    }
  });
});

describe('signal-mesh fingerprint', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'signal-mesh-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function safetensors(metadata: Record<string, string>): Buffer {
    const tensor = randomBytes(16);
    const header = Buffer.from(JSON.stringify({ __metadata__: metadata, weight: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } }));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    return Buffer.concat([len, header, tensor]);
  }

  it('prints SHA-256, AutoV2 and the tensor hashes of a safetensors file, matching sha256sum', async () => {
    const file = join(dir, 'model.safetensors');
    writeFileSync(file, safetensors({ note: 'synthetic' }));
    const { code, stdout } = await cli(['fingerprint', file]);
    expect(code).toBe(0);
    const [out] = lines(stdout);
    const { stdout: sum } = await exec('sha256sum', [file]);
    expect(out?.['sha256']).toBe(sum.split(' ')[0]);
    expect(out?.['autov2']).toBe(String(out?.['sha256']).slice(0, 10));
    expect(out?.['safetensors']).toMatchObject({ tensors: [expect.objectContaining({ name: 'weight', dtype: 'F32', shape: [2, 2] })] });
  });

  it('reports a truncated safetensors header as a coded error, not a crash', async () => {
    const file = join(dir, 'broken.safetensors');
    writeFileSync(file, safetensors({}).subarray(0, 20));
    const { code, stdout, stderr } = await cli(['fingerprint', file]);
    expect(code).toBe(1);
    expect(lines(stdout)[0]).toMatchObject({ error: { code: 'SAFETENSORS_HEADER_TRUNCATED' } });
    expect(stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('reports a missing file clearly', async () => {
    const { code, stdout } = await cli(['fingerprint', join(dir, 'nope.bin')]);
    expect(code).toBe(1);
    expect(lines(stdout)[0]).toMatchObject({ error: { code: 'FILE_UNREADABLE' } });
  });
});
