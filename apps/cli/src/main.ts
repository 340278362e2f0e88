import { Command } from 'commander';

import { adminCommand, type ConnectTrustAdmin } from './commands/admin.command';
import { auditCommand, type OpenAuditLog } from './commands/audit.command';
import { canonicalizeCommand } from './commands/canonicalize.command';
import { delistingCommand } from './commands/delisting.command';
import type { DelistingHttp } from './commands/delisting-http';
import { fingerprintCommand } from './commands/fingerprint.command';
import { lookupCommand } from './commands/lookup.command';
import { type ConnectIngest, submitCommand } from './commands/submit.command';
import { type StopSignals, subscribeCommand } from './commands/subscribe.command';
import type { Backoff } from './commands/subscribe-follow';
import { subscriptionCommand } from './commands/subscription.command';
import type { ConnectFeed } from './commands/subscription-client';
import { type CliIo, processIo } from './io';

/** What the commands connect to; tests pass fakes. */
export interface CliDeps {
  openAuditLog?: OpenAuditLog;
  connectTrustAdmin?: ConnectTrustAdmin;
  connectIngest?: ConnectIngest;
  connectFeed?: ConnectFeed;
  /** subscribe: what stops it (default SIGINT / SIGTERM) and its reconnect backoff. */
  stopSignals?: StopSignals;
  feedBackoff?: Backoff;
  /** delisting pull: the HTTP transport (tests count requests and bytes). */
  delistingHttp?: DelistingHttp;
}

/** Every command below `command`, itself included. */
function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

/** The `signal-mesh` program. Commands are thin: the logic lives in the domain and data-access libs. */
export function buildProgram(io: CliIo, setExitCode: (code: number) => void, deps: CliDeps = {}): Command {
  const output = { writeOut: (s: string) => io.stdout.write(s), writeErr: (s: string) => io.stderr.write(s) };
  const program = new Command('signal-mesh')
    .description('Signal Mesh command line: canonicalize signals, fingerprint model files, submit signals, follow and query the feed, verify the audit log, pull delisting lists, administer the mesh')
    .version('0.1.0');
  for (const command of [
    canonicalizeCommand(io, setExitCode),
    fingerprintCommand(io, setExitCode),
    submitCommand(io, setExitCode, deps.connectIngest),
    auditCommand(io, setExitCode, deps.openAuditLog),
    adminCommand(io, setExitCode, deps.connectTrustAdmin),
    subscribeCommand(io, setExitCode, { connect: deps.connectFeed, stopSignals: deps.stopSignals, backoff: deps.feedBackoff }),
    lookupCommand(io, setExitCode, deps.connectFeed),
    subscriptionCommand(io, setExitCode, deps.connectFeed),
    delistingCommand(io, setExitCode, deps.delistingHttp),
  ]) {
    program.addCommand(command);
  }
  // addCommand() does not pass settings down: every command, at any depth, gets the same output and help-on-error.
  for (const command of allCommands(program)) command.configureOutput(output).showHelpAfterError();
  return program;
}

/** Runs the CLI; resolves with the exit code instead of exiting, so it is testable. */
export async function run(argv: string[], io: CliIo = processIo(), deps: CliDeps = {}): Promise<number> {
  let code = 0;
  const program = buildProgram(
    io,
    (c) => {
      code = c;
    },
    deps,
  );
  for (const command of allCommands(program)) command.exitOverride();
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
