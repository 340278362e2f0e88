import { Readable } from 'node:stream';

import { canonicalizeLine } from './commands/canonicalize.command';
import type { CliIo } from './io';
import { run } from './main';

function fakeIo(stdin = ''): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { stdin: Readable.from([stdin]), stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, out, err };
}

describe(canonicalizeLine.name, () => {
  it('returns the canonical signal for a valid value', () => {
    expect(canonicalizeLine('https://Example.com/a/../b', { type: 'url', scope: 'path-prefix' })).toMatchObject({
      ok: true,
      output: { type: 'url', scope: 'path-prefix', canonical: 'https://example.com/b' },
    });
  });

  it('returns the coded error for an invalid value instead of throwing', () => {
    expect(canonicalizeLine('g'.repeat(64), { type: 'model-hash' })).toEqual({
      ok: false,
      output: { input: 'g'.repeat(64), error: { code: 'INVALID_HASH_CHARACTERS', message: expect.any(String) } },
    });
  });
});

describe(run.name, () => {
  it('exits 0 and prints JSON lines for stdin input', async () => {
    const io = fakeIo('placeholder   phrase\nPLACEHOLDER phrase\n');
    expect(await run(['canonicalize', '--type', 'prompt-pattern'], io)).toBe(0);
    const ids = io.out.map((l) => (JSON.parse(l) as { signalId: string }).signalId);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
  });

  it('exits 1 when a value is invalid', async () => {
    const io = fakeIo();
    expect(await run(['canonicalize', '--type', 'prompt-pattern', '--kind', 'regex', '(a)\\1'], io)).toBe(1);
    expect(JSON.parse(io.out[0] ?? '{}')).toMatchObject({ error: { code: 'REGEX_NOT_RE2' } });
  });

  it('exits non-zero with usage on a missing required option', async () => {
    const io = fakeIo();
    expect(await run(['canonicalize', 'x'], io)).not.toBe(0);
    expect(io.err.join('')).toContain("required option '-t, --type <type>' not specified");
  });
});
