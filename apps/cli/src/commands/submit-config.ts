import { env, type EnvSource, loadConfig, type ResolvedConfig, secret } from '@signal-mesh/util-config';
import { z } from 'zod';

export const DEFAULT_INGEST_ADDRESS = '127.0.0.1:50062';

/** What `submit` reads from the environment: SIGNAL_MESH_INGEST (host:port) and SIGNAL_MESH_API_KEY (optional). */
export const submitConfigShape = {
  ingest: env('SIGNAL_MESH_INGEST', z.string().regex(/^[^\s/]+:\d{1,5}$/, 'must be host:port').default(DEFAULT_INGEST_ADDRESS)),
  apiKey: secret('SIGNAL_MESH_API_KEY', z.string().min(1).optional()),
};
export type SubmitConfig = ResolvedConfig<typeof submitConfigShape>;

export function loadSubmitConfig(source?: EnvSource): SubmitConfig {
  return loadConfig(submitConfigShape, source);
}
