/** The caller's own key from `x-api-key`, or else an `Authorization: Bearer` header. */
export function apiKeyFrom(get: (name: string) => string | undefined): string | undefined {
  const direct = get('x-api-key')?.trim();
  if (direct) return direct;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(get('authorization') ?? '');
  return bearer?.[1];
}
