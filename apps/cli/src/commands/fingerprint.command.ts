import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

import { createFingerprinter, isSignalValidationError } from '@signal-mesh/signals-domain';
import { Command } from 'commander';

import { type CliIo, printJson } from '../io';
import { progressBar } from '../progress';

interface FingerprintOptions {
  safetensors?: boolean;
}

/** Streams the file through the fingerprinter: memory stays constant whatever the file size. */
export async function fingerprintFile(path: string, options: { safetensors: boolean; size?: number; onProgress?: (bytes: number) => void }) {
  // The size lets out-of-bounds tensor offsets be reported from the header, before any data is read.
  const fingerprinter = createFingerprinter({ safetensors: options.safetensors, size: options.size });
  let done = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) {
    fingerprinter.update(chunk as Buffer);
    done += (chunk as Buffer).length;
    options.onProgress?.(done);
  }
  return fingerprinter.digest();
}

export function fingerprintCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('fingerprint')
    .description('hash a model file (any size, streamed) and print its fingerprint as JSON: SHA-256, AutoV2 and, for .safetensors, tensor-bytes hash, per-tensor hashes and their Merkle root')
    .argument('<file>', 'model file to fingerprint')
    .option('--safetensors', 'parse the file as safetensors whatever its name')
    .option('--no-safetensors', 'hash the file only, even if it is named *.safetensors')
    .action(async (file: string, options: FingerprintOptions) => {
      const safetensors = options.safetensors ?? /\.safetensors$/i.test(file);
      let size: number;
      try {
        const info = await stat(file);
        if (!info.isFile()) throw Object.assign(new Error(`${file} is not a regular file`), { code: 'EISDIR' });
        size = info.size;
      } catch (err) {
        printJson(io, { file, error: { code: 'FILE_UNREADABLE', message: (err as Error).message } });
        setExitCode(1);
        return;
      }
      const bar = progressBar(io, size, 'fingerprint');
      try {
        const fingerprint = await fingerprintFile(file, { safetensors, size, onProgress: (b) => bar.update(b) });
        bar.finish();
        printJson(io, { file, ...fingerprint });
        setExitCode(0);
      } catch (err) {
        bar.finish();
        if (!isSignalValidationError(err)) throw err;
        printJson(io, { file, error: { code: err.code, message: err.message } });
        setExitCode(1);
      }
    });
}
