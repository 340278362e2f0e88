import { env, type EnvSource, loadConfig, mongoSection, type ResolvedConfig, secret } from '@signal-mesh/util-config';
import { z } from 'zod';

/** What the audit commands read from the environment: MONGODB_URI, MONGODB_DATABASE (default 'signalmesh'). */
export const auditConfigShape = { mongo: mongoSection };
export type AuditConfig = ResolvedConfig<typeof auditConfigShape>;

/** What the admin commands read from the environment: SIGNAL_MESH_API_KEY (optional; else the key file). */
export const adminConfigShape = { apiKey: secret('SIGNAL_MESH_API_KEY', z.string().min(1).optional()) };
export type AdminConfig = ResolvedConfig<typeof adminConfigShape>;

/** The CLI's only way into the environment: util-config (process.env unless the caller passes a source). */
export function loadAuditConfig(source?: EnvSource): AuditConfig {
  return loadConfig(auditConfigShape, source);
}

export function loadAdminConfig(source?: EnvSource): AdminConfig {
  return loadConfig(adminConfigShape, source);
}

export const DEFAULT_FEED_ADDRESS = '127.0.0.1:50065';

/**
 * What the feed commands (subscribe, lookup, subscription) read from the environment: SIGNAL_MESH_FEED_ADDRESS
 * (host:port, like SIGNAL_MESH_INGEST for submit) and SIGNAL_MESH_API_KEY (optional; else --key-file).
 */
export const feedConfigShape = {
  feed: env('SIGNAL_MESH_FEED_ADDRESS', z.string().regex(/^[^\s/]+:\d{1,5}$/, 'must be host:port').default(DEFAULT_FEED_ADDRESS)),
  apiKey: secret('SIGNAL_MESH_API_KEY', z.string().min(1).optional()),
};
export type FeedConfig = ResolvedConfig<typeof feedConfigShape>;

export function loadFeedConfig(source?: EnvSource): FeedConfig {
  return loadConfig(feedConfigShape, source);
}

export const DEFAULT_DELISTING_URL = 'http://127.0.0.1:8066';

/**
 * What `delisting pull` reads from the environment: SIGNAL_MESH_DELISTING_URL (the delisting service's HTTP base URL)
 * and SIGNAL_MESH_API_KEY (optional; else --key-file).
 */
export const delistingConfigShape = {
  delistingUrl: env('SIGNAL_MESH_DELISTING_URL', z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL').default(DEFAULT_DELISTING_URL)),
  apiKey: secret('SIGNAL_MESH_API_KEY', z.string().min(1).optional()),
};
export type DelistingConfig = ResolvedConfig<typeof delistingConfigShape>;

export function loadDelistingConfig(source?: EnvSource): DelistingConfig {
  return loadConfig(delistingConfigShape, source);
}
