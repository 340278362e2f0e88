/** One CSV record: the line it starts on (1-based), its fields, and a problem confined to this record, if any. */
export interface CsvRecord {
  readonly line: number;
  readonly fields: string[];
  readonly error?: string;
}

/** A problem that makes the rest of the text unreadable (e.g. an unterminated quoted field). */
export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvSyntaxError';
  }
}

/**
 * RFC 4180: comma-separated fields, records ended by CRLF (a bare LF or CR is accepted too), fields optionally
 * enclosed in double quotes, inside which commas, line breaks and doubled quotes ("") are data. A leading byte order
 * mark is ignored and a final line break does not start an empty record. A quote inside an unquoted field is
 * reported on that record only; an unterminated quoted field or text after a closing quote ends the parse.
 */
export function parseCsv(text: string): CsvRecord[] {
  const input = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let recordLine = 1;
  let line = 1;
  let error: string | undefined;
  let quotedAtEnd = false;
  let i = 0;

  const endField = () => {
    fields.push(field);
    field = '';
  };
  const endRecord = () => {
    endField();
    records.push(error === undefined ? { line: recordLine, fields } : { line: recordLine, fields, error });
    fields = [];
    error = undefined;
  };
  /** Consumes a line break at i (CRLF, LF or CR); false when there is none. */
  const lineBreak = (): boolean => {
    if (input[i] === '\r') {
      i += input[i + 1] === '\n' ? 2 : 1;
    } else if (input[i] === '\n') {
      i += 1;
    } else {
      return false;
    }
    line++;
    return true;
  };

  while (i < input.length) {
    if (field === '' && input[i] === '"') {
      // A quoted field runs to the next quote that is not doubled.
      const startLine = line;
      i++;
      for (;;) {
        if (i >= input.length) throw new CsvSyntaxError('unterminated quoted field', startLine);
        const c = input[i];
        if (c === '"') {
          if (input[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (c === '\r' || c === '\n') {
          field += c === '\r' && input[i + 1] === '\n' ? '\r\n' : c;
          i += c === '\r' && input[i + 1] === '\n' ? 2 : 1;
          line++;
          continue;
        }
        field += c;
        i++;
      }
      if (i < input.length && input[i] !== ',' && input[i] !== '\r' && input[i] !== '\n') throw new CsvSyntaxError('text after a closing quote', line);
      if (input[i] === ',') {
        i++;
        endField();
        continue;
      }
      if (i >= input.length) {
        quotedAtEnd = true;
        break;
      }
      lineBreak();
      endRecord();
      recordLine = line;
      continue;
    }
    const c = input[i];
    if (c === ',') {
      endField();
      i++;
    } else if (lineBreak()) {
      endRecord();
      recordLine = line;
    } else {
      if (c === '"') error ??= 'a double quote inside an unquoted field (enclose the field in quotes and double the quote)';
      field += c;
      i++;
    }
  }
  // Text not ended by a line break is a last record; a final line break adds none.
  if (field !== '' || fields.length > 0 || quotedAtEnd) endRecord();
  return records;
}
