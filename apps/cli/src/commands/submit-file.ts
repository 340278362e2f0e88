import type { ErrorDetail, SubmitStreamRequest } from '@signal-mesh/contracts';

import { type CsvRecord, readCsvRecords, readLines, SubmitFileError } from './submit-csv';
import { type DraftFields, SubmitInputError, toDraft } from './submit-request';

export type SubmitFormat = 'csv' | 'jsonl';

/**
 * Columns of a CSV file and keys of a JSON-lines object (snake_case in both, as in the proto). Only type and value
 * are required columns; list cells in CSV are separated by ";" (in JSON lines: an array, or the same ";" string).
 */
export const FILE_COLUMNS = {
  type: 'contribution.signal.type',
  value: 'contribution.signal.value',
  scope: 'contribution.signal.url_match_scope',
  kind: 'contribution.signal.pattern_kind',
  categories: 'contribution.categories',
  marking: 'contribution.marking',
  sharing_groups: 'contribution.sharing_group_ids',
  named_orgs: 'contribution.named_org_ids',
  confidence: 'contribution.confidence',
  opinion: 'contribution.opinion',
  valid_until: 'contribution.valid_until',
  evidence_note: 'contribution.evidence_note',
  external_refs: 'contribution.external_refs',
  idempotency_key: 'idempotency_key',
} as const;
type Column = keyof typeof FILE_COLUMNS;
const LIST_COLUMNS: ReadonlySet<Column> = new Set(['categories', 'sharing_groups', 'named_orgs', 'external_refs']);
const REQUIRED_COLUMNS: readonly Column[] = ['type', 'value'];

const isColumn = (name: string): name is Column => Object.hasOwn(FILE_COLUMNS, name);

/** One item of a file: where it is, and the request it became or why it could not become one. */
export interface SubmitItem {
  /** 1-based line the record starts on: the client_item_id, and the suffix of derived idempotency keys. */
  line: number;
  /** Byte offset just after the record (progress). */
  end: number;
  request?: SubmitStreamRequest;
  error?: ErrorDetail;
}

export interface FileOptions {
  /** Items without their own idempotency_key get `${prefix}:${line}`. */
  idempotencyPrefix?: string;
}

/** `--format`, else the file extension (.csv; .jsonl, .ndjson). */
export function formatOf(path: string, explicit: string | undefined): SubmitFormat {
  if (explicit === 'csv' || explicit === 'jsonl') return explicit;
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(path)) return 'jsonl';
  throw new SubmitFileError('FILE_FORMAT_UNKNOWN', `cannot tell the format of ${path} from its name; pass --format csv or --format jsonl`);
}

const splitList = (cell: string) => cell.split(';');

function toFields(get: (column: Column) => string | readonly string[] | number | undefined): { fields: DraftFields; idempotencyKey: string } {
  const text = (column: Column) => get(column) as string | undefined;
  const items = (column: Column) => get(column) as readonly string[] | undefined;
  return {
    fields: {
      type: text('type'),
      value: text('value'),
      scope: text('scope'),
      kind: text('kind'),
      categories: items('categories'),
      marking: text('marking'),
      sharingGroups: items('sharing_groups'),
      namedOrgs: items('named_orgs'),
      confidence: get('confidence') as string | number | undefined,
      opinion: text('opinion'),
      validUntil: text('valid_until'),
      evidenceNote: text('evidence_note'),
      externalRefs: items('external_refs'),
    },
    idempotencyKey: (text('idempotency_key') ?? '').trim(),
  };
}

function item(line: number, end: number, read: () => { fields: DraftFields; idempotencyKey: string }, options: FileOptions): SubmitItem {
  try {
    const { fields, idempotencyKey } = read();
    const key = idempotencyKey !== '' ? idempotencyKey : options.idempotencyPrefix ? `${options.idempotencyPrefix}:${line}` : '';
    return { line, end, request: { contribution: toDraft(fields), idempotencyKey: key, clientItemId: String(line) } };
  } catch (err) {
    if (err instanceof SubmitInputError) return { line, end, error: { code: err.code, message: err.message, field: err.field } };
    throw err;
  }
}

/** The header record → the column of each position; a file whose header cannot be used is refused as a whole. */
export function csvColumns(record: CsvRecord | undefined): Column[] {
  if (record === undefined) throw new SubmitFileError('CSV_HEADER_MISSING', 'the file is empty: the first line must name the columns, e.g. type,value,categories,marking');
  if ('error' in record) throw new SubmitFileError('CSV_HEADER_INVALID', `header (line ${record.line}): ${record.error}`);
  const names = record.fields.map((f) => f.trim().toLowerCase());
  const unknown = names.filter((n) => !isColumn(n));
  if (unknown.length > 0) throw new SubmitFileError('CSV_HEADER_INVALID', `unknown column(s) ${unknown.map((n) => `"${n}"`).join(', ')}; the columns are ${Object.keys(FILE_COLUMNS).join(', ')}`);
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (repeated.length > 0) throw new SubmitFileError('CSV_HEADER_INVALID', `column(s) ${[...new Set(repeated)].join(', ')} appear more than once`);
  const missing = REQUIRED_COLUMNS.filter((c) => !names.includes(c));
  if (missing.length > 0) throw new SubmitFileError('CSV_HEADER_INVALID', `the header lacks the required column(s) ${missing.join(', ')}`);
  return names as Column[];
}

/** One CSV data record → an item (a record with the wrong number of fields is a rejected item). */
export function csvItem(record: CsvRecord, columns: readonly Column[], options: FileOptions = {}): SubmitItem {
  if ('error' in record) return { line: record.line, end: record.end, error: { code: 'CSV_MALFORMED', message: record.error, field: '' } };
  const { fields } = record;
  if (fields.length !== columns.length) {
    return { line: record.line, end: record.end, error: { code: 'CSV_MALFORMED', message: `the record has ${fields.length} field(s), the header names ${columns.length}`, field: '' } };
  }
  const cells = new Map(columns.map((c, i) => [c, fields[i] ?? '']));
  return item(record.line, record.end, () => toFields((c) => (LIST_COLUMNS.has(c) ? splitList(cells.get(c) ?? '') : cells.get(c))), options);
}

/** One JSON-lines line (snake_case keys) → an item; unknown keys are refused so a misspelt key is never ignored. */
export function jsonItem(text: string, line: number, end: number, options: FileOptions = {}): SubmitItem {
  return item(
    line,
    end,
    () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        throw new SubmitInputError('JSON_INVALID', `not valid JSON: ${(err as Error).message}`, '');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SubmitInputError('JSON_INVALID', 'each line must be one JSON object', '');
      const object = parsed as Record<string, unknown>;
      for (const key of Object.keys(object)) {
        if (!isColumn(key)) throw new SubmitInputError('UNKNOWN_FIELD', `unknown key "${key}"; the keys are ${Object.keys(FILE_COLUMNS).join(', ')} (snake_case)`, key);
      }
      return toFields((column) => {
        const value = object[column];
        if (value === undefined || value === null) return undefined;
        if (LIST_COLUMNS.has(column)) {
          if (typeof value === 'string') return splitList(value);
          if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
          throw new SubmitInputError('FIELD_TYPE_INVALID', `"${column}" must be an array of strings`, FILE_COLUMNS[column]);
        }
        if (typeof value === 'string' || (column === 'confidence' && typeof value === 'number')) return value;
        throw new SubmitInputError('FIELD_TYPE_INVALID', `"${column}" must be a string${column === 'confidence' ? ' or a number' : ''}`, FILE_COLUMNS[column]);
      });
    },
    options,
  );
}

/**
 * Reads a CSV or JSON-lines file as it streams in, one item per record, in file order. A CSV header is read and
 * checked before this resolves, so a file with an unusable header is refused before anything is sent. Rows that
 * cannot become a request are yielded as items with an error: one bad row never stops the others.
 */
export async function openSubmitFile(chunks: AsyncIterable<Buffer | string> | Iterable<Buffer>, format: SubmitFormat, options: FileOptions = {}): Promise<AsyncIterable<SubmitItem>> {
  const lines = readLines(chunks);
  if (format === 'jsonl') {
    return (async function* () {
      for await (const line of lines) if (line.text.trim() !== '') yield jsonItem(line.text, line.number, line.end, options);
    })();
  }
  const records = readCsvRecords(lines);
  const header = await records.next();
  const columns = csvColumns(header.done ? undefined : header.value);
  return (async function* () {
    for await (const record of records) yield csvItem(record, columns, options);
  })();
}
