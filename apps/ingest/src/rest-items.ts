import type { ContributionDraft, ExternalRef } from '@signal-mesh/signals-domain';

import { CsvSyntaxError, parseCsv } from './csv';
import { IngestError } from './errors';
import type { ItemInput } from './submit-contributions.usecase';

/** One REST item as read from JSON or a CSV row, before the domain validates it. */
export interface FlatItem {
  type?: string;
  value?: string;
  scope?: string;
  kind?: string;
  algorithm?: string;
  categories?: string[];
  marking?: string;
  sharingGroupIds?: string[];
  namedOrgIds?: string[];
  confidence?: number;
  opinion?: string;
  validUntil?: Date;
  evidenceNote?: string;
  externalRefs?: ExternalRef[];
  idempotencyKey?: string;
  clientItemId?: string;
}

/** A parsed REST item: what the use case needs plus the caller's own reference, echoed back. */
export interface RestItem extends ItemInput {
  readonly clientItemId?: string;
}

const STRING_FIELDS = ['type', 'value', 'scope', 'kind', 'algorithm', 'marking', 'opinion', 'evidenceNote', 'idempotencyKey', 'clientItemId'] as const;
const LIST_FIELDS = ['categories', 'sharingGroupIds', 'namedOrgIds'] as const;
/** Every field of a JSON item, in the order the OpenAPI document lists them. */
export const JSON_ITEM_FIELDS = [...STRING_FIELDS, ...LIST_FIELDS, 'confidence', 'validUntil', 'externalRefs'] as const;

const invalid = (field: string, message: string) => new IngestError('INVALID_FIELD', message, field);

/** RFC 3339 date-time (with a zone), as JSON and CSV carry `validUntil`. */
function parseTime(raw: string, field: string): Date {
  const time = new Date(raw);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(raw) || Number.isNaN(time.getTime())) {
    throw invalid(field, `${field} must be an RFC 3339 date-time with a time zone, e.g. 2030-01-01T00:00:00Z`);
  }
  return time;
}

/** Reads one JSON array element; wrong JSON types and unknown fields are refused with the field's name. */
export function flatItemFromJson(raw: unknown): FlatItem {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new IngestError('INVALID_REQUEST', 'each item is a JSON object');
  const source = raw as Record<string, unknown>;
  const unknown = Object.keys(source).find((key) => !(JSON_ITEM_FIELDS as readonly string[]).includes(key));
  if (unknown !== undefined) throw new IngestError('UNKNOWN_FIELD', `unknown field "${unknown.slice(0, 64)}"`, unknown.slice(0, 64));
  const item: FlatItem = {};
  for (const field of STRING_FIELDS) {
    const value = source[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw invalid(field, `${field} must be a string`);
    item[field] = value;
  }
  for (const field of LIST_FIELDS) {
    const value = source[field];
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalid(field, `${field} must be an array of strings`);
    item[field] = value as string[];
  }
  if (source['confidence'] !== undefined && source['confidence'] !== null) {
    if (typeof source['confidence'] !== 'number') throw invalid('confidence', 'confidence must be an integer from 0 to 100');
    item.confidence = source['confidence'];
  }
  if (source['validUntil'] !== undefined && source['validUntil'] !== null) {
    if (typeof source['validUntil'] !== 'string') throw invalid('validUntil', 'validUntil must be an RFC 3339 date-time string');
    item.validUntil = parseTime(source['validUntil'], 'validUntil');
  }
  if (source['externalRefs'] !== undefined && source['externalRefs'] !== null) {
    const refs = source['externalRefs'];
    const isRef = (r: unknown) =>
      typeof r === 'object' && r !== null && !Array.isArray(r) && Object.values(r).every((v) => typeof v === 'string') && Object.keys(r).every((k) => ['system', 'id', 'url'].includes(k));
    if (!Array.isArray(refs) || !refs.every(isRef)) throw invalid('externalRefs', 'externalRefs must be an array of { system, id, url? } objects with string values');
    item.externalRefs = refs as ExternalRef[];
  }
  return item;
}

/** The domain draft of a flat item (no validation here beyond presence of a confidence). */
export function draftFromFlat(item: FlatItem): ContributionDraft {
  if (item.confidence === undefined) throw invalid('confidence', 'confidence is required: an integer from 0 to 100');
  return {
    signal: { type: item.type ?? '', value: item.value ?? '', scope: item.scope || undefined, kind: item.kind || undefined, algorithm: item.algorithm || undefined },
    categories: item.categories ?? [],
    marking: item.marking ?? '',
    sharingGroupIds: item.sharingGroupIds ?? [],
    namedOrgIds: item.namedOrgIds ?? [],
    confidence: item.confidence,
    ...(item.opinion ? { opinion: item.opinion } : {}),
    ...(item.validUntil ? { validUntil: item.validUntil } : {}),
    ...(item.evidenceNote ? { evidenceNote: item.evidenceNote } : {}),
    ...(item.externalRefs ? { externalRefs: item.externalRefs } : {}),
  };
}

/** A flat item (or the error reading it) as the use case's input; `batchKey` derives `<key>:<index>` for keyless items. */
export function restItem(read: () => FlatItem, index: number, batchKey?: string): RestItem {
  let flat: FlatItem | undefined;
  try {
    flat = read();
    const idempotencyKey = flat.idempotencyKey || (batchKey ? `${batchKey}:${index}` : undefined);
    return { draft: draftFromFlat(flat), idempotencyKey, clientItemId: flat.clientItemId };
  } catch (err) {
    return { error: err, clientItemId: flat?.clientItemId };
  }
}

/** A JSON batch body: an array of items. */
export function itemsFromJson(body: unknown, batchKey?: string): RestItem[] {
  if (!Array.isArray(body)) throw new IngestError('INVALID_REQUEST', 'a JSON batch is an array of contribution objects');
  return body.map((raw, index) => restItem(() => flatItemFromJson(raw), index, batchKey));
}

/** CSV columns (header row, any order, case-insensitive) and the JSON field each one fills. */
export const CSV_COLUMNS = {
  type: 'type',
  value: 'value',
  scope: 'scope',
  kind: 'kind',
  algorithm: 'algorithm',
  categories: 'categories',
  marking: 'marking',
  sharing_groups: 'sharingGroupIds',
  named_orgs: 'namedOrgIds',
  confidence: 'confidence',
  opinion: 'opinion',
  valid_until: 'validUntil',
  evidence_note: 'evidenceNote',
  idempotency_key: 'idempotencyKey',
  client_item_id: 'clientItemId',
} as const;
type CsvColumn = keyof typeof CSV_COLUMNS;

const list = (cell: string): string[] =>
  cell
    .split(';')
    .map((v) => v.trim())
    .filter(Boolean);

function flatItemFromRow(columns: readonly CsvColumn[], fields: readonly string[]): FlatItem {
  const item: FlatItem = {};
  columns.forEach((column, i) => {
    const cell = fields[i].trim();
    if (cell === '') return;
    const field = CSV_COLUMNS[column];
    switch (field) {
      case 'categories':
      case 'sharingGroupIds':
      case 'namedOrgIds':
        item[field] = list(cell);
        break;
      case 'confidence':
        if (!/^\d{1,3}$/.test(cell)) throw invalid('confidence', 'confidence must be an integer from 0 to 100');
        item.confidence = Number(cell);
        break;
      case 'validUntil':
        item.validUntil = parseTime(cell, 'validUntil');
        break;
      default:
        // Values keep their inner spaces (prompt patterns); only the cell's outer whitespace is trimmed.
        item[field] = cell;
    }
  });
  return item;
}

/**
 * A CSV batch: a header row naming the columns, then one contribution per row. Lists (categories, sharing_groups,
 * named_orgs) are semicolon-separated. A row's clientItemId defaults to the line it starts on. Blank lines are
 * skipped. An unknown or repeated column, or unreadable CSV, refuses the whole request; a bad row only itself.
 */
export function itemsFromCsv(text: string, batchKey?: string): RestItem[] {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new IngestError('MALFORMED_CSV', err.message);
    throw err;
  }
  const [header, ...rows] = records;
  if (!header) throw new IngestError('MALFORMED_CSV', 'the CSV is empty: a header row is required');
  const columns = header.fields.map((name) => name.trim().toLowerCase());
  for (const [i, name] of columns.entries()) {
    if (!(name in CSV_COLUMNS)) throw new IngestError('MALFORMED_CSV', `unknown column "${name.slice(0, 64)}"; known columns: ${Object.keys(CSV_COLUMNS).join(', ')}`, name.slice(0, 64));
    if (columns.indexOf(name) !== i) throw new IngestError('MALFORMED_CSV', `column "${name}" appears twice`, name);
  }
  for (const required of ['type', 'value']) {
    if (!columns.includes(required)) throw new IngestError('MALFORMED_CSV', `the header row needs a "${required}" column`, required);
  }
  const dataRows = rows.filter((row) => !(row.fields.length === 1 && row.fields[0].trim() === '' && row.error === undefined));
  return dataRows.map((row, index) => {
    const item = restItem(
      () => {
        if (row.error !== undefined) throw new IngestError('MALFORMED_ROW', `line ${row.line}: ${row.error}`);
        if (row.fields.length !== columns.length) throw new IngestError('MALFORMED_ROW', `line ${row.line}: ${row.fields.length} fields, the header has ${columns.length}`);
        return flatItemFromRow(columns as CsvColumn[], row.fields);
      },
      index,
      batchKey,
    );
    return { ...item, clientItemId: item.clientItemId ?? String(row.line) };
  });
}

/** Domain field paths (`signal.value`) as the flat REST item names them (`value`). */
export function restField(field: string | undefined): string | undefined {
  if (!field) return undefined;
  if (field === 'signal') return 'value';
  // Only disputes carry one; the dispute body calls it `reason`.
  if (field === 'disputeReason') return 'reason';
  return field.startsWith('signal.') ? field.slice('signal.'.length) : field;
}
