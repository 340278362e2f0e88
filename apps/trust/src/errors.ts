import { GrpcStatus } from '@signal-mesh/transport-grpc';
import { CREDENTIAL_CODES,type CredentialCode, credentialFailureKind } from '@signal-mesh/trust-domain';

export type GrpcStatusCode = GrpcStatus;

/** Codes the service itself raises (credential codes come from @signal-mesh/trust-domain). */
export const TRUST_SERVICE_CODES = [
  'API_KEY_MISSING',
  'ORGANISATION_SUSPENDED',
  'NOT_OPERATOR',
  'ORGANISATION_NOT_FOUND',
  'API_KEY_NOT_FOUND',
  'SHARING_GROUP_NOT_FOUND',
  'NOT_KEY_OWNER',
  'NOT_OWN_VIEW',
  'API_KEY_NOT_ROTATABLE',
  'INVALID_ARGUMENT',
  'TRUST_EVENT_NOT_PUBLISHED',
] as const;
export type TrustServiceCode = (typeof TRUST_SERVICE_CODES)[number];

export class TrustServiceError extends Error {
  constructor(
    readonly code: TrustServiceCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'TrustServiceError';
  }
}

const serviceStatus: Record<TrustServiceCode, GrpcStatusCode> = {
  API_KEY_MISSING: GrpcStatus.UNAUTHENTICATED,
  // The proto: a suspended organisation cannot authenticate.
  ORGANISATION_SUSPENDED: GrpcStatus.UNAUTHENTICATED,
  NOT_OPERATOR: GrpcStatus.PERMISSION_DENIED,
  ORGANISATION_NOT_FOUND: GrpcStatus.NOT_FOUND,
  API_KEY_NOT_FOUND: GrpcStatus.NOT_FOUND,
  SHARING_GROUP_NOT_FOUND: GrpcStatus.NOT_FOUND,
  // Another organisation's key, or an unknown one: the same answer, so key ids cannot be probed.
  NOT_KEY_OWNER: GrpcStatus.PERMISSION_DENIED,
  NOT_OWN_VIEW: GrpcStatus.PERMISSION_DENIED,
  // Revoked or expired keys are not rotated (issue a new one).
  API_KEY_NOT_ROTATABLE: GrpcStatus.FAILED_PRECONDITION,
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  TRUST_EVENT_NOT_PUBLISHED: GrpcStatus.UNAVAILABLE,
};

const credentialStatus = { UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED, PERMISSION_DENIED: GrpcStatus.PERMISSION_DENIED, RATE_LIMITED: GrpcStatus.RESOURCE_EXHAUSTED } as const;

const isCredentialCode = (code: string): code is CredentialCode => (CREDENTIAL_CODES as readonly string[]).includes(code);
const isServiceCode = (code: string): code is TrustServiceCode => (TRUST_SERVICE_CODES as readonly string[]).includes(code);

/** The one mapping from error codes to gRPC status; undefined (→ INTERNAL) for anything not meant for callers. */
export function grpcStatusFor(code: string): GrpcStatusCode | undefined {
  if (isCredentialCode(code)) return credentialStatus[credentialFailureKind(code)];
  if (isServiceCode(code)) return serviceStatus[code];
  if (code === 'DUPLICATE_KEY') return GrpcStatus.ALREADY_EXISTS;
  return undefined;
}

/** Statuses that mean "the caller was refused", which the audit log records. */
export function isDenial(status: number | undefined): boolean {
  return status === GrpcStatus.UNAUTHENTICATED || status === GrpcStatus.PERMISSION_DENIED || status === GrpcStatus.RESOURCE_EXHAUSTED;
}
