import { readFile } from 'node:fs/promises';

import { ConfigError } from '@signal-mesh/util-config';
import { Command, InvalidArgumentError } from 'commander';

import { DEFAULT_DELISTING_URL, loadDelistingConfig } from '../config';
import { type CliIo, printJson } from '../io';
import { resolveApiKey } from './admin.command';
import { DELISTING_EXIT_FAILED, DELISTING_EXIT_OK, DELISTING_EXIT_REFUSED, DELISTING_EXIT_VERIFY, type DelistingHttp, DelistingPullError, nodeHttp } from './delisting-http';
import { pullList, statePath } from './delisting-pull';

interface PullCommandOptions {
  list: string;
  out: string;
  url?: string;
  keyFile?: string;
  publicKey?: string;
  forceSnapshot?: boolean;
  trustNewKey?: boolean;
  pageSize?: number;
}

const LIST_ID_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

function parseListId(value: string): string {
  if (!LIST_ID_RE.test(value)) throw new InvalidArgumentError('must be a list id: lowercase letters, digits and dashes, e.g. nudify-services');
  return value;
}

function parsePageSize(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n < 1 || n > 10_000) throw new InvalidArgumentError('must be an integer from 1 to 10000');
  return n;
}

/** The coded error line; never the key, never a stack. */
function errorOf(err: unknown): { code: string; message: string; hint?: string; status?: number; exitCode: number } {
  if (err instanceof DelistingPullError) return { code: err.code, message: err.message, ...err.extra, exitCode: err.exitCode };
  if (err instanceof ConfigError) return { code: err.code, message: err.message, exitCode: DELISTING_EXIT_FAILED };
  const coded = err as { code?: unknown; message?: string };
  return { code: typeof coded.code === 'string' ? coded.code : 'INTERNAL', message: coded.message ?? String(err), exitCode: DELISTING_EXIT_FAILED };
}

/** `signal-mesh delisting pull`: see docs/cli.md, "Delisting lists". */
export function delistingCommand(io: CliIo, setExitCode: (code: number) => void, http: DelistingHttp = nodeHttp): Command {
  const pull = async (options: PullCommandOptions): Promise<number> => {
    try {
      const config = loadDelistingConfig(io.env);
      if (options.keyFile === undefined && config.apiKey === undefined) {
        throw Object.assign(new Error('no API key: set SIGNAL_MESH_API_KEY or pass --key-file <path> (a file holding the key)'), { code: 'API_KEY_MISSING' });
      }
      const apiKey = await resolveApiKey(io, options.keyFile);
      let publicKeyPem: string | undefined;
      if (options.publicKey !== undefined) {
        try {
          publicKeyPem = await readFile(options.publicKey, 'utf8');
        } catch (err) {
          throw new DelistingPullError('PUBLIC_KEY_UNREADABLE', `cannot read ${options.publicKey} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, DELISTING_EXIT_FAILED);
        }
      }
      const summary = await pullList(
        { baseUrl: options.url ?? config.delistingUrl, apiKey },
        {
          listId: options.list,
          out: options.out,
          ...(publicKeyPem === undefined ? {} : { publicKeyPem }),
          ...(options.forceSnapshot ? { forceSnapshot: true } : {}),
          ...(options.trustNewKey ? { trustNewKey: true } : {}),
          ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
        },
        http,
        (message) => io.stderr.write(`signal-mesh: ${message}\n`),
      );
      if (summary.status === 'up-to-date') io.stderr.write(`signal-mesh: ${summary.listId} is up to date at version ${summary.toVersion}\n`);
      printJson(io, summary);
      return DELISTING_EXIT_OK;
    } catch (err) {
      const { exitCode, ...error } = errorOf(err);
      printJson(io, { error });
      return exitCode;
    }
  };

  const pullCommand = new Command('pull')
    .description('keep a local copy of a delisting list current: snapshot the first time, changes after; verified against the signed manifest')
    .requiredOption('--list <listId>', 'list id, e.g. nudify-services', parseListId)
    .requiredOption('--out <file>', `the local list (canonical NDJSON); its state goes to <file>.state.json`)
    .option('--url <baseUrl>', `delisting service HTTP base URL (default: SIGNAL_MESH_DELISTING_URL, else ${DEFAULT_DELISTING_URL})`)
    .option('--key-file <path>', "file holding your organisation's API key (default: SIGNAL_MESH_API_KEY)")
    .option('--public-key <file>', 'verify with this PEM public key instead of pinning the published key on first use')
    .option('--force-snapshot', 'replace the local copy with a fresh snapshot (e.g. after LOCAL_LIST_TAMPERED)')
    .option('--trust-new-key', 'accept and pin a signing key other than the pinned one (after checking it out of band)')
    .option('--page-size <n>', 'changes per request (1–10000; default: the service default)', parsePageSize)
    .addHelpText(
      'after',
      `
Example:
  SIGNAL_MESH_API_KEY=… signal-mesh delisting pull --list nudify-services --out nudify-services.ndjson

Prints one JSON line: { listId, out, status: snapshot|updated|up-to-date, fromVersion, toVersion, added, removed,
updated, entryCount, requests, bytesTransferred, fallback? } or { error: { code, message, hint? } }.
State: ${statePath('<file>')} (version, ETag, pinned key id, signed manifest).
Exit codes: ${DELISTING_EXIT_OK} done; ${DELISTING_EXIT_FAILED} could not run (usage, key, service unreachable, authentication or permission);
${DELISTING_EXIT_REFUSED} refused by the service; ${DELISTING_EXIT_VERIFY} verification failed (LOCAL_LIST_TAMPERED, LOCAL_STATE_TAMPERED, BAD_SIGNATURE,
DIGEST_MISMATCH, SIGNING_KEY_CHANGED, …). See docs/cli.md.`,
    )
    .action(async (options: PullCommandOptions) => {
      setExitCode(await pull(options));
    });

  return new Command('delisting').description('search engines: pull versioned, signed delisting lists').addCommand(pullCommand);
}
