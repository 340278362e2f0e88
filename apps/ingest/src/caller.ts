import { IngestError } from './errors';
import type { Authenticator, Caller } from './ports';

/** The caller's own key from `x-api-key`, or else an `Authorization: Bearer` header; never from a body field. */
export function apiKeyFrom(get: (name: string) => string | undefined): string | undefined {
  const direct = get('x-api-key')?.trim();
  if (direct) return direct;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(get('authorization') ?? '');
  return bearer?.[1];
}

/** Authenticates the end caller through the trust service (cached there for ≤ 500 ms). */
export async function resolveCaller(authenticator: Authenticator, apiKey: string | undefined): Promise<Caller> {
  if (!apiKey) throw new IngestError('API_KEY_MISSING', 'an API key is required (x-api-key or Authorization: Bearer)');
  return { apiKey, principal: await authenticator.authenticate(apiKey) };
}
