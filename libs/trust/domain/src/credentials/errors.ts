/**
 * Credential failure codes. Messages never quote the presented key: an error may be logged, the key must not be.
 * `credentialFailureKind` says how an edge reports each code (gRPC UNAUTHENTICATED / PERMISSION_DENIED /
 * RESOURCE_EXHAUSTED).
 */
export const CREDENTIAL_CODES = [
  'API_KEY_MALFORMED',
  // Unknown key id or wrong secret: one code, so a caller cannot probe which key ids exist.
  'API_KEY_INVALID',
  'API_KEY_REVOKED',
  'API_KEY_EXPIRED',
  'API_KEY_WRONG_SCOPE',
  'TOO_MANY_ATTEMPTS',
] as const;

export type CredentialCode = (typeof CREDENTIAL_CODES)[number];
export type CredentialFailureKind = 'UNAUTHENTICATED' | 'PERMISSION_DENIED' | 'RATE_LIMITED';

export function credentialFailureKind(code: CredentialCode): CredentialFailureKind {
  switch (code) {
    case 'API_KEY_WRONG_SCOPE':
      return 'PERMISSION_DENIED';
    case 'TOO_MANY_ATTEMPTS':
      return 'RATE_LIMITED';
    default:
      return 'UNAUTHENTICATED';
  }
}

export class CredentialError extends Error {
  constructor(
    readonly code: CredentialCode,
    message: string,
  ) {
    super(message);
    this.name = 'CredentialError';
  }
}

export function isCredentialError(err: unknown): err is CredentialError {
  return err instanceof CredentialError;
}
