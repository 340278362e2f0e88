/** What a readiness probe reports: `ready` plus one flag per dependency (e.g. `mongo`, `grpc`, `consumer`). */
export type ServiceReadiness = { ready: boolean } & Record<string, boolean>;

/**
 * A service's connections and servers, outside any framework. Nest only drives the lifecycle: `start()` after the
 * HTTP probes listen, `stop()` on shutdown (must be idempotent: Nest calls it from two hooks).
 */
export interface ServiceRuntime {
  start(): Promise<void>;
  stop(): Promise<void>;
  readiness(): Promise<ServiceReadiness>;
  /**
   * Operator hook (POST /ops/consumers/pause when OPS_ENDPOINTS=true): stop fetching on every consumer while staying in
   * the groups, so lag builds up and readiness is unchanged. Optional: a runtime without consumers leaves it out.
   */
  pauseConsumers?(): Promise<void>;
  /** Undoes pauseConsumers. */
  resumeConsumers?(): Promise<void>;
}

/** Injection token of the runtime inside the Nest module built by createServiceApp. */
export const SERVICE_RUNTIME = Symbol('SERVICE_RUNTIME');
