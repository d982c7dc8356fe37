import { isCalendarDate } from '@bionicpro/models';
import type { ReportQueryClient } from './report-service.js';
import { runQuery } from './report-service.js';
import type { ReportTables } from './report-table.js';
import { type CompiledQuery, column, sql, tableName } from './sql-fragment.js';
import { compileWithSettings } from './scoped-query.js';

/**
 * The data a report is computed from, as one name a data version belongs to:
 * `month:YYYY-MM` (the two monthly marts), `day:YYYY-MM-DD` (one date of the
 * hourly mart) or `hourly` (the whole hourly mart: report lists and summaries).
 */
export type ReportDataset = `month:${string}` | `day:${string}` | 'hourly';

/**
 * The dataset of a month's reports.
 *
 * @example
 * ```ts
 * monthDataset('2024-01'); // 'month:2024-01'
 * ```
 */
export function monthDataset(month: string): ReportDataset {
  if (!/^\d{4}-\d{2}$/.test(month)) throw new RangeError(`not a month YYYY-MM: ${month}`);
  return `month:${month}`;
}

/**
 * The dataset of a date's daily report.
 *
 * @example
 * ```ts
 * dayDataset('2024-01-15'); // 'day:2024-01-15'
 * ```
 */
export function dayDataset(date: string): ReportDataset {
  if (!isCalendarDate(date)) throw new RangeError(`not a date YYYY-MM-DD: ${date}`);
  return `day:${date}`;
}

/**
 * Compiles the read of every data version at once: `max(last_updated)` per
 * month of the two monthly marts and per date of the hourly mart, for all
 * users (one query, so a service can poll it cheaply).
 *
 * @example
 * ```ts
 * const { query } = reportDataVersionsQuery(reportTables({ database: 'reports' }));
 * ```
 */
export function reportDataVersionsQuery(tables: ReportTables): CompiledQuery {
  const from = (t: ReportTables[keyof ReportTables]) => tableName(t.name, t.database);
  const lastUpdated = sql`toString(max(${column('last_updated')}))`;
  return compileWithSettings(sql`SELECT 'm' AS kind, toString(${column('report_date')}) AS period, ${lastUpdated} AS version FROM ${from(tables.userMonthly)} GROUP BY ${column('report_date')}
 UNION ALL SELECT 'p' AS kind, toString(${column('report_date')}) AS period, ${lastUpdated} AS version FROM ${from(tables.prostheticMonthly)} GROUP BY ${column('report_date')}
 UNION ALL SELECT 'h' AS kind, toString(${column('date')}) AS period, ${lastUpdated} AS version FROM ${from(tables.hourly)} GROUP BY ${column('date')}`);
}

/**
 * Turns the rows of {@link reportDataVersionsQuery} into a version per
 * dataset. A month's version is composed of both monthly marts in a fixed
 * order (UNION ALL returns its parts in no fixed order; composing in row order
 * would make the same data look changed). `hourly` is the newest date version
 * and the number of dates, so adding or dropping a date changes it. Versions
 * only grow while data is reloaded (they are load timestamps), which is what
 * lets a shared store keep the greatest one it was told.
 *
 * @example
 * ```ts
 * dataVersionsFromRows([{ kind: 'm', period: '2024-01-01', version: '2024-02-01 02:00:00' }]);
 * // Map { 'month:2024-01' => 'm2024-02-01 02:00:00p-', 'hourly' => '-#0' }
 * ```
 */
export function dataVersionsFromRows(rows: readonly unknown[]): Map<ReportDataset, string> {
  const monthParts = new Map<string, { m?: string; p?: string }>();
  const days = new Map<ReportDataset, string>();
  let newestDay = '-';
  for (const raw of rows) {
    const row = raw as { kind?: unknown; period?: unknown; version?: unknown };
    if (typeof row.period !== 'string' || typeof row.version !== 'string') {
      throw new TypeError('data version rows need text `period` and `version`');
    }
    if (row.kind === 'h') {
      days.set(dayDataset(row.period), row.version);
      if (row.version > newestDay) newestDay = row.version;
    } else if (row.kind === 'm' || row.kind === 'p') {
      const month = row.period.slice(0, 7);
      const parts = monthParts.get(month) ?? {};
      const previous = parts[row.kind];
      parts[row.kind] = previous === undefined || row.version > previous ? row.version : previous;
      monthParts.set(month, parts);
    }
  }
  const versions = new Map<ReportDataset, string>();
  for (const [month, parts] of [...monthParts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    versions.set(monthDataset(month), `m${parts.m ?? '-'}p${parts.p ?? '-'}`);
  }
  for (const [day, version] of [...days].sort(([a], [b]) => (a < b ? -1 : 1))) versions.set(day, version);
  versions.set('hourly', `${newestDay}#${days.size}`);
  return versions;
}

/**
 * Reads every dataset's data version from ClickHouse (one query).
 *
 * @example
 * ```ts
 * const versions = await readReportDataVersions(client, reportTables({ database: 'reports' }));
 * versions.get('month:2024-01');
 * ```
 */
export async function readReportDataVersions(
  client: ReportQueryClient,
  tables: ReportTables,
): Promise<Map<ReportDataset, string>> {
  return dataVersionsFromRows(await runQuery(client, reportDataVersionsQuery(tables)));
}
