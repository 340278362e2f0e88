/** One line of a file: its 1-based number, its text (without the line break) and the byte offset just after it. */
export interface Line {
  number: number;
  text: string;
  end: number;
}

/** Longest line or CSV record accepted: a longer one means a binary file or a quote that is never closed. */
export const MAX_RECORD_CHARS = 1024 * 1024;

/** A file that cannot be read as a whole (not one bad row): the submission stops. */
export class SubmitFileError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SubmitFileError';
  }
}

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines (LF or CRLF) as it arrives: only the current partial line is held in memory, and
 * the next chunk is only pulled when the consumer asks for the next line, so a slow consumer slows the file read.
 * Splitting on the LF byte is UTF-8 safe (it never occurs inside a multi-byte character). A leading BOM is dropped.
 */
export async function* readLines(chunks: AsyncIterable<Buffer | string> | Iterable<Buffer>, maxChars = MAX_RECORD_CHARS): AsyncGenerator<Line> {
  let partial: Buffer[] = [];
  let partialBytes = 0;
  let offset = 0;
  let number = 0;
  const decode = (bytes: Buffer): string => {
    let text = bytes.toString('utf8');
    if (number === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  };
  for await (const raw of chunks) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, nl);
      const bytes = partialBytes === 0 ? piece : Buffer.concat([...partial, piece]);
      partial = [];
      partialBytes = 0;
      offset += nl - start + 1;
      start = nl + 1;
      number += 1;
      yield { number, text: decode(bytes), end: offset };
    }
    if (start < chunk.length) {
      partial.push(chunk.subarray(start));
      partialBytes += chunk.length - start;
      offset += chunk.length - start;
      if (partialBytes > maxChars * 4) throw new SubmitFileError('LINE_TOO_LONG', `line ${number + 1} is longer than ${maxChars} characters`);
    }
  }
  if (partialBytes > 0) {
    number += 1;
    yield { number, text: decode(Buffer.concat(partial)), end: offset };
  }
}

/** One CSV record: the line it starts on, the byte offset after its last line, and its fields or why it is malformed. */
export type CsvRecord = { line: number; end: number; fields: string[] } | { line: number; end: number; error: string };

const isBlank = (s: string) => /^[ \t]*$/.test(s);

/**
 * RFC 4180 records from lines fed one at a time: fields separated by commas; a field in double quotes may hold
 * commas, line breaks and `""` (an escaped quote). A record spanning lines is returned when its last line arrives.
 * Strict where a lenient reading would guess: a quote inside an unquoted field, or text after a closing quote,
 * makes the record malformed (reported, not guessed). Spaces around a quoted field are ignored.
 */
export class CsvRecordReader {
  private fields: string[] = [];
  private field = '';
  private open = false;
  private inQuotes = false;
  private quoted = false;
  private startLine = 0;

  constructor(private readonly maxChars = MAX_RECORD_CHARS) {}

  /** Feeds one line; returns the record it completes, or undefined while a quoted field continues on the next line. */
  push(line: Line): CsvRecord | undefined {
    if (this.open) {
      this.field += '\n';
    } else {
      this.open = true;
      this.startLine = line.number;
      this.fields = [];
      this.field = '';
      this.quoted = false;
    }
    const text = line.text;
    let i = 0;
    while (i < text.length) {
      if (this.inQuotes) {
        const quote = text.indexOf('"', i);
        if (quote === -1) {
          this.field += text.slice(i);
          break;
        }
        this.field += text.slice(i, quote);
        if (text[quote + 1] === '"') {
          this.field += '"';
          i = quote + 2;
        } else {
          this.inQuotes = false;
          i = quote + 1;
        }
        continue;
      }
      const c = text[i];
      if (c === ',') {
        this.fields.push(this.field);
        this.field = '';
        this.quoted = false;
      } else if (this.quoted) {
        if (c !== ' ' && c !== '\t') return this.fail(line, `unexpected text after the closing quote of field ${this.fields.length + 1}`);
      } else if (c === '"') {
        if (!isBlank(this.field)) return this.fail(line, `a quote inside unquoted field ${this.fields.length + 1} (quote the whole field and double the quote)`);
        this.field = '';
        this.quoted = true;
        this.inQuotes = true;
      } else {
        this.field += c;
      }
      i += 1;
    }
    if (this.inQuotes) {
      if (this.field.length > this.maxChars) throw new SubmitFileError('CSV_RECORD_TOO_LONG', `the quoted field opened on line ${this.startLine} is still open after ${this.maxChars} characters`);
      return undefined;
    }
    this.fields.push(this.field);
    this.open = false;
    return { line: this.startLine, end: line.end, fields: this.fields };
  }

  /** At the end of the input: the record left open by a quote that was never closed, if any. */
  end(lastEnd: number): CsvRecord | undefined {
    if (!this.open) return undefined;
    this.open = false;
    this.inQuotes = false;
    return { line: this.startLine, end: lastEnd, error: `the quoted field opened on line ${this.startLine} is not closed before the end of the file` };
  }

  private fail(line: Line, error: string): CsvRecord {
    this.open = false;
    this.inQuotes = false;
    return { line: this.startLine, end: line.end, error };
  }
}

/** Records from lines, in order; records of one empty field (blank lines) are skipped. */
export async function* readCsvRecords(lines: AsyncIterable<Line>, maxChars = MAX_RECORD_CHARS): AsyncGenerator<CsvRecord> {
  const reader = new CsvRecordReader(maxChars);
  let lastEnd = 0;
  for await (const line of lines) {
    lastEnd = line.end;
    const record = reader.push(line);
    if (record && !('fields' in record && record.fields.length === 1 && isBlank(record.fields[0] ?? ''))) yield record;
  }
  const open = reader.end(lastEnd);
  if (open) yield open;
}
