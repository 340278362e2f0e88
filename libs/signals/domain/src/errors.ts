/**
 * The closed set of validation codes. Every transport reports them the same way (gRPC ErrorDetail.code, REST
 * `error.code`, CLI output); proto/signalmesh/v1/error.proto lists them as `ERROR_CODE_<code>` and a workspace test
 * keeps the two lists equal. Messages are for humans and may change; codes never do.
 */
export const VALIDATION_CODES = [
  'VALUE_REQUIRED',
  'VALUE_TOO_LONG',
  'UNSUPPORTED_SIGNAL_TYPE',
  // Model hashes
  'INVALID_HASH_LENGTH',
  'INVALID_HASH_CHARACTERS',
  'UNSUPPORTED_HASH_ALGORITHM',
  'HASH_ALGORITHM_MISMATCH',
  // URLs
  'URL_INVALID',
  'UNSUPPORTED_SCHEME',
  'URL_EMPTY_HOST',
  'URL_INVALID_HOST',
  'URL_INVALID_PORT',
  'UNSUPPORTED_MATCH_SCOPE',
  'URL_SCOPE_UNAVAILABLE',
  // Prompt patterns
  'PATTERN_EMPTY',
  'UNSUPPORTED_PATTERN_KIND',
  'REGEX_NOT_RE2',
  'REGEX_TOO_LARGE',
  // Model files (fingerprinting)
  'SAFETENSORS_HEADER_TRUNCATED',
  'SAFETENSORS_HEADER_TOO_LARGE',
  'SAFETENSORS_HEADER_INVALID',
  'SAFETENSORS_TENSOR_OUT_OF_BOUNDS',
  'FILE_TRUNCATED',
  // Contributions (categories, marking and audience, opinion, free text, references, idempotency)
  'CATEGORIES_REQUIRED',
  'TOO_MANY_CATEGORIES',
  'UNKNOWN_CATEGORY',
  'CATEGORY_TYPE_MISMATCH',
  'UNKNOWN_MARKING',
  'SHARING_GROUP_REQUIRED',
  'NAMED_ORG_REQUIRED',
  'AUDIENCE_NOT_APPLICABLE',
  'TOO_MANY_IDS',
  'ID_INVALID',
  'CONFIDENCE_OUT_OF_RANGE',
  'UNKNOWN_OPINION',
  'DISPUTE_REASON_REQUIRED',
  'DISPUTE_REASON_NOT_APPLICABLE',
  'VALID_UNTIL_NOT_IN_FUTURE',
  'TEXT_TOO_LONG',
  'TOO_MANY_REFS',
  'REF_INVALID',
  'SECRET_DETECTED',
  'IDEMPOTENCY_KEY_INVALID',
] as const;

export type ValidationCode = (typeof VALIDATION_CODES)[number];

/** A value that cannot become a signal, with a stable code and, when it applies, the offending field. */
export class SignalValidationError extends Error {
  constructor(
    readonly code: ValidationCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'SignalValidationError';
  }
}

export function isSignalValidationError(err: unknown): err is SignalValidationError {
  return err instanceof SignalValidationError;
}
