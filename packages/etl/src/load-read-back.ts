import {
  DELETED_COLUMN,
  type MonthPeriod,
  qualifiedTableName,
  type SourceTableName,
  type TimeWindow,
} from '@bionicpro/models';
import { type ClickHouseLike, READ_SETTINGS, WINDOW_COLUMN } from './clickhouse-load.js';
import { clickhouseTimestamp } from './clickhouse-values.js';
import { EtlStepError, type InvalidSourceRow, LoadMismatchError, type WindowCount } from './errors.js';
import type { MonthlyJobContext } from './monthly-job-context.js';
import type { PgPoolLike } from './postgres-extract.js';
import { type RetryPolicy, withRetry } from './retry.js';
import { type SourceCheckRow, sourceCheckQuery, type TelemetrySourceTable } from './source-rules-sql.js';

/** A window's rows as counted back from ClickHouse must be the rows sent; anything else is data lost or doubled. */
export function expectLoaded(table: string, period: string, sent: number, loaded: number): void {
  if (sent !== loaded) {
    throw new EtlStepError('load', table, period, false, 1, {
      cause: new LoadMismatchError(
        table,
        { rows: sent, first: null, last: null },
        { rows: loaded, first: null, last: null },
      ),
    });
  }
}

/** Current (latest, not deleted) rows of a whole raw CRM table. */
export async function countCurrentRows(
  client: ClickHouseLike,
  table: SourceTableName,
  rawDatabase: string,
): Promise<number> {
  const result = await client.query({
    query: `SELECT count() AS rows FROM ${qualifiedTableName(table, rawDatabase)} FINAL WHERE ${DELETED_COLUMN} = 0`,
    format: 'JSONEachRow',
    clickhouse_settings: READ_SETTINGS,
  });
  const [row] = await result.json<{ rows: number | string }>();
  return Number(row?.rows ?? 0);
}

/**
 * Current rows of a raw table's window in ClickHouse: count, first and last
 * instant (UTC text, ms). FINAL: the job of the next month, running alongside,
 * may insert some of this month's rows again as its context rows; they are
 * the same rows (same key), counted once.
 */
export async function readRawWindow(
  client: ClickHouseLike,
  table: SourceTableName,
  window: TimeWindow,
  rawDatabase: string,
): Promise<WindowCount> {
  const column = WINDOW_COLUMN[table]!;
  const result = await client.query({
    query: `SELECT count() AS rows, if(rows = 0, NULL, toString(toTimeZone(min(${column}), 'UTC'))) AS first, if(rows = 0, NULL, toString(toTimeZone(max(${column}), 'UTC'))) AS last
FROM ${qualifiedTableName(table, rawDatabase)} FINAL
WHERE ${DELETED_COLUMN} = 0 AND ${column} >= {start:DateTime64(3, 'UTC')} AND ${column} < {end:DateTime64(3, 'UTC')}`,
    query_params: { start: clickhouseTimestamp(window.start), end: clickhouseTimestamp(window.end) },
    format: 'JSONEachRow',
    clickhouse_settings: READ_SETTINGS,
  });
  const [row] = await result.json<{ rows: number | string; first: string | null; last: string | null }>();
  return { rows: Number(row?.rows ?? 0), first: row?.first ?? null, last: row?.last ?? null };
}

/** The models' rules and the window's count, first and last instant, computed by PostgreSQL. */
export async function checkSourceWindow(
  pool: PgPoolLike,
  table: TelemetrySourceTable,
  window: TimeWindow,
  period: string,
  retry: RetryPolicy | undefined,
): Promise<WindowCount & { bad: number; samples: InvalidSourceRow[] }> {
  const { text, values } = sourceCheckQuery(table, window);
  const result = await withRetry(() => pool.query(text, values), { step: 'extract', table, period }, retry);
  const row = result.rows[0] as SourceCheckRow;
  return {
    rows: Number(row.rows),
    first: row.first,
    last: row.last,
    bad: Number(row.bad),
    samples: (row.samples ?? []).map((sample) => {
      const [id = '', column = '', rule = ''] = sample.split('\t');
      return { id, column, rule };
    }),
  };
}

/** Device and battery rows of the month in the raw tables (before deduplication: an upper bound). */
export async function countMonthRows(
  client: ClickHouseLike,
  period: MonthPeriod,
  rawDatabase: string,
): Promise<number> {
  const inMonth = (table: 'device_events' | 'battery_metrics', column: string) =>
    `(SELECT count() FROM ${qualifiedTableName(table, rawDatabase)} WHERE ${column} >= {start:DateTime64(3, 'UTC')} AND ${column} < {end:DateTime64(3, 'UTC')})`;
  const result = await client.query({
    query: `SELECT ${inMonth('device_events', 'event_timestamp')} + ${inMonth('battery_metrics', 'metric_timestamp')} AS rows`,
    query_params: { start: clickhouseTimestamp(period.startMs), end: clickhouseTimestamp(period.endMs) },
    format: 'JSONEachRow',
    clickhouse_settings: READ_SETTINGS,
  });
  const [row] = await result.json<{ rows: string | number }>();
  return Number(row?.rows ?? 0);
}

/** Step `read_back`: what ClickHouse holds of a raw table's month window. */
export function readBack(ctx: MonthlyJobContext, table: SourceTableName): Promise<WindowCount> {
  return ctx.recorder.timed(
    'read_back',
    table,
    () => readRawWindow(ctx.clickhouse, table, ctx.window, ctx.layout.rawDatabase),
    (r) => r.rows,
  );
}
