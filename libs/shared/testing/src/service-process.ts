import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The repository root (this file is libs/shared/testing/src/service-process.ts, or its dist twin). */
export const REPO_ROOT = join(__dirname, '..', '..', '..', '..');

export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly grpcAddress: string;
  readonly httpUrl: string;
  /** Every line the service wrote (JSON logs on stdout, anything on stderr). */
  readonly logs: string[];
  /** SIGTERM and wait for the exit (graceful shutdown); resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (a crash) and wait for the exit. */
  kill(): Promise<void>;
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;
const waitExit = (child: ChildProcess): Promise<number | null> => (exited(child) ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code))));

/**
 * Starts a BUILT service (`apps/<app>/dist/main.js`) as a child process, the way it runs in production, on free ports,
 * and resolves once its /readyz answers 200. Integration suites use it because apps may not import each other; the
 * suite's `integration` target must depend on the app's build (nx `implicitDependencies`).
 */
export async function startServiceProcess(app: string, env: Record<string, string>, options: { readyTimeoutMs?: number } = {}): Promise<ServiceProcess> {
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [join(REPO_ROOT, 'apps', app, 'dist', 'main.js')], {
    cwd: REPO_ROOT,
    env: { ...process.env, SERVICE_NAME: app, GRPC_PORT: String(grpcPort), HTTP_PORT: String(httpPort), SHUTDOWN_GRACE_MS: '2000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let buffered = '';
    stream?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      logs.push(...lines.filter(Boolean));
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  const service: ServiceProcess = {
    name: app,
    child,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    logs,
    async stop() {
      if (!exited(child)) child.kill('SIGTERM');
      return waitExit(child);
    },
    async kill() {
      if (!exited(child)) child.kill('SIGKILL');
      await waitExit(child);
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exited(child)) throw new Error(`${app} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${logs.slice(-20).join('\n')}`);
    try {
      if ((await fetch(`${service.httpUrl}/readyz`)).ok) return service;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await service.kill();
      throw new Error(`${app} was not ready within ${options.readyTimeoutMs ?? 60_000} ms:\n${logs.slice(-20).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
