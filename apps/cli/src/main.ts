import { Command } from 'commander';

import { canonicalizeCommand } from './commands/canonicalize.command';
import { fingerprintCommand } from './commands/fingerprint.command';
import { type CliIo, processIo } from './io';

/** The `signal-mesh` program. Commands are thin: the logic lives in @signal-mesh/signals-domain. */
export function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const output = { writeOut: (s: string) => io.stdout.write(s), writeErr: (s: string) => io.stderr.write(s) };
  const program = new Command('signal-mesh')
    .description('Signal Mesh command line: canonicalize signals, fingerprint model files')
    .version('0.1.0')
    .showHelpAfterError()
    .configureOutput(output);
  // addCommand() does not pass settings down: each command gets the same output and help-on-error.
  for (const command of [canonicalizeCommand(io, setExitCode), fingerprintCommand(io, setExitCode)]) {
    program.addCommand(command.configureOutput(output).showHelpAfterError());
  }
  return program;
}

/** Runs the CLI; resolves with the exit code instead of exiting, so it is testable. */
export async function run(argv: string[], io: CliIo = processIo()): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  program.exitOverride();
  for (const command of program.commands) command.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    const exit = err as { code?: string; exitCode?: number };
    if (typeof exit.exitCode === 'number' && exit.code?.startsWith('commander.')) return exit.exitCode;
    io.stderr.write(`signal-mesh: ${(err as Error).message}\n`);
    return 2;
  }
}
