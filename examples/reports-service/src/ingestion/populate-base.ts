import {
  columnsOf,
  type IncomingTelemetryEvent,
  type SourceTableName,
  sourceTableNames,
  tables,
  toModelIssues,
} from '@bionicpro/models';
import { parse } from 'csv-parse/sync';
import type { z } from 'zod';
import { MAX_LISTED_ISSUES, type RequestIssue, RequestValidationError } from '../http-errors.js';
import { telemetryEventUuid } from './event-uuid.js';
import { advanceIdentity, insertRows, type PgQueryable } from './postgres-writer.js';

/** Result of {@link populateBase}. */
export interface PopulateOutcome {
  readonly table: SourceTableName;
  /** Data rows in the CSV. */
  readonly rows: number;
  readonly inserted: number;
  /** Rows skipped because a row with the same key already exists (re-running a load is harmless). */
  readonly skipped: number;
}

/** The two OLTP databases. */
export interface OltpDatabases {
  readonly crm: PgQueryable;
  readonly telemetry: PgQueryable;
}

/**
 * Parses a source table name from a request (`users`, `telemetry_events`, …).
 *
 * @example
 * ```ts
 * parseSourceTable('users'); // 'users'
 * ```
 */
export function parseSourceTable(value: string | null): SourceTableName {
  if (value !== null && (sourceTableNames as readonly string[]).includes(value))
    return value as SourceTableName;
  throw new RequestValidationError([
    {
      path: ['query', 'table'],
      code: 'invalid_value',
      message: `expected one of ${sourceTableNames.join(', ')}`,
    },
  ]);
}

/**
 * `populate_base`: loads a CSV dataset (header row + data rows) into one
 * OLTP table. The header names model columns; columns the database fills
 * itself (ids, uuids, `registered_at`, `saved_ts`, …) may be left out.
 * Every row is validated by the table's model before anything is written, and
 * problems are reported at once (line, column, reason; the first 100 listed,
 * all counted). Rows whose key already exists are skipped, so a load can be
 * repeated: a `telemetry_events` file without `event_uuid` gets each row's
 * id from its content ({@link telemetryEventUuid}); other tables are keyed
 * by their unique columns (`id`, `email`, …) when the file has them.
 *
 * @example
 * ```ts
 * await populateBase(dbs, 'users', 'name,email,registered_at\nIvan Petrov,ivan@example.ru,2024-01-05T10:00:00Z\n');
 * ```
 */
export async function populateBase(
  dbs: OltpDatabases,
  tableName: SourceTableName,
  csv: string,
): Promise<PopulateOutcome> {
  const table = tables[tableName];
  const columns = columnsOf(table);
  const byName = new Map(columns.map((c) => [c.name, c]));
  const omittable = new Set([...(table.identity ?? []), ...Object.keys(table.defaults ?? {})]);

  let records: string[][];
  try {
    records = parse(csv, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new RequestValidationError([
      {
        path: line === undefined ? ['body'] : ['body', `line ${line}`],
        code: 'invalid_csv',
        message: error instanceof Error ? error.message : 'not valid CSV',
      },
    ]);
  }
  const [header, ...data] = records;
  if (header === undefined) {
    throw new RequestValidationError([
      { path: ['body'], code: 'missing_header', message: 'the CSV is empty' },
    ]);
  }
  const headerIssues: RequestIssue[] = [];
  const seen = new Set<string>();
  for (const [i, name] of header.entries()) {
    if (!byName.has(name)) {
      headerIssues.push({
        path: ['body', 'line 1', name],
        code: 'unknown_column',
        message: `column ${i + 1} "${name}" is not a column of ${tableName}`,
      });
    } else if (seen.has(name)) {
      headerIssues.push({
        path: ['body', 'line 1', name],
        code: 'duplicate_column',
        message: 'column repeated',
      });
    }
    seen.add(name);
  }
  for (const column of columns) {
    if (!seen.has(column.name) && !omittable.has(column.name) && !column.nullable) {
      headerIssues.push({
        path: ['body', 'line 1', column.name],
        code: 'missing_column',
        message: `required column ${column.name} is missing from the header`,
      });
    }
  }
  if (headerIssues.length > 0) throw new RequestValidationError(headerIssues);

  // The row model: the table's stored model restricted to the header's columns.
  const pick = Object.fromEntries(header.map((name) => [name, true as const]));
  const rowModel = (table.model as z.ZodObject).pick(pick as Record<string, true>);
  const rows: Record<string, unknown>[] = [];
  const issues: RequestIssue[] = [];
  let issueCount = 0;
  for (const [index, record] of data.entries()) {
    const line = index + 2;
    const raw: Record<string, unknown> = {};
    for (const [i, name] of header.entries()) {
      raw[name] = fromCsvCell(record[i] ?? '', (byName.get(name) as { pg: string }).pg);
    }
    // The models refuse U+0000 in text (invalid_text), so a cell PostgreSQL cannot store is named here.
    const parsed = rowModel.safeParse(raw);
    if (parsed.success) {
      rows.push(parsed.data as Record<string, unknown>);
      continue;
    }
    for (const issue of parsed.success ? [] : toModelIssues(parsed.error)) {
      issueCount += 1;
      if (issues.length >= MAX_LISTED_ISSUES) continue;
      issues.push({
        path: ['body', `line ${line}`, ...issue.path],
        code: issue.code,
        message: issue.message,
      });
    }
  }
  if (issueCount > 0) throw new RequestValidationError(issues, issueCount);

  // A telemetry file without event_uuid: each row's id is derived from its
  // content, so the same file loaded twice is stored once (rows skipped).
  let columnsToWrite: readonly string[] = header;
  if (tableName === 'telemetry_events' && !header.includes('event_uuid')) {
    columnsToWrite = [...header, 'event_uuid'];
    for (const row of rows) row['event_uuid'] = telemetryEventUuid(row as unknown as IncomingTelemetryEvent);
  }
  const db = table.home === 'crm' ? dbs.crm : dbs.telemetry;
  let inserted: number;
  try {
    ({ inserted } = await insertRows(db, table, columnsToWrite, rows, {
      onConflict: 'skip',
      chunkSize: 5_000,
    }));
  } catch (error) {
    const pgError = error as { code?: string; detail?: string; message?: string };
    if (pgError.code === '23503' || pgError.code === '23514' || pgError.code === '23502') {
      throw new RequestValidationError([
        {
          path: ['body'],
          code: 'constraint_violation',
          message: pgError.detail ?? pgError.message ?? 'constraint violated',
        },
      ]);
    }
    throw error;
  }
  if (header.some((name) => table.identity?.includes(name))) await advanceIdentity(db, table);
  return { table: tableName, rows: rows.length, inserted, skipped: rows.length - inserted };
}

/** A CSV cell as the model expects it, by the column's PostgreSQL type; empty means null. */
function fromCsvCell(cell: string, pgType: string): unknown {
  if (cell === '') return null;
  if (pgType === 'integer' || pgType === 'smallint') return /^-?\d+$/.test(cell) ? Number(cell) : cell;
  if (pgType === 'double precision' || pgType === 'real') {
    const n = Number(cell);
    return cell.trim() !== '' && Number.isFinite(n) ? n : cell;
  }
  if (pgType === 'boolean') {
    const lower = cell.toLowerCase();
    if (['true', 't', '1', 'yes'].includes(lower)) return true;
    if (['false', 'f', '0', 'no'].includes(lower)) return false;
    return cell;
  }
  return cell;
}
