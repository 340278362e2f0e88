import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';

import { type ContributionDraft, IngestServiceClient, type SubmitRequest, type SubmitResponse } from '@signal-mesh/contracts';
import { grpcCredentials, GrpcStatus, Metadata, readErrorDetail, type ServiceError } from '@signal-mesh/transport-grpc';
import { ConfigError } from '@signal-mesh/util-config';
import { Command, InvalidArgumentError, Option } from 'commander';

import { type CliIo, printJson } from '../io';
import { progressBar } from '../progress';
import { resolveApiKey } from './admin.command';
import { DEFAULT_INGEST_ADDRESS, loadSubmitConfig } from './submit-config';
import { SubmitFileError } from './submit-csv';
import { formatOf, openSubmitFile } from './submit-file';
import { MARKINGS, OPINIONS, parseConfidence, parseExternalRef, parseValidUntil, PATTERN_KINDS, SUBMIT_TYPES, SubmitInputError, toDraft, URL_SCOPES } from './submit-request';
import { acceptedJson, type StreamFailure, streamItems, type SubmitStreamCall } from './submit-stream';

const DEADLINE_MS = 10_000;
/** Items in flight on a stream (sent, not yet answered): bounds memory whatever the file size. */
export const STREAM_WINDOW = 256;

/** Exit codes: everything accepted; the run could not be carried out (usage, key, file, transport, auth); some items rejected. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_REJECTED = 2;

/** signalmesh.v1.IngestService as the CLI uses it; the caller's key is already attached. */
export interface IngestClient {
  submit(request: SubmitRequest): Promise<SubmitResponse>;
  submitStream(): SubmitStreamCall;
  close(): void;
}

export type ConnectIngest = (address: string, apiKey: string) => IngestClient;

/** An IngestClient over gRPC (plaintext, as the local stack serves it), sending the key as `x-api-key` on every call. */
export const connectIngest: ConnectIngest = (address, apiKey) => {
  const client = new IngestServiceClient(address, grpcCredentials.createInsecure());
  const metadata = () => {
    const m = new Metadata();
    m.set('x-api-key', apiKey);
    return m;
  };
  return {
    submit: (request) =>
      new Promise((resolve, reject) => {
        client.submit(request, metadata(), { deadline: new Date(Date.now() + DEADLINE_MS) }, (err, res) => (err ? reject(err) : resolve(res)));
      }),
    submitStream: () => client.submitStream(metadata()),
    close: () => client.close(),
  };
};

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as ServiceError).code === 'number' && 'metadata' in err;
}

/** Statuses with which the service judged the contribution itself (exit 2), as opposed to the call failing (exit 1). */
const REJECTION_STATUSES: ReadonlySet<number> = new Set([
  GrpcStatus.INVALID_ARGUMENT,
  GrpcStatus.ALREADY_EXISTS,
  GrpcStatus.FAILED_PRECONDITION,
  GrpcStatus.OUT_OF_RANGE,
  GrpcStatus.NOT_FOUND,
  GrpcStatus.PERMISSION_DENIED,
]);

export interface SubmitError {
  code: string;
  message: string;
  field?: string;
  status?: string;
  /** True when the service refused this contribution; false when the call could not be made or authenticated. */
  rejected: boolean;
}

/**
 * The coded error printed for a failed call: the service's ErrorDetail code when it sent one, INGEST_UNAVAILABLE
 * when it could not be reached, else GRPC_<STATUS>; file and local errors keep their own code. Key problems
 * (API_KEY_*, PERMISSION_DENIED for a key without the contribute scope included) are failures, not rejections.
 */
export function submitErrorOf(err: unknown): SubmitError {
  if (isServiceError(err)) {
    const status = GrpcStatus[err.code] ?? String(err.code);
    const detail = readErrorDetail(err);
    if (detail?.code) {
      const rejected = REJECTION_STATUSES.has(err.code) && !detail.code.startsWith('API_KEY_');
      return { code: detail.code, message: detail.message || err.details, ...(detail.field ? { field: detail.field } : {}), status, rejected };
    }
    if (err.code === GrpcStatus.UNAVAILABLE || err.code === GrpcStatus.DEADLINE_EXCEEDED) return { code: 'INGEST_UNAVAILABLE', message: err.details || err.message, status, rejected: false };
    return { code: `GRPC_${status}`, message: err.details || err.message, status, rejected: REJECTION_STATUSES.has(err.code) && err.code !== GrpcStatus.PERMISSION_DENIED };
  }
  if (err instanceof SubmitInputError) return { code: err.code, message: err.message, field: err.field, rejected: true };
  const coded = err as { code?: unknown; message?: string; syscall?: string };
  if (typeof coded.syscall === 'string') return { code: 'FILE_UNREADABLE', message: coded.message ?? String(err), rejected: false };
  return { code: typeof coded.code === 'string' ? coded.code : 'INTERNAL', message: coded.message ?? String(err), rejected: false };
}

function printSubmitError(io: CliIo, error: SubmitError): void {
  const { rejected: _rejected, ...printed } = error;
  printJson(io, { error: printed });
}

/** SIGNAL_MESH_API_KEY or `--key-file` (admin's resolver); unlike admin, never the operator key file by default. */
async function submitApiKey(io: CliIo, keyFile: string | undefined): Promise<string> {
  if (keyFile === undefined && loadSubmitConfig(io.env).apiKey === undefined) {
    throw Object.assign(new Error('no API key: set SIGNAL_MESH_API_KEY or pass --key-file <path> (a file holding the key)'), { code: 'API_KEY_MISSING' });
  }
  return resolveApiKey(io, keyFile);
}

interface SubmitOptions {
  ingest?: string;
  keyFile?: string;
  type?: string;
  value?: string;
  scope?: string;
  kind?: string;
  category?: string[];
  marking?: string;
  group?: string[];
  org?: string[];
  confidence?: number;
  opinion?: string;
  validUntil?: string;
  note?: string;
  ref?: string[];
  idempotencyKey?: string;
  file?: string;
  format?: string;
  out?: string;
  idempotencyPrefix?: string;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** A local parser as a commander argument parser: its coded message becomes a usage error. */
const asArgParser =
  <T>(parse: (value: string) => T) =>
  (value: string): T => {
    try {
      return parse(value);
    } catch (err) {
      if (err instanceof SubmitInputError) throw new InvalidArgumentError(err.message);
      throw err;
    }
  };

const checkRef = asArgParser((v: string) => (parseExternalRef(v), v));

const SINGLE_ONLY = ['type', 'value', 'scope', 'kind', 'category', 'marking', 'group', 'org', 'confidence', 'opinion', 'validUntil', 'note', 'ref', 'idempotencyKey'];

export function submitCommand(io: CliIo, setExitCode: (code: number) => void, connect: ConnectIngest = connectIngest): Command {
  /** Address and key, resolved before anything is opened; a configuration or key problem is printed (exit 1). */
  const credentials = async (options: SubmitOptions): Promise<{ address: string; apiKey: string } | undefined> => {
    try {
      return { address: options.ingest ?? loadSubmitConfig(io.env).ingest, apiKey: await submitApiKey(io, options.keyFile) };
    } catch (err) {
      printSubmitError(io, err instanceof ConfigError ? { code: err.code, message: err.message, rejected: false } : submitErrorOf(err));
      return undefined;
    }
  };

  const withClient = async (target: { address: string; apiKey: string }, body: (client: IngestClient) => Promise<number>): Promise<number> => {
    const client = connect(target.address, target.apiKey);
    try {
      return await body(client);
    } finally {
      client.close();
    }
  };

  const submitOne = async (options: SubmitOptions): Promise<number> => {
    let contribution: ContributionDraft;
    try {
      contribution = toDraft({
        type: options.type,
        value: options.value,
        scope: options.scope,
        kind: options.kind,
        categories: options.category,
        marking: options.marking,
        sharingGroups: options.group,
        namedOrgs: options.org,
        confidence: options.confidence,
        opinion: options.opinion,
        validUntil: options.validUntil,
        evidenceNote: options.note,
        externalRefs: options.ref,
      });
    } catch (err) {
      printSubmitError(io, { ...submitErrorOf(err), rejected: false });
      return EXIT_FAILED;
    }
    const target = await credentials(options);
    if (target === undefined) return EXIT_FAILED;
    return withClient(target, async (client) => {
      try {
        const { result } = await client.submit({ contribution, idempotencyKey: options.idempotencyKey ?? '' });
        if (result === undefined) {
          printSubmitError(io, { code: 'RESULT_MISSING', message: 'ingest answered without a result', rejected: false });
          return EXIT_FAILED;
        }
        printJson(io, acceptedJson(result));
        return EXIT_OK;
      } catch (err) {
        const error = submitErrorOf(err);
        printSubmitError(io, error);
        return error.rejected ? EXIT_REJECTED : EXIT_FAILED;
      }
    });
  };

  /** Opens the file (or stdin) and the output, and reads a CSV header, all before connecting: a bad file is refused unsent. */
  const openFile = async (path: string, options: SubmitOptions) => {
    const stdin = path === '-';
    const format = formatOf(stdin ? '-' : path, options.format);
    let input: Readable = io.stdin;
    let size = 0;
    if (!stdin) {
      const handle = await open(path, 'r');
      const info = await handle.stat();
      if (!info.isFile()) {
        await handle.close();
        throw new SubmitFileError('FILE_UNREADABLE', `${path} is not a regular file`);
      }
      size = info.size;
      input = handle.createReadStream({ highWaterMark: 64 * 1024 });
    }
    try {
      const items = await openSubmitFile(input, format, { idempotencyPrefix: options.idempotencyPrefix });
      let out: WriteStream | undefined;
      if (options.out !== undefined) {
        const stream = createWriteStream(options.out);
        await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject));
        out = stream;
      }
      return { input, size: stdin ? undefined : size, items, out };
    } catch (err) {
      input.destroy();
      throw err;
    }
  };

  const submitFile = async (path: string, options: SubmitOptions): Promise<number> => {
    const target = await credentials(options);
    if (target === undefined) return EXIT_FAILED;
    let file: Awaited<ReturnType<typeof openFile>>;
    try {
      file = await openFile(path, options);
    } catch (err) {
      printSubmitError(io, submitErrorOf(err));
      return EXIT_FAILED;
    }
    const { input, size, items, out } = file;
    try {
      return await withClient(target, async (client) => {
        const call = client.submitStream();
        let outError: Error | undefined;
        out?.on('error', (err) => {
          outError = err;
          call.cancel();
        });
        const bar = size === undefined ? undefined : progressBar(io, size, 'submit');
        const { summary, failure } = await streamItems(call, items, { window: STREAM_WINDOW, sink: out ?? io.stdout, onResult: (_result, end) => bar?.update(end) });
        if (failure === undefined) bar?.finish();
        else if (bar && io.stderr.isTTY) io.stderr.write('\n');
        if (out && outError === undefined) await new Promise<void>((resolve) => out.end(() => resolve()));
        io.stderr.write(`signal-mesh: submit: ${summary.text()}\n`);
        const stopped: StreamFailure | undefined = outError
          ? { ...failure, error: Object.assign(new Error(`cannot write ${options.out}: ${outError.message}`), { code: 'OUT_UNWRITABLE' }), unanswered: failure?.unanswered ?? 0 }
          : failure;
        if (stopped) {
          reportStop(io, stopped, options.idempotencyPrefix !== undefined);
          return EXIT_FAILED;
        }
        return summary.rejected > 0 ? EXIT_REJECTED : EXIT_OK;
      });
    } finally {
      input.destroy();
      out?.destroy();
    }
  };

  return new Command('submit')
    .description('submit one contribution (--type/--value …) or a CSV / JSON-lines file of them (--file) to the ingest service')
    .option('--ingest <host:port>', `ingest service gRPC address (default: SIGNAL_MESH_INGEST, else ${DEFAULT_INGEST_ADDRESS})`)
    .option('--key-file <path>', 'file holding your organisation\'s API key (default: SIGNAL_MESH_API_KEY)')
    .addOption(new Option('--type <type>', 'signal type').choices(Object.keys(SUBMIT_TYPES)))
    .option('--value <value>', 'the raw value: a URL, a model hash (sha256:…, hex, AutoV2) or a prompt pattern')
    .addOption(new Option('--scope <scope>', 'URL match scope (default exact)').choices(Object.keys(URL_SCOPES)))
    .addOption(new Option('--kind <kind>', 'prompt pattern kind (default keyword)').choices(Object.keys(PATTERN_KINDS)))
    .addOption(new Option('--category <category>', 'category from the controlled vocabulary, e.g. service.nudify; repeatable').argParser(collect))
    .addOption(new Option('--marking <marking>', 'TLP 2.0 marking').choices(Object.keys(MARKINGS)))
    .addOption(new Option('--group <groupId>', 'sharing group id (the audience of AMBER); repeatable').argParser(collect))
    .addOption(new Option('--org <orgId>', 'named organisation id (the audience of AMBER_STRICT and RED); repeatable').argParser(collect))
    .addOption(new Option('--confidence <0-100>', 'your confidence').argParser(asArgParser(parseConfidence)))
    .addOption(new Option('--opinion <opinion>', 'positive (default) or negative').choices(Object.keys(OPINIONS)))
    .addOption(new Option('--valid-until <date>', 'ISO 8601 expiry, e.g. 2027-01-01T00:00:00Z').argParser(asArgParser((v) => (parseValidUntil(v), v))))
    .option('--note <text>', 'short evidence note (never content)')
    .addOption(new Option('--ref <system:id[:url]>', 'external reference, e.g. hotline-case:123:https://example.com/cases/123; repeatable').argParser((v: string, previous: string[] | undefined) => collect(checkRef(v), previous)))
    .option('--idempotency-key <key>', 'makes a retry of this submission safe (same key, same body: the stored result, replayed)')
    .addOption(new Option('--file <path>', 'CSV or JSON-lines file of contributions ("-": stdin, with --format)').conflicts(SINGLE_ONLY))
    .addOption(new Option('--format <format>', 'file format (default: from the file extension)').choices(['csv', 'jsonl']))
    .option('--out <path>', 'with --file: write the per-item result lines here instead of stdout')
    .option('--idempotency-prefix <prefix>', 'with --file: items without an idempotency_key get "<prefix>:<line>", so a rerun is safe')
    .addHelpText(
      'after',
      `
Examples:
  signal-mesh submit --type url --value "https://nudify.example.com/app" --scope host \\
    --category service.nudify --marking green --confidence 90
  signal-mesh submit --file signals.csv --idempotency-prefix signals-2026-01-15 > results.jsonl

The API key comes from SIGNAL_MESH_API_KEY or --key-file, never from a flag value: command-line arguments end up
in shell history and are visible to other users in ps. It is sent as x-api-key metadata and never printed.

One value prints { contributionId, signalId, type, canonicalValue, replayed } or { error: { code, message, field,
status } }. A file prints one JSON line per item ({ line, index, … } or { line, index, error }) in file order, a
progress bar on stderr when it is a terminal, and a summary on stderr. CSV columns / JSON-lines keys (snake_case):
type, value, scope, kind, categories, marking, sharing_groups, named_orgs, confidence, opinion, valid_until,
evidence_note, external_refs, idempotency_key (lists: ";"-separated). client_item_id is the item's line number.

Exit codes: 0 all accepted; 2 some (or the one) rejected; 1 not carried out (usage, key, file, ingest unreachable,
authentication) or stopped part-way (rerun with the same --idempotency-prefix: done items are replayed).
See docs/cli.md.`,
    )
    .action(async (options: SubmitOptions, command: Command) => {
      if (options.file !== undefined) {
        setExitCode(await submitFile(options.file, options));
        return;
      }
      for (const flag of ['format', 'out', 'idempotencyPrefix'] as const) {
        if (options[flag] !== undefined) command.error(`error: --${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is only used with --file`);
      }
      const missing = (['type', 'value', 'category', 'marking'] as const).filter((flag) => options[flag] === undefined);
      if (missing.length > 0) command.error(`error: ${missing.map((f) => `--${f}`).join(', ')} required (or --file <path>)`);
      setExitCode(await submitOne(options));
    });
}

function reportStop(io: CliIo, stopped: StreamFailure, prefixed: boolean): void {
  const error = submitErrorOf(stopped.error);
  const unanswered = stopped.unanswered > 0 ? `; ${stopped.unanswered} item(s) sent from line ${stopped.firstUnansweredLine ?? '?'} got no answer (outcome unknown)` : '';
  const advice = prefixed ? 'rerun with the same --idempotency-prefix: items already stored are replayed, not stored twice' : 'items without an idempotency key may be stored twice by a rerun; use --idempotency-prefix';
  io.stderr.write(`signal-mesh: submit: stopped: ${error.code}: ${error.message}${unanswered}; ${advice}\n`);
  printSubmitError(io, error);
}
