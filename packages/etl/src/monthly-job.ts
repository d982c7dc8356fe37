import {
  DELETED_COLUMN,
  type MartTableName,
  qualifiedTableName,
  VERSION_COLUMN,
  InvalidArgumentError,
  type TimeWindow,
  timeWindow,
} from '@bionicpro/models';
import {
  type ClickHouseLike,
  deleteRawWindow,
  ensureWarehouse,
  insertRows,
  READ_SETTINGS,
  removeOrphanTelemetry,
  resolveLayout,
  syncRawTable,
  type WarehouseLayout,
} from './clickhouse-load.js';
import type { EtlStep, OutsideRetentionError } from './errors.js';
import { clickhouseTimestamp } from './clickhouse-values.js';
import type { prostheticMonthlyMetricsSql } from './kpi-sql.js';
import { type PgPoolLike, streamTable, streamWindow } from './postgres-extract.js';
import type { RetryPolicy } from './retry.js';
import type { ExtractOptions, ExtractPagination } from './postgres-extract.js';
import { loadCrm, prepareWarehouse } from './monthly-job-crm.js';
import { monthlyJobContext, rawWindowOptions } from './monthly-job-context.js';
import { buildMarts } from './monthly-job-marts.js';
import { loadTelemetry } from './monthly-job-telemetry.js';

/** Which engine computes the marts: the TS transforms in this process, or SQL pushdown in ClickHouse. */
export type KpiEngine = 'ts' | 'sql';

/**
 * How the month's telemetry reaches ClickHouse: read by this process from
 * PostgreSQL (`copy`, `cursor`, `keyset`; see {@link ExtractPagination}),
 * validated by the model parsers and inserted as TabSeparated batches; or
 * `clickhouse`: ClickHouse reads PostgreSQL itself with `postgresql()` (engine
 * `sql` only), and the models' rules are checked by SQL in PostgreSQL (see
 * `sourceRules`).
 */
export type ExtractMode = ExtractPagination | 'clickhouse';

/** A progress report of a running job: rows so far of one step and table. */
export interface ProgressEvent {
  readonly step: EtlStep;
  readonly table: string;
  readonly rows: number;
  readonly elapsedMs: number;
  /** True on the step's last event. */
  readonly done: boolean;
}

/** Options of {@link runMonthlyJob}. */
export interface MonthlyJobOptions {
  /** `YYYY-MM`. */
  readonly month: string;
  /** Pool on crm_db (users, prosthetics, subscriptions, payments). */
  readonly crm: PgPoolLike;
  /** Pool on telemetry_db (telemetry_events, device_events, battery_metrics). */
  readonly telemetry: PgPoolLike;
  readonly clickhouse: ClickHouseLike;
  /** Default `sql`: ClickHouse aggregates (docs/architecture.md); `ts` computes in this process while streaming. */
  readonly engine?: KpiEngine;
  readonly layout?: WarehouseLayout;
  /** Marts to rebuild (default: all three). */
  readonly marts?: readonly MartTableName[];
  /**
   * Rows per ClickHouse insert (default 10 000; one batch is inserted while
   * the next is encoded, so peak memory is about two batches per table) and
   * per PostgreSQL fetch (default 10 000).
   */
  readonly insertBatchSize?: number;
  readonly fetchBatchSize?: number;
  /**
   * SQL engine: the prosthetic-monthly mart is built in slices of the prostheses
   * (see {@link prostheticMonthlyMetricsSql}'s `shard`) so that each slice covers
   * at most about this many of the month's device and battery rows (default
   * 500 000). The engine's working memory follows it, not the month's size.
   */
  readonly pushdownShardRows?: number;
  readonly retry?: RetryPolicy;
  /** How the telemetry is read (default `copy`); see {@link ExtractMode}. Overrides `pagination`. */
  readonly extract?: ExtractMode;
  /** How PostgreSQL is read (default `copy`); see {@link ExtractOptions.pagination}. */
  readonly pagination?: ExtractPagination;
  /**
   * `extract: 'clickhouse'`: the telemetry database as ClickHouse reaches it,
   * `postgres://user:password@host:port/telemetry_db` (the CLI passes
   * `--telemetry`). Its sessions must use the time zone UTC (PostgreSQL's
   * default); the job compares what ClickHouse loaded with the source and
   * fails on any difference.
   */
  readonly telemetrySourceUrl?: string;
  /**
   * Days the hourly mart keeps a row (its TTL): default 365 as in the
   * models' DDL, `null` for no TTL. Given explicitly, the mart's TTL is
   * changed to match. A month wholly outside the retention is refused before
   * any work ({@link OutsideRetentionError}).
   */
  readonly retentionDays?: number | null;
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Clock for `last_updated`, `_version` and the retention check (tests). */
  readonly now?: () => Date;
}

/** Seconds and rows of one step on one table. */
export interface StepTiming {
  readonly seconds: number;
  readonly rows: number;
}

/**
 * Where a job's time went, per step and table. Steps: `prepare` (DDL),
 * `extract` (reading PostgreSQL and parsing rows with the models, in this
 * process), `encode` (rows to TabSeparated bytes), `insert` (INSERTs in
 * flight, summed; they overlap the extract), `backpressure` (the extract
 * waiting for an INSERT), `copy` (`extract: 'clickhouse'`: ClickHouse's
 * `INSERT … SELECT FROM postgresql()`), `check` (the models' rules in SQL),
 * `read_back` (counting what ClickHouse holds), `transform` / `pushdown`
 * (marts), `swap` (REPLACE PARTITION). Steps overlap, so seconds do not add up
 * to the elapsed time.
 */
export type JobTimings = Record<string, Record<string, StepTiming>>;

/** What a job did. */
export interface JobSummary {
  readonly period: string;
  readonly engine: KpiEngine;
  readonly extract: ExtractMode;
  /**
   * Per raw table: rows extracted from PostgreSQL (the month plus its context
   * rows; with `extract: 'clickhouse'`, the month as PostgreSQL counts it), and
   * `loaded`: what ClickHouse holds after the load, read back (the month's
   * rows for the telemetry and payments windows, the current rows for the
   * CRM tables).
   */
  readonly tables: Record<string, { extracted: number; loaded: number }>;
  /** Rows per mart for the month, read back from the mart after the swap. */
  readonly marts: Partial<Record<MartTableName, number>>;
  /** Raw CRM rows marked deleted because the source no longer has them. */
  readonly deleted: Record<string, number>;
  /** The hourly mart's retention in days (null: no TTL). */
  readonly retentionDays: number | null;
  /** Things a person should know, e.g. a month partly outside the retention. */
  readonly warnings: readonly string[];
  readonly timings: JobTimings;
  readonly elapsedMs: number;
}

export { checkRetention } from './monthly-job-context.js';

/**
 * One idempotent ETL period (docs/kpis.md, docs/architecture.md): extract a month from both
 * PostgreSQL databases, load the raw ClickHouse tables (CRM tables synced with
 * delete markers, the month's telemetry window deleted first and re-imported,
 * orphan EMG events removed), then rebuild each mart's month atomically (a
 * staging table swapped in with REPLACE PARTITION), computed by the TS
 * transforms while the rows stream past (`engine: 'ts'`) or by SQL pushdown
 * from the raw tables (`engine: 'sql'`). The telemetry is inserted as
 * TabSeparated batches while the next batch is read (or, with `extract:
 * 'clickhouse'`, copied by ClickHouse itself). Memory is bounded by the batch
 * sizes and the number of prostheses, not by the number of rows. The summary
 * counts what ClickHouse holds after the load, and `timings` says where the
 * time went. Re-running a month gives the same marts; months are independent
 * and may run in parallel.
 *
 * @example
 * ```ts
 * import { createExtractPool, runMonthlyJob } from '@bionicpro/etl';
 * const summary = await runMonthlyJob({
 *   month: '2024-01',
 *   crm: await createExtractPool(process.env.CRM_URL!),
 *   telemetry: await createExtractPool(process.env.TELEMETRY_URL!),
 *   clickhouse,
 *   engine: 'sql',
 *   retentionDays: null, // a backfill of an old month: keep its hourly rows
 *   onProgress: (e) => console.log(e.step, e.table, e.rows),
 * });
 * console.log(summary.timings.insert);
 * ```
 */
export async function runMonthlyJob(options: MonthlyJobOptions): Promise<JobSummary> {
  const ctx = monthlyJobContext(options);
  const tablesSummary: JobSummary['tables'] = {};
  await prepareWarehouse(ctx);
  const { crm, deleted } = await loadCrm(ctx, tablesSummary);
  const streamed = await loadTelemetry(ctx, crm, tablesSummary);
  await ctx.recorder.timed('prepare', 'orphans', () =>
    removeOrphanTelemetry(ctx.clickhouse, rawWindowOptions(ctx)),
  );
  const marts = await buildMarts(ctx, crm, streamed);
  return {
    period: ctx.period.label,
    engine: ctx.engine,
    extract: ctx.extract,
    tables: tablesSummary,
    marts,
    deleted,
    retentionDays: ctx.retentionDays,
    warnings: ctx.warnings,
    timings: ctx.recorder.timings,
    elapsedMs: ctx.recorder.elapsed(),
  };
}

/** Name of the watermark table in the raw database. */
export const WATERMARK_TABLE = 'etl_watermarks';

async function ensureWatermarkTable(client: ClickHouseLike, database: string): Promise<string> {
  const table = qualifiedTableName(WATERMARK_TABLE, database);
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${table} (name String, watermark DateTime64(3, 'UTC'), updated_at DateTime64(3, 'UTC')) ENGINE = ReplacingMergeTree(updated_at) ORDER BY name`,
  });
  return table;
}

/** The end of the last window imported under `name`, or undefined before the first import. */
export async function readWatermark(
  client: ClickHouseLike,
  name: string,
  layout: WarehouseLayout = {},
): Promise<Date | undefined> {
  const table = await ensureWatermarkTable(client, resolveLayout(layout).rawDatabase);
  const result = await client.query({
    query: `SELECT watermark FROM ${table} FINAL WHERE name = {name:String}`,
    query_params: { name },
    format: 'JSONEachRow',
    clickhouse_settings: READ_SETTINGS,
  });
  const [row] = await result.json<{ watermark: string }>();
  return row ? new Date(`${row.watermark.replace(' ', 'T')}Z`) : undefined;
}

/** Records the end of a successfully imported window. */
export async function writeWatermark(
  client: ClickHouseLike,
  name: string,
  watermark: Date,
  layout: WarehouseLayout = {},
): Promise<void> {
  const table = await ensureWatermarkTable(client, resolveLayout(layout).rawDatabase);
  await client.insert({
    table,
    values: [
      { name, watermark: clickhouseTimestamp(watermark), updated_at: clickhouseTimestamp(Date.now()) },
    ],
    format: 'JSONEachRow',
  });
}

/** Options of {@link importTelemetryWindow}. */
export interface TelemetryWindowImportOptions {
  readonly crm: PgPoolLike;
  readonly telemetry: PgPoolLike;
  readonly clickhouse: ClickHouseLike;
  /** Window start; default: the stored watermark (the previous run's end). */
  readonly start?: Date;
  /** Window end (exclusive); default: now. */
  readonly end?: Date;
  readonly layout?: WarehouseLayout;
  readonly retry?: RetryPolicy;
  /** How PostgreSQL is read (default `copy`); see {@link ExtractOptions.pagination}. */
  readonly pagination?: ExtractPagination;
  readonly onProgress?: (event: ProgressEvent) => void;
}

/**
 * the import, incremental: syncs `users` (one current row per user,
 * deleted users marked deleted), re-imports the EMG `telemetry_events` of the
 * window `[start, end)` after deleting that window, removes events of users
 * that no longer exist, and advances the watermark to `end`. Without `start`,
 * the window starts at the watermark (the first run needs an explicit start).
 *
 * @example
 * ```ts
 * import { importTelemetryWindow } from '@bionicpro/etl';
 * await importTelemetryWindow({ crm, telemetry, clickhouse, start: new Date('2026-01-01T00:00:00Z'), end: new Date('2026-02-01T00:00:00Z') });
 * ```
 */
export async function importTelemetryWindow(options: TelemetryWindowImportOptions): Promise<{
  window: TimeWindow;
  users: number;
  events: number;
}> {
  const layout = resolveLayout(options.layout);
  await ensureWarehouse(options.clickhouse, options.layout);
  const start =
    options.start ?? (await readWatermark(options.clickhouse, 'telemetry_events', options.layout));
  if (start === undefined) {
    throw new InvalidArgumentError(
      'start',
      'importTelemetryWindow: no watermark stored yet; pass an explicit start',
    );
  }
  const window = timeWindow(start, options.end ?? new Date());
  const label = `${window.start.toISOString()}..${window.end.toISOString()}`;
  const version = Date.now();
  const retry = options.retry ? { retry: options.retry } : {};
  const period = { period: label, ...retry };
  const paging = options.pagination ? { pagination: options.pagination } : {};
  const users: { id: number }[] = [];
  for await (const user of streamTable(options.crm, 'users', undefined, 'id', { ...period, ...paging })) {
    users.push(user);
  }
  await syncRawTable(options.clickhouse, 'users', users, {
    database: layout.rawDatabase,
    version,
    ...period,
  });
  await deleteRawWindow(options.clickhouse, 'telemetry_events', window, {
    database: layout.rawDatabase,
    ...period,
  });
  const started = performance.now();
  const events = await insertRows(
    options.clickhouse,
    qualifiedTableName('telemetry_events', layout.rawDatabase),
    streamWindow(options.telemetry, 'telemetry_events', window, { ...period, ...paging }),
    {
      extra: { [VERSION_COLUMN]: version, [DELETED_COLUMN]: 0 },
      ...period,
      onBatch: (rows) =>
        options.onProgress?.({
          step: 'load',
          table: 'telemetry_events',
          rows,
          elapsedMs: Math.round(performance.now() - started),
          done: false,
        }),
    },
  );
  await removeOrphanTelemetry(options.clickhouse, { database: layout.rawDatabase, ...period });
  await writeWatermark(options.clickhouse, 'telemetry_events', window.end, options.layout);
  return { window, users: users.length, events };
}
