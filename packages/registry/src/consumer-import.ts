// Consumer registry imports: operators hand us spreadsheets (CSV) or API dumps (JSON arrays).
// Every problem is reported with its row so the file can be fixed in one pass; a row with any
// problem is left out rather than imported half-right, because these rows drive billing
// (plan_id, stripe_customer_id).

import { apiKeyProblem, type NewApiKey } from './api-keys.ts';
import { CONSUMER_STATUSES, type ConsumerRecord, type ConsumerStatus } from './consumer-table.ts';

/** CSV problems carry the 1-based line the record starts on (the header is line 1); JSON ones the 0-based array index. */
export interface ConsumerImportError {
  line?: number;
  index?: number;
  reason: string;
}

export interface ConsumerImportResult {
  consumers: ConsumerRecord[];
  /** The api_keys column/field, in clear: stored as HMACs by writeApiKeys. */
  apiKeys: NewApiKey[];
  errors: ConsumerImportError[];
}

export type ConsumerImportFormat = 'json' | 'csv';

export const CONSUMER_COLUMNS = ['consumer_id', 'org_id', 'name', 'email', 'plan_id', 'stripe_customer_id', 'tags', 'metadata', 'status', 'blocked_apis', 'api_keys'] as const;
type Column = (typeof CONSUMER_COLUMNS)[number];
const COLUMN_SET: ReadonlySet<string> = new Set(CONSUMER_COLUMNS);
const STRING_COLUMNS = ['consumer_id', 'org_id', 'name', 'email', 'plan_id', 'stripe_customer_id'] as const;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@.]{2,}$/;
// Control characters in an id come from a broken export and would make rows unmatchable.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const MAX_ID_LENGTH = 256;

/** Without a format, text starting with '[' (after a BOM/whitespace) is JSON, anything else CSV. */
export function parseConsumerImport(text: string, format?: ConsumerImportFormat): ConsumerImportResult {
  const body = text.replace(/^\uFEFF/, '');
  const detected = format ?? (body.trimStart().startsWith('[') ? 'json' : 'csv');
  return detected === 'json' ? parseJsonImport(body) : parseCsvImport(body);
}

function parseJsonImport(text: string): ConsumerImportResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { consumers: [], apiKeys: [], errors: [{ reason: `not valid JSON: ${(err as Error).message}` }] };
  }
  if (!Array.isArray(parsed)) return { consumers: [], apiKeys: [], errors: [{ reason: 'JSON import must be an array of consumer objects' }] };
  const rows = parsed.map((item: unknown, index) => ({ where: { index }, item }));
  return collect(rows, (item) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return { problems: ['must be an object'] };
    const unknown = Object.keys(item).filter((k) => !COLUMN_SET.has(k));
    if (unknown.length > 0) {
      return { problems: [`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (allowed: ${CONSUMER_COLUMNS.join(', ')})`] };
    }
    return toRecord(item);
  });
}

function parseCsvImport(text: string): ConsumerImportResult {
  const { records, errors: csvErrors } = parseCsv(text);
  const errors: ConsumerImportError[] = csvErrors.map((e) => ({ line: e.line, reason: e.reason }));
  const [header, ...rows] = records;
  if (!header) return { consumers: [], apiKeys: [], errors: errors.length > 0 ? errors : [{ line: 1, reason: 'empty file: expected a header row' }] };

  const columns = header.fields.map((f) => f.trim().toLowerCase());
  // A bad header would misread every row ('plan' for 'plan_id' silently drops all plans),
  // so header problems reject the whole file.
  const headerProblems: string[] = [];
  const unknown = columns.filter((c) => !COLUMN_SET.has(c));
  if (unknown.length > 0) headerProblems.push(`unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `"${c}"`).join(', ')} (allowed: ${CONSUMER_COLUMNS.join(', ')})`);
  const duplicated = columns.filter((c, i) => columns.indexOf(c) !== i);
  if (duplicated.length > 0) headerProblems.push(`duplicate column ${[...new Set(duplicated)].join(', ')}`);
  if (!columns.includes('consumer_id')) headerProblems.push('missing required column consumer_id');
  if (headerProblems.length > 0) {
    return { consumers: [], apiKeys: [], errors: [...headerProblems.map((reason) => ({ line: header.line, reason })), ...errors] };
  }

  const result = collect(
    rows.map((r) => ({ where: { line: r.line }, item: r.fields })),
    (fields) => {
      if (fields.length !== columns.length) return { problems: [`expected ${columns.length} fields, got ${fields.length}`] };
      const item: Partial<Record<Column, unknown>> = {};
      for (const [i, column] of columns.entries()) item[column as Column] = fields[i];
      return toRecord(item);
    },
  );
  result.errors.push(...errors);
  result.errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return result;
}

type Where = { line: number } | { index: number };
type RowResult = { record: ConsumerRecord; keys: string[] } | { problems: string[] };

/** Validates rows in order and rejects every repeat of an id already seen. */
function collect<T>(rows: { where: Where; item: T }[], convert: (item: T) => RowResult): ConsumerImportResult {
  const consumers: ConsumerRecord[] = [];
  const apiKeys: NewApiKey[] = [];
  const errors: ConsumerImportError[] = [];
  const seen = new Map<string, string>();
  const keyOwners = new Map<string, string>();
  for (const { where, item } of rows) {
    const result = convert(item);
    const label = 'line' in where ? `line ${where.line}` : `index ${where.index}`;
    if ('problems' in result) {
      errors.push({ ...where, reason: result.problems.join('; ') });
      continue;
    }
    const first = seen.get(result.record.consumer_id);
    if (first !== undefined) {
      errors.push({ ...where, reason: `duplicate consumer_id "${result.record.consumer_id}" (first on ${first})` });
      continue;
    }
    // One key identifies one consumer: a key listed twice would be attributed to whichever came last.
    const taken = result.keys.find((key) => keyOwners.has(key));
    if (taken !== undefined) {
      errors.push({ ...where, reason: `an API key of this row is already given to consumer "${keyOwners.get(taken) ?? ''}"` });
      continue;
    }
    seen.set(result.record.consumer_id, label);
    consumers.push(result.record);
    for (const key of result.keys) {
      keyOwners.set(key, result.record.consumer_id);
      apiKeys.push({ consumer_id: result.record.consumer_id, key });
    }
  }
  return { consumers, apiKeys, errors };
}

function toRecord(item: Partial<Record<Column, unknown>>): RowResult {
  const problems: string[] = [];
  const strings = {} as Record<(typeof STRING_COLUMNS)[number], string>;
  for (const column of STRING_COLUMNS) {
    const value = item[column];
    if (value === undefined || value === null) strings[column] = '';
    else if (typeof value === 'string') strings[column] = value.trim();
    else {
      problems.push(`${column} must be a string`);
      strings[column] = '';
    }
  }
  const id = strings.consumer_id;
  if (id === '' && !problems.some((p) => p.startsWith('consumer_id'))) problems.push('missing consumer_id');
  else if (id.length > MAX_ID_LENGTH) problems.push(`consumer_id longer than ${MAX_ID_LENGTH} characters`);
  else if (CONTROL.test(id)) problems.push('consumer_id contains control characters');
  if (strings.email !== '' && !EMAIL.test(strings.email)) problems.push(`bad email "${strings.email}"`);

  const tags = parseList('tags', item.tags);
  if (typeof tags === 'string') problems.push(tags);
  const metadata = parseMetadata(item.metadata);
  if (typeof metadata === 'string') problems.push(metadata);
  const status = parseStatus(item.status);
  if (status === undefined) problems.push(`status must be one of ${CONSUMER_STATUSES.join(', ')}`);
  const blocked = parseList('blocked_apis', item.blocked_apis);
  if (typeof blocked === 'string') problems.push(blocked);
  const keys = parseList('api_keys', item.api_keys);
  if (typeof keys === 'string') problems.push(keys);
  else for (const key of keys) {
    const problem = apiKeyProblem(key);
    if (problem) problems.push(`api_keys: ${problem}`);
  }

  if (problems.length > 0 || typeof tags === 'string' || typeof metadata === 'string' || typeof blocked === 'string' || typeof keys === 'string' || status === undefined) return { problems };
  return { record: { ...strings, tags, metadata, status, blocked_apis: blocked }, keys };
}

/** Empty means active; anything but a known status is refused rather than guessed. */
function parseStatus(value: unknown): ConsumerStatus | undefined {
  if (value === undefined || value === null || value === '') return 'active';
  const text = typeof value === 'string' ? value.trim().toLowerCase() : '';
  return (CONSUMER_STATUSES as readonly string[]).includes(text) ? (text as ConsumerStatus) : undefined;
}

/** A list, a JSON array in a string, or 'a;b;c'. Returns an error message naming `field` on failure. */
function parseList(field: string, value: unknown): string[] | string {
  if (value === undefined || value === null) return [];
  let list: unknown = value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('[')) {
      try {
        list = JSON.parse(text);
      } catch {
        return `${field} is not a valid JSON array`;
      }
    } else {
      list = text.split(';');
    }
  }
  if (!Array.isArray(list) || !list.every((t) => typeof t === 'string')) return `${field} must be an array of strings`;
  return [...new Set(list.map((t: string) => t.trim()).filter((t) => t !== ''))];
}

/**
 * A JSON object, or (CSV) a string holding one. Numbers and booleans become strings because the
 * column is Map(String, String); nested values are rejected rather than flattened by guesswork.
 */
function parseMetadata(value: unknown): Record<string, string> | string {
  if (value === undefined || value === null) return {};
  let object: unknown = value;
  if (typeof value === 'string') {
    if (value.trim() === '') return {};
    try {
      object = JSON.parse(value);
    } catch {
      return 'metadata is not valid JSON';
    }
  }
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return 'metadata must be a JSON object';
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(object)) {
    if (typeof v === 'string') out[key] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[key] = String(v);
    else return `metadata.${key} must be a string, number or boolean`;
  }
  return out;
}

export interface CsvRecord {
  /** 1-based line the record starts on. */
  line: number;
  fields: string[];
}

/**
 * RFC 4180: ',' separates fields, CRLF or LF ends a record, a field in double quotes may hold
 * commas, line breaks and "" for a quote. Blank lines are skipped. A stray quote inside an
 * unquoted field is kept literally (common in hand-edited files); text after a closing quote
 * and an unterminated quote are errors, and the record is dropped.
 */
export function parseCsv(text: string): { records: CsvRecord[]; errors: { line: number; reason: string }[] } {
  const records: CsvRecord[] = [];
  const errors: { line: number; reason: string }[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let broken: string | undefined;
    // One record.
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        let closed = false;
        while (i < n) {
          const ch = text[i];
          if (ch === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (ch === '\n') line++;
          field += ch;
          i++;
        }
        if (!closed) {
          broken ??= 'unterminated quoted field';
        } else if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          broken ??= 'unexpected text after a closing quote';
          while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') i++;
        }
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') field += text[i++];
      }
      fields.push(field);
      if (i < n && text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    // End of record: CRLF, LF, a lone CR, or end of input.
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    line++;
    if (broken) errors.push({ line: start, reason: broken });
    else if (!(fields.length === 1 && fields[0] === '')) records.push({ line: start, fields });
  }
  return { records, errors };
}
