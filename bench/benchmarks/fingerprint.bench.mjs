// Baseline: coreutils `sha256sum` on a synthetic safetensors file. Measured: the same file streamed through
// @signal-mesh/signals-domain createFingerprinter({ safetensors: true }), which computes the file SHA-256 plus the
// tensor-region SHA-256 and one SHA-256 per tensor (each tensor byte is hashed three times). Ratio < 1 means the
// fingerprint is slower than sha256sum alone. Both read the file just written, so from the page cache.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const require = createRequire(import.meta.url);
const { createFingerprinter } = require('@signal-mesh/signals-domain');

const BYTES = Number(process.env.BENCH_FINGERPRINT_BYTES ?? 2 * 1024 ** 3);
const MIB = 1024 * 1024;
const TENSOR_BYTES = MIB; // F32 [512, 512]
const CHUNK = 4 * MIB;

/** Header for `count` 1 MiB F32 tensors and one I8 tensor taking the remainder, padded with spaces to 8-byte alignment. */
function layout(count) {
  const build = (rest) => {
    const header = { __metadata__: { format: 'pt', generator: 'signal-mesh bench (synthetic, random bytes)' } };
    for (let i = 0; i < count; i += 1) {
      header[`model.layers.${i}.weight`] = { dtype: 'F32', shape: [512, 512], data_offsets: [i * TENSOR_BYTES, (i + 1) * TENSOR_BYTES] };
    }
    header['model.tail'] = { dtype: 'I8', shape: [rest], data_offsets: [count * TENSOR_BYTES, count * TENSOR_BYTES + rest] };
    return JSON.stringify(header);
  };
  // Size the header with the longest possible remainder, then pad the real one to that size.
  const headerBytes = Math.ceil(Buffer.byteLength(build(BYTES)) / 8) * 8;
  const rest = BYTES - 8 - headerBytes - count * TENSOR_BYTES;
  return rest < 0 ? undefined : { json: build(rest).padEnd(headerBytes, ' '), rest };
}

async function writeSyntheticFile(path) {
  let count = Math.floor(BYTES / TENSOR_BYTES);
  let plan = layout(count);
  while (!plan) plan = layout(--count);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(plan.json.length));
  // A few random blocks reused round-robin: fast to generate, not all-identical tensors.
  const blocks = Array.from({ length: 7 }, () => randomBytes(TENSOR_BYTES));
  const file = await open(path, 'w');
  try {
    await file.write(Buffer.concat([length, Buffer.from(plan.json)]));
    for (let i = 0; i < count; i += 1) await file.write(blocks[i % blocks.length]);
    await file.write(randomBytes(plan.rest));
  } finally {
    await file.close();
  }
  return count + 1;
}

async function sha256sum(path) {
  const t0 = performance.now();
  const { stdout } = await promisify(execFile)('sha256sum', [path], { encoding: 'utf8' });
  return { seconds: (performance.now() - t0) / 1000, sha256: stdout.split(' ')[0] };
}

async function fingerprint(path) {
  const t0 = performance.now();
  const fp = createFingerprinter({ safetensors: true, size: BYTES });
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) fp.update(chunk);
  const result = fp.digest();
  return { seconds: (performance.now() - t0) / 1000, result };
}

export default {
  name: 'fingerprint',
  description: `${(BYTES / 1024 ** 3).toFixed(2)} GiB synthetic safetensors file, ${CHUNK / MIB} MiB reads; baseline sha256sum`,
  async run(ctx) {
    const path = join(tmpdir(), `signal-mesh-fingerprint-${randomBytes(4).toString('hex')}.safetensors`);
    try {
      const tensors = await writeSyntheticFile(path);
      ctx.log(`wrote ${path} (${BYTES} bytes, ${tensors} tensors)`);
      const base = await sha256sum(path);
      const ours = await fingerprint(path);
      if (ours.result.sha256 !== base.sha256) throw new Error(`file SHA-256 differs from sha256sum: ${ours.result.sha256} vs ${base.sha256}`);
      if (ours.result.safetensors.tensors.length !== tensors) throw new Error(`expected ${tensors} tensors, got ${ours.result.safetensors.tensors.length}`);
      const baseline = BYTES / 1e6 / base.seconds;
      const value = BYTES / 1e6 / ours.seconds;
      ctx.log(`sha256sum ${baseline.toFixed(0)} MB/s, fingerprint ${value.toFixed(0)} MB/s (ratio ${(value / baseline).toFixed(2)})`);
      return [{ figure: 'fingerprint throughput', unit: 'MB/s', value, baseline, baselineName: 'sha256sum' }];
    } finally {
      await rm(path, { force: true });
    }
  },
};
