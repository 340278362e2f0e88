import { createInterface } from 'node:readline';

import { canonicalizeSignal, isSignalValidationError, type SignalInput } from '@signal-mesh/signals-domain';
import { Command, Option } from 'commander';

import { type CliIo, printJson } from '../io';

export interface CanonicalizeOptions {
  type: string;
  scope?: string;
  kind?: string;
  algorithm?: string;
}

/** One output line: the canonical signal, or the input with its coded error. */
export function canonicalizeLine(value: string, options: CanonicalizeOptions): { ok: boolean; output: Record<string, unknown> } {
  const input: SignalInput = { type: options.type, value, scope: options.scope, kind: options.kind, algorithm: options.algorithm };
  try {
    const signal = canonicalizeSignal(input);
    return { ok: true, output: { type: signal.type, ...kindFields(signal.kind), canonical: signal.canonical, signalId: signal.signalId, ...(signal.url ?? {}), ...(signal.related ? { related: signal.related } : {}) } };
  } catch (err) {
    if (!isSignalValidationError(err)) throw err;
    return { ok: false, output: { input: value, error: { code: err.code, message: err.message } } };
  }
}

function kindFields(kind: ReturnType<typeof canonicalizeSignal>['kind']): Record<string, string> {
  switch (kind.type) {
    case 'model-hash':
      return { algorithm: kind.algorithm };
    case 'url':
      return { scope: kind.scope };
    case 'prompt-pattern':
      return { kind: kind.kind };
  }
}

export function canonicalizeCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('canonicalize')
    .description('print the canonical value and signal id of each value (argument, or one per line on stdin) as JSON lines')
    .addOption(new Option('-t, --type <type>', 'signal type').choices(['url', 'model-hash', 'prompt-pattern']).makeOptionMandatory())
    .addOption(new Option('-s, --scope <scope>', 'URL match scope').choices(['exact', 'path-prefix', 'host', 'domain']))
    .addOption(new Option('-k, --kind <kind>', 'prompt pattern kind').choices(['keyword', 'regex']))
    .addOption(new Option('-a, --algorithm <algorithm>', 'model hash algorithm when the value does not say').choices(['sha256', 'sha1', 'md5', 'autov2']))
    .argument('[value]', 'the value; omit it (or use -) to read one value per line from stdin')
    .addHelpText('after', '\nExamples:\n  signal-mesh canonicalize --type url "HTTP://Example.COM:80/a/../b#x"\n  signal-mesh canonicalize --type url --scope domain < urls.txt\n  signal-mesh canonicalize --type model-hash "SHA256:ABCD…"\n\nExits 1 when any value is invalid; its line carries error.code and error.message.')
    .action(async (value: string | undefined, options: CanonicalizeOptions) => {
      let failed = false;
      const handle = (line: string) => {
        const { ok, output } = canonicalizeLine(line, options);
        failed ||= !ok;
        printJson(io, output);
      };
      if (value !== undefined && value !== '-') {
        handle(value);
      } else {
        for await (const line of createInterface({ input: io.stdin, crlfDelay: Infinity })) {
          if (line.trim() !== '') handle(line);
        }
      }
      setExitCode(failed ? 1 : 0);
    });
}
