import type { EnumMapping } from './enums';
import { EventMappingError } from './event-mapping.error';

/**
 * Structural checks on a decoded message, each failure an EventMappingError with the reader's code and the field's
 * path. proto3 cannot tell an unset scalar from its default, so "present" means non-empty for strings and
 * non-UNSPECIFIED for enums.
 */
export class FieldReader {
  constructor(
    private readonly code: 'INVALID_SUBMISSION' | 'INVALID_STATE',
    private readonly prefix = '',
  ) {}

  /** A reader for a nested message. */
  at(path: string): FieldReader {
    return new FieldReader(this.code, this.path(path));
  }

  fail(field: string, message: string): never {
    const path = this.path(field);
    throw new EventMappingError(this.code, `${path}: ${message}`, path);
  }

  present<T>(value: T | undefined, field: string): T {
    if (value === undefined || value === null) this.fail(field, 'is required');
    return value;
  }

  text(value: string, field: string): string {
    if (typeof value !== 'string' || value.trim() === '') this.fail(field, 'is required');
    return value;
  }

  /** An empty string is proto3's "unset". */
  optionalText(value: string | undefined): string | undefined {
    return typeof value === 'string' && value !== '' ? value : undefined;
  }

  date(value: Date | undefined, field: string): Date {
    const date = this.optionalDate(value, field);
    if (date === undefined) this.fail(field, 'is required');
    return date;
  }

  optionalDate(value: Date | undefined, field: string): Date | undefined {
    if (value === undefined || value === null) return undefined;
    // Realm-independent: a Date built in another context (vm, worker) is still a Date.
    if (Object.prototype.toString.call(value) !== '[object Date]' || Number.isNaN(value.getTime())) this.fail(field, 'is not a valid timestamp');
    return value;
  }

  enumValue<D extends string>(mapping: EnumMapping<D, number>, value: number, field: string): D {
    const domain = mapping.fromProto(value);
    if (domain === undefined) this.fail(field, `${value} is not a known ${mapping.protoName} (UNSPECIFIED is not allowed)`);
    return domain;
  }

  /** An integer in [min, max]. */
  integer(value: number, field: string, min: number, max: number): number {
    if (!Number.isInteger(value) || value < min || value > max) this.fail(field, `${value} is not an integer in ${min}..${max}`);
    return value;
  }

  texts(values: readonly string[] | undefined, field: string): string[] {
    const list = values ?? [];
    list.forEach((value, i) => this.text(value, `${field}[${i}]`));
    return [...list];
  }

  private path(field: string): string {
    if (field === '') return this.prefix;
    return this.prefix === '' ? field : `${this.prefix}.${field}`;
  }
}
