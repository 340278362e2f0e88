import { HashAlgorithm, PatternKind, Signal, UrlMatchScope } from '@signal-mesh/contracts';
import { Command, Option } from 'commander';

import { type CliIo, printError, printJson } from '../io';
import { PATTERN_KINDS, SUBMIT_TYPES, URL_SCOPES } from './submit-request';
import { type ConnectFeed, connectFeed, DEFAULT_FEED_ADDRESS, FEED_EXIT_FAILED, FEED_EXIT_NOT_FOUND, FEED_EXIT_OK, feedErrorOf, feedExitCodeOf, resolveFeedTarget } from './subscription-client';

interface LookupOptions {
  feed?: string;
  keyFile?: string;
  type: string;
  scope?: string;
  patternKind?: string;
}

export function lookupCommand(io: CliIo, setExitCode: (code: number) => void, connect: ConnectFeed = connectFeed): Command {
  const lookup = async (value: string, options: LookupOptions): Promise<number> => {
    let target: Awaited<ReturnType<typeof resolveFeedTarget>>;
    try {
      target = await resolveFeedTarget(io, options);
    } catch (err) {
      const { code, message } = feedErrorOf(err);
      printError(io, code, message);
      return FEED_EXIT_FAILED;
    }
    const client = connect(target.address, target.apiKey);
    try {
      const { view } = await client.lookup({
        signal: {
          type: SUBMIT_TYPES[options.type] ?? 0,
          value,
          urlMatchScope: options.scope === undefined ? UrlMatchScope.URL_MATCH_SCOPE_UNSPECIFIED : (URL_SCOPES[options.scope] ?? UrlMatchScope.URL_MATCH_SCOPE_UNSPECIFIED),
          patternKind: options.patternKind === undefined ? PatternKind.PATTERN_KIND_UNSPECIFIED : (PATTERN_KINDS[options.patternKind] ?? PatternKind.PATTERN_KIND_UNSPECIFIED),
          // Detected by the service from the value's prefix and length.
          hashAlgorithm: HashAlgorithm.HASH_ALGORITHM_UNSPECIFIED,
        },
      });
      if (view === undefined) {
        printError(io, 'VIEW_MISSING', 'the feed service answered without a view');
        return FEED_EXIT_FAILED;
      }
      printJson(io, { view: Signal.toJSON(view) });
      return FEED_EXIT_OK;
    } catch (err) {
      const exitCode = feedExitCodeOf(err);
      const { code, message, status, field } = feedErrorOf(err);
      printJson(io, { error: { code, message, ...(field ? { field } : {}), ...(status ? { status } : {}) } });
      return exitCode;
    } finally {
      client.close();
    }
  };

  return new Command('lookup')
    .description("look up one signal by value in your organisation's view (canonicalized by the service); prints { view }")
    .argument('<value>', 'the raw value: a URL, a model hash (sha256:…, hex, AutoV2) or a prompt pattern')
    .addOption(new Option('--type <type>', 'signal type').choices(Object.keys(SUBMIT_TYPES)).makeOptionMandatory())
    .addOption(new Option('--scope <scope>', 'URL match scope (default exact)').choices(Object.keys(URL_SCOPES)))
    .addOption(new Option('--pattern-kind <kind>', 'prompt pattern kind (default keyword)').choices(Object.keys(PATTERN_KINDS)))
    .option('--feed <host:port>', `feed service gRPC address (default: SIGNAL_MESH_FEED_ADDRESS, else ${DEFAULT_FEED_ADDRESS})`)
    .option('--key-file <path>', "file holding your organisation's API key (default: SIGNAL_MESH_API_KEY)")
    .addHelpText(
      'after',
      `
Example:
  signal-mesh lookup --type url --scope host "https://nudify.example.com/"

Prints { view } (the proto's JSON mapping of the signal as your organisation may see it) or { error: { code,
message, status } }. A signal that does not exist and one you may not see are both NOT_FOUND: exit ${FEED_EXIT_NOT_FOUND}.
Exit codes: 0 found; 1 could not run (usage, key, feed unreachable, authentication); 2 refused (e.g. an invalid
value); ${FEED_EXIT_NOT_FOUND} not found. See docs/cli.md.`,
    )
    .action(async (value: string, options: LookupOptions, command: Command) => {
      if (options.scope !== undefined && options.type !== 'url') command.error('error: --scope is only used with --type url');
      if (options.patternKind !== undefined && options.type !== 'prompt-pattern') command.error('error: --pattern-kind is only used with --type prompt-pattern');
      setExitCode(await lookup(value, options));
    });
}
