import type { Readable } from 'node:stream';

import type { EnvSource } from '@signal-mesh/util-config';

/** Where the CLI reads and writes; tests pass their own. */
export interface CliIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown; isTTY?: boolean; columns?: number };
  /** The environment config is read from; unset: the process environment (read by util-config only). */
  env?: EnvSource;
}

export function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A coded error as one JSON line: `{ error: { code, message } }` plus any context fields. */
export function printError(io: CliIo, code: string, message: string, context: Record<string, unknown> = {}): void {
  printJson(io, { ...context, error: { code, message } });
}
