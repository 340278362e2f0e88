import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { descriptorSetBase64 } from '@signal-mesh/contracts';
import type { Logger } from '@signal-mesh/util-logging';
import { HealthImplementation } from 'grpc-health-check';

export interface GrpcServiceBinding {
  /** Fully qualified name, e.g. `signalmesh.v1.TrustService`: the key health checks use. */
  name: string;
  definition: ServiceDefinition;
  implementation: UntypedServiceImplementation;
}

export interface GrpcServerOptions {
  host: string;
  port: number;
  services: readonly GrpcServiceBinding[];
  logger: Logger;
  credentials?: ServerCredentials;
  /** Largest request accepted; bigger ones fail with RESOURCE_EXHAUSTED before any handler runs. */
  maxReceiveMessageBytes?: number;
}

const descriptorSet = Buffer.from(descriptorSetBase64, 'base64');

/**
 * A grpc-js server with the standard health service (grpc.health.v1) and server reflection for the shared schema
 * on every instance. Health starts NOT_SERVING and turns SERVING when the app says it is ready.
 */
export class GrpcServer {
  private constructor(
    private readonly server: Server,
    private readonly health: HealthImplementation,
    private readonly serviceNames: readonly string[],
    private readonly logger: Logger,
    readonly port: number,
  ) {}

  static async start(options: GrpcServerOptions): Promise<GrpcServer> {
    const server = new Server({
      'grpc.max_receive_message_length': options.maxReceiveMessageBytes ?? 4 * 1024 * 1024,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
    });
    const names = options.services.map((s) => s.name);
    const health = new HealthImplementation(Object.fromEntries(['', ...names].map((n) => [n, 'NOT_SERVING' as const])));
    health.addToServer(server);
    new ReflectionService(loadFileDescriptorSetFromBuffer(descriptorSet)).addToServer(server);
    for (const s of options.services) server.addService(s.definition, s.implementation);

    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${options.host}:${options.port}`, options.credentials ?? ServerCredentials.createInsecure(), (err, bound) =>
        err ? reject(err) : resolve(bound),
      ),
    );
    const logger = options.logger.child({ component: 'grpc-server', port });
    logger.info({ services: names }, 'gRPC server listening');
    return new GrpcServer(server, health, names, logger, port);
  }

  /** Readiness as the health service reports it, for the server as a whole and each service. */
  setServing(serving: boolean): void {
    const value = serving ? 'SERVING' : 'NOT_SERVING';
    for (const name of ['', ...this.serviceNames]) this.health.setStatus(name, value);
  }

  /**
   * Graceful stop: report NOT_SERVING, let in-flight calls finish for up to `graceMs`, then cancel what remains
   * (open streams included) so shutdown always completes.
   */
  async shutdown(graceMs = 10_000): Promise<void> {
    this.setServing(false);
    const graceful = new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const outcome = await Promise.race([graceful, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn({ graceMs }, 'calls still running after the grace period; cancelling them');
      this.server.forceShutdown();
    }
    this.logger.info('gRPC server stopped');
  }
}
