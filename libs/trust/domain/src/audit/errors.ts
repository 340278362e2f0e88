export const AUDIT_CODES = ['AUDIT_ENTRY_INVALID', 'AUDIT_DETAIL_INVALID', 'AUDIT_DETAIL_FORBIDDEN'] as const;
export type AuditCode = (typeof AUDIT_CODES)[number];

/** An entry that may not enter the audit log; the message names the field, never its value. */
export class AuditError extends Error {
  constructor(
    readonly code: AuditCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AuditError';
  }
}
