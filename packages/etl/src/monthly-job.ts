import {
  DELETED_COLUMN,
  type MartTableName,
  qualifiedTableName,
  VERSION_COLUMN,
  InvalidArgumentError,
} from '@bionicpro/models';
import {
  BatchWriter,
  type ClickHouseLike,
  deleteRawWindow,
  ensureWarehouse,
  insertRows,
  READ_SETTINGS,
  removeOrphanTelemetry,
  replaceMonthPartition,
  resolveLayout,
  syncRawTable,
  type WarehouseLayout,
} from './clickhouse-load.js';
import type { EtlStep } from './errors.js';
import {
  type CompiledQuery,
  clickhouseTimestamp,
  prostheticMonthlyMetricsSql,
  userMonthlyMetricsSql,
  userProsthesisHourlyStatsSql,
} from './kpi-sql.js';
import { type MonthPeriod, monthPeriod, type TimeWindow, timeWindow } from './period.js';
import {
  extractCrm,
  type PgPoolLike,
  streamBatteryMetricsForMonth,
  streamDeviceEventsForMonth,
  streamTable,
  streamWindow,
} from './postgres-extract.js';
import { prostheticMonthlyMetricsAsync } from './prosthetic-monthly-metrics.js';
import type { RetryPolicy } from './retry.js';
import type { ExtractOptions, ExtractPagination } from './postgres-extract.js';
import { withRetry } from './retry.js';
import { userMonthlyMetrics } from './user-monthly-metrics.js';
import { HourlyStatsAccumulator } from './user-prosthesis-hourly-stats.js';

/** Which engine computes the marts: the TS transforms in this process, or SQL pushdown in ClickHouse. */
export type KpiEngine = 'ts' | 'sql';

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
  /** Default `sql`: ClickHouse aggregates (SPEC §6); `ts` computes in this process while streaming. */
  readonly engine?: KpiEngine;
  readonly layout?: WarehouseLayout;
  /** Marts to rebuild (default: all three). */
  readonly marts?: readonly MartTableName[];
  /** Rows per ClickHouse insert (default 10 000; peak memory grows with it) and per PostgreSQL fetch (default 10 000). */
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
  /** How PostgreSQL is read (default `copy`); see {@link ExtractOptions.pagination}. */
  readonly pagination?: ExtractPagination;
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Clock for `last_updated` and `_version` (tests). */
  readonly now?: () => Date;
}

/** What a job did. */
export interface JobSummary {
  readonly period: string;
  readonly engine: KpiEngine;
  /** Rows extracted from PostgreSQL and loaded into the raw ClickHouse tables, per table. */
  readonly tables: Record<string, { extracted: number; loaded: number }>;
  /** Rows written per mart. */
  readonly marts: Partial<Record<MartTableName, number>>;
  /** Raw CRM rows marked deleted because the source no longer has them. */
  readonly deleted: Record<string, number>;
  readonly elapsedMs: number;
}

const ALL_MARTS: readonly MartTableName[] = [
  'report_user_monthly_metrics',
  'report_prosthetic_monthly_metrics',
  'user_prosthesis_stats',
];

/**
 * One idempotent ETL period (SPEC §3, §6): extract a month from both
 * PostgreSQL databases, load the raw ClickHouse tables (CRM tables synced with
 * delete markers, the month's telemetry window deleted first and re-imported,
 * orphan EMG events removed), then rebuild each mart's month atomically (a
 * staging table swapped in with REPLACE PARTITION), computed by the TS
 * transforms while the rows stream past (`engine: 'ts'`) or by SQL pushdown
 * from the raw tables (`engine: 'sql'`). Memory is bounded by the batch sizes
 * and the number of prostheses, not by the number of rows. Re-running a month
 * gives the same marts; months are independent and may run in parallel.
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
 *   onProgress: (e) => console.log(e.step, e.table, e.rows),
 * });
 * ```
 */
export async function runMonthlyJob(options: MonthlyJobOptions): Promise<JobSummary> {
  const period = monthPeriod(options.month);
  const engine = options.engine ?? 'sql';
  const shardRows = options.pushdownShardRows ?? 500_000;
  if (!Number.isSafeInteger(shardRows) || shardRows < 1) {
    throw new InvalidArgumentError(
      'pushdownShardRows',
      `pushdownShardRows must be an integer >= 1, got ${JSON.stringify(shardRows)}`,
    );
  }
  const layout = resolveLayout(options.layout);
  const marts = options.marts ?? ALL_MARTS;
  const now = options.now ?? (() => new Date());
  const lastUpdated = now();
  const version = lastUpdated.getTime();
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const progress = (step: EtlStep, table: string, rows: number, done = false) =>
    options.onProgress?.({ step, table, rows, elapsedMs: elapsed(), done });
  const retry = options.retry ? { retry: options.retry } : {};
  const tablesSummary: JobSummary['tables'] = {};
  const rawExtra = { [VERSION_COLUMN]: version, [DELETED_COLUMN]: 0 };
  const rawWriter = (table: string) =>
    new BatchWriter(options.clickhouse, qualifiedTableName(table, layout.rawDatabase), {
      batchSize: options.insertBatchSize ?? 10_000,
      extra: rawExtra,
      period: period.label,
      onBatch: (rows) => progress('load', table, rows),
      ...retry,
    });
  const extractOptions = (table: string) => ({
    period: period.label,
    batchSize: options.fetchBatchSize ?? 10_000,
    onRows: (rows: number) => progress('extract', table, rows),
    ...(options.pagination ? { pagination: options.pagination } : {}),
    ...retry,
  });

  progress('prepare', 'warehouse', 0);
  await withRetry(
    () => ensureWarehouse(options.clickhouse, options.layout),
    {
      step: 'prepare',
      table: 'warehouse',
      period: period.label,
    },
    options.retry,
  );
  progress('prepare', 'warehouse', 0, true);

  // CRM: small tables, read whole.
  const crm = await extractCrm(options.crm, period, extractOptions('crm'));
  const deleted: Record<string, number> = {};
  for (const table of ['users', 'prosthetics', 'subscriptions'] as const) {
    const rows = crm[table];
    const result = await syncRawTable(options.clickhouse, table, rows, {
      database: layout.rawDatabase,
      version,
      period: period.label,
      ...retry,
    });
    deleted[table] = result.deleted;
    tablesSummary[table] = { extracted: rows.length, loaded: result.written };
    progress('load', table, result.written, true);
  }
  const window: TimeWindow = timeWindow(new Date(period.startMs), new Date(period.endMs));
  const windowOptions = { database: layout.rawDatabase, period: period.label, ...retry };
  await deleteRawWindow(options.clickhouse, 'payments', window, windowOptions);
  const paymentsLoaded = await insertRows(
    options.clickhouse,
    qualifiedTableName('payments', layout.rawDatabase),
    crm.payments,
    { extra: rawExtra, period: period.label, ...retry },
  );
  tablesSummary.payments = { extracted: crm.payments.length, loaded: paymentsLoaded };
  progress('load', 'payments', paymentsLoaded, true);

  // Telemetry: each raw window is deleted first, then re-imported while the rows stream past.
  for (const table of ['device_events', 'battery_metrics', 'telemetry_events'] as const) {
    await deleteRawWindow(options.clickhouse, table, window, windowOptions);
  }
  const hourly =
    engine === 'ts' && marts.includes('user_prosthesis_stats')
      ? new HourlyStatsAccumulator(crm.users, crm.prosthetics, { month: period, lastUpdated })
      : undefined;
  const devWriter = rawWriter('device_events');
  const batWriter = rawWriter('battery_metrics');
  const emgWriter = rawWriter('telemetry_events');
  const counts = { device_events: 0, battery_metrics: 0, telemetry_events: 0 };
  async function* tee<T extends object>(
    source: AsyncIterable<T>,
    writer: BatchWriter,
    table: keyof typeof counts,
    visit?: (row: T) => void,
  ): AsyncGenerator<T> {
    for await (const row of source) {
      counts[table] += 1;
      visit?.(row);
      if (writer.add(row)) await writer.flush();
      yield row;
    }
    await writer.close();
  }
  const devices = tee(
    streamDeviceEventsForMonth(options.telemetry, period, extractOptions('device_events')),
    devWriter,
    'device_events',
    hourly ? (row) => hourly.deviceEvent(row) : undefined,
  );
  const battery = tee(
    streamBatteryMetricsForMonth(options.telemetry, period, extractOptions('battery_metrics')),
    batWriter,
    'battery_metrics',
    hourly ? (row) => hourly.batteryMetric(row) : undefined,
  );
  let prostheticRows: Awaited<ReturnType<typeof prostheticMonthlyMetricsAsync>> | undefined;
  if (engine === 'ts' && marts.includes('report_prosthetic_monthly_metrics')) {
    prostheticRows = await prostheticMonthlyMetricsAsync(
      { users: crm.users, prosthetics: crm.prosthetics, deviceEvents: devices, batteryMetrics: battery },
      { month: period, order: 'sorted', lastUpdated },
    );
  } else {
    await Promise.all([drain(devices), drain(battery)]);
  }
  await drain(
    tee(
      streamWindow(options.telemetry, 'telemetry_events', window, extractOptions('telemetry_events')),
      emgWriter,
      'telemetry_events',
      hourly ? (row) => hourly.telemetryEvent(row) : undefined,
    ),
  );
  for (const [table, writer] of [
    ['device_events', devWriter],
    ['battery_metrics', batWriter],
    ['telemetry_events', emgWriter],
  ] as const) {
    tablesSummary[table] = { extracted: counts[table], loaded: writer.written };
    progress('extract', table, counts[table], true);
    progress('load', table, writer.written, true);
  }
  await removeOrphanTelemetry(options.clickhouse, {
    database: layout.rawDatabase,
    period: period.label,
    ...retry,
  });

  // Marts: each month rebuilt in a staging table and swapped in.
  const martSummary: JobSummary['marts'] = {};
  const step: EtlStep = engine === 'ts' ? 'transform' : 'pushdown';
  for (const mart of marts) {
    progress(step, mart, 0);
    const rows = await replaceMonthPartition(
      options.clickhouse,
      mart,
      period,
      { database: layout.martDatabase, ...retry },
      async (staging) => {
        const target = qualifiedTableName(staging, layout.martDatabase);
        if (engine === 'sql') {
          const sqlOptions = {
            rawDatabase: layout.rawDatabase,
            martDatabase: layout.martDatabase,
            targetTable: staging,
            lastUpdated,
          };
          const context = { step: 'pushdown', table: mart, period: period.label } as const;
          const run = (compiled: CompiledQuery) =>
            withRetry(
              () => options.clickhouse.command({ ...compiled, query_params: { ...compiled.query_params } }),
              context,
              options.retry,
            );
          if (mart === 'report_prosthetic_monthly_metrics') {
            const monthRows = await withRetry(
              () => countMonthRows(options.clickhouse, period, layout.rawDatabase),
              context,
              options.retry,
            );
            const count = Math.max(1, Math.ceil(monthRows / shardRows));
            for (let index = 0; index < count; index += 1) {
              await run(prostheticMonthlyMetricsSql(period, { ...sqlOptions, shard: { count, index } }));
            }
            return;
          }
          await run(
            mart === 'report_user_monthly_metrics'
              ? userMonthlyMetricsSql(period, sqlOptions)
              : userProsthesisHourlyStatsSql(period, sqlOptions),
          );
          return;
        }
        const rows =
          mart === 'report_user_monthly_metrics'
            ? userMonthlyMetrics(crm, { month: period, lastUpdated })
            : mart === 'report_prosthetic_monthly_metrics'
              ? (prostheticRows ?? [])
              : (hourly?.result() ?? []);
        await insertRows(options.clickhouse, target, rows, { period: period.label, ...retry });
      },
    );
    martSummary[mart] = rows;
    progress(step, mart, rows, true);
  }
  return {
    period: period.label,
    engine,
    tables: tablesSummary,
    marts: martSummary,
    deleted,
    elapsedMs: elapsed(),
  };
}

async function drain(source: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of source) {
    // consumed for its side effects (raw load)
  }
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

/** Device and battery rows of the month in the raw tables (before deduplication: an upper bound). */
async function countMonthRows(
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
 * Seed 004's import, incremental: syncs `users` (one current row per user,
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
