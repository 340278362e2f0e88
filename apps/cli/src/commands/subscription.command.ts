import { Command } from 'commander';

import { type CliIo, printError, printJson } from '../io';
import { filterOptions } from './subscribe.command';
import {
  type ConnectFeed,
  connectFeed,
  DEFAULT_FEED_ADDRESS,
  FEED_EXIT_FAILED,
  FEED_EXIT_NOT_FOUND,
  FEED_EXIT_OK,
  type FeedClient,
  feedErrorOf,
  feedExitCodeOf,
  type FilterOptions,
  isEmptyFilter,
  resolveFeedTarget,
  subscriptionJson,
  toFilter,
} from './subscription-client';

interface ConnectionOptions {
  feed?: string;
  keyFile?: string;
}

export function subscriptionCommand(io: CliIo, setExitCode: (code: number) => void, connect: ConnectFeed = connectFeed): Command {
  const subscription = new Command('subscription')
    .description("your organisation's stored default feed filter: what subscribe uses when given no filter flags")
    .option('--feed <host:port>', `feed service gRPC address (default: SIGNAL_MESH_FEED_ADDRESS, else ${DEFAULT_FEED_ADDRESS})`)
    .option('--key-file <path>', "file holding your organisation's API key (default: SIGNAL_MESH_API_KEY)")
    .addHelpText(
      'after',
      `
Each command prints { subscription: { filter: { types, categories, minConfidence }, updatedAt } } or { error }.
Exit codes: 0 done; 1 could not run (usage, key, feed unreachable, authentication); 2 refused (e.g. an unknown
category); ${FEED_EXIT_NOT_FOUND} get: no subscription stored. Streams already open keep their filter. See docs/cli.md.`,
    );

  /** Resolves the key, connects, runs one RPC and prints its result or its coded error; sets the exit code. */
  const rpc = async (command: Command, body: (client: FeedClient) => Promise<Record<string, unknown>>) => {
    const options = command.optsWithGlobals<ConnectionOptions>();
    let target: Awaited<ReturnType<typeof resolveFeedTarget>>;
    try {
      target = await resolveFeedTarget(io, options);
    } catch (err) {
      const { code, message } = feedErrorOf(err);
      printError(io, code, message);
      setExitCode(FEED_EXIT_FAILED);
      return;
    }
    const client = connect(target.address, target.apiKey);
    try {
      printJson(io, await body(client));
      setExitCode(FEED_EXIT_OK);
    } catch (err) {
      const { code, message, status, field } = feedErrorOf(err);
      printJson(io, { error: { code, message, ...(field ? { field } : {}), ...(status ? { status } : {}) } });
      setExitCode(feedExitCodeOf(err));
    } finally {
      client.close();
    }
  };

  subscription
    .command('get')
    .description('print the stored subscription')
    .action(async (_options: unknown, command: Command) => {
      await rpc(command, async (client) => ({ subscription: subscriptionJson((await client.getSubscription()).subscription) }));
    });

  const set = subscription
    .command('set')
    .description('REPLACE the stored filter (never merged: what is not given is no longer filtered on)');
  for (const option of filterOptions()) set.addOption(option);
  set.addHelpText('after', '\nExample: signal-mesh subscription set --types url,model-hash --categories service.nudify --min-confidence 50').action(async (options: FilterOptions, command: Command) => {
    if (isEmptyFilter(options)) command.error('error: give at least one of --types, --categories, --min-confidence (use "subscription clear" to remove the filter)');
    await rpc(command, async (client) => ({ subscription: subscriptionJson((await client.setSubscription({ filter: toFilter(options) })).subscription) }));
  });

  subscription
    .command('clear')
    .description('remove the stored filter (an empty filter): subscribe then receives your whole view')
    .action(async (_options: unknown, command: Command) => {
      await rpc(command, async (client) => ({ subscription: subscriptionJson((await client.setSubscription({ filter: toFilter({}) })).subscription) }));
    });

  return subscription;
}
