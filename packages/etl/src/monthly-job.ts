import {
  columnsOf,
  DELETED_COLUMN,
  defaultRetentionDays,
  type MartTableName,
  qualifiedTableName,
  type SourceTableName,
  tables,
  tableTtl,
  VERSION_COLUMN,
  InvalidArgumentError,
  type MonthPeriod,
  monthPeriod,
  type TimeWindow,
  timeWindow,
  type CompiledQuery,
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
  WINDOW_COLUMN,
  type WarehouseLayout,
} from './clickhouse-load.js';
import {
  type EtlStep,
  EtlStepError,
  type InvalidSourceRow,
  InvalidSourceRowsError,
  LoadMismatchError,
  OutsideRetentionError,
} from './errors.js';
import { clickhouseTimestamp } from './clickhouse-values.js';
import {
  prostheticMonthlyMetricsSql,
  userMonthlyMetricsSql,
  userProsthesisHourlyStatsSql,
} from './kpi-sql.js';
import {
  batteryMetricContext,
  deviceEventContext,
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
import {
  type PostgresTableFunctionSource,
  postgresTableFunctionSource,
  telemetryWindowFromPostgresSql,
} from './postgres-table-function.js';
import { type SourceCheckRow, sourceCheckQuery, type TelemetrySourceTable } from './source-rules-sql.js';
import { withRetry } from './retry.js';
import { userMonthlyMetrics } from './user-monthly-metrics.js';
import { HourlyStatsAccumulator } from './user-prosthesis-hourly-stats.js';

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

const ALL_MARTS: readonly MartTableName[] = [
  'report_user_monthly_metrics',
  'report_prosthetic_monthly_metrics',
  'user_prosthesis_stats',
];

const DAY_MS = 86_400_000;

/**
 * The retention check of a month for the hourly mart, before any work: throws
 * {@link OutsideRetentionError} when ClickHouse's TTL (`date + N DAY`, applied
 * against `now`) would delete every day of the month, and returns a warning
 * when it would delete the first days.
 *
 * @example
 * ```ts
 * import { checkRetention, monthPeriod } from '@bionicpro/etl';
 * checkRetention(monthPeriod('2026-01'), 365, new Date('2026-12-06T00:00:00Z')); // []
 * checkRetention(monthPeriod('2024-01'), null, new Date()); // [] (no TTL)
 * ```
 */
export function checkRetention(period: MonthPeriod, retentionDays: number | null, now: Date): string[] {
  if (retentionDays === null) return [];
  // A row of day D is kept while D + N days > now.
  const keptFromMs = Math.floor((now.getTime() - retentionDays * DAY_MS) / DAY_MS) * DAY_MS + DAY_MS;
  const keptFrom = new Date(keptFromMs).toISOString().slice(0, 10);
  const lastDayMs = period.endMs - DAY_MS;
  if (lastDayMs < keptFromMs) throw new OutsideRetentionError(period.label, retentionDays, keptFrom);
  if (period.startMs < keptFromMs) {
    return [
      `user_prosthesis_stats keeps ${period.label} only from ${keptFrom} (retention ${retentionDays} days): ClickHouse's TTL deletes the earlier days`,
    ];
  }
  return [];
}

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
  const period = monthPeriod(options.month);
  const engine = options.engine ?? 'sql';
  const extract: ExtractMode = options.extract ?? options.pagination ?? 'copy';
  if (!['copy', 'cursor', 'keyset', 'clickhouse'].includes(extract)) {
    throw new InvalidArgumentError(
      'extract',
      `extract must be copy, cursor, keyset or clickhouse, got ${JSON.stringify(extract)}`,
    );
  }
  const shardRows = options.pushdownShardRows ?? 500_000;
  if (!Number.isSafeInteger(shardRows) || shardRows < 1) {
    throw new InvalidArgumentError(
      'pushdownShardRows',
      `pushdownShardRows must be an integer >= 1, got ${JSON.stringify(shardRows)}`,
    );
  }
  let source: PostgresTableFunctionSource | undefined;
  if (extract === 'clickhouse') {
    if (engine !== 'sql') {
      throw new RangeError(
        "extract 'clickhouse' needs engine 'sql': the TS engine reads every row in this process",
      );
    }
    if (!options.telemetrySourceUrl) {
      throw new TypeError(
        "extract 'clickhouse' needs telemetrySourceUrl: the telemetry database as ClickHouse reaches it",
      );
    }
    source = postgresTableFunctionSource(options.telemetrySourceUrl);
  }
  const layout = resolveLayout(options.layout);
  const marts = options.marts ?? ALL_MARTS;
  const now = options.now ?? (() => new Date());
  const lastUpdated = now();
  // Validates the setting (InvalidRetentionError) before anything runs.
  tableTtl(tables.user_prosthesis_stats, options.retentionDays);
  const retentionDays =
    options.retentionDays === undefined
      ? (defaultRetentionDays(tables.user_prosthesis_stats) ?? null)
      : options.retentionDays;
  const warnings = marts.includes('user_prosthesis_stats')
    ? checkRetention(period, retentionDays, lastUpdated)
    : [];
  const version = lastUpdated.getTime();
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const progress = (step: EtlStep, table: string, rows: number, done = false) =>
    options.onProgress?.({ step, table, rows, elapsedMs: elapsed(), done });
  const timings: JobTimings = {};
  const time = (step: string, table: string, ms: number, rows: number) => {
    const byTable = timings[step] ?? {};
    timings[step] = byTable;
    const before = byTable[table] ?? { seconds: 0, rows: 0 };
    byTable[table] = {
      seconds: Math.round((before.seconds + ms / 1000) * 1000) / 1000,
      rows: before.rows + rows,
    };
  };
  const timed = async <T>(
    step: string,
    table: string,
    run: () => Promise<T>,
    rows?: (value: T) => number,
  ) => {
    const t = performance.now();
    const value = await run();
    time(step, table, performance.now() - t, rows ? rows(value) : 0);
    return value;
  };
  const retry = options.retry ? { retry: options.retry } : {};
  const tablesSummary: JobSummary['tables'] = {};
  const rawExtra = { [VERSION_COLUMN]: version, [DELETED_COLUMN]: 0 };
  const rawWriter = (table: SourceTableName) =>
    new BatchWriter(options.clickhouse, qualifiedTableName(table, layout.rawDatabase), {
      batchSize: options.insertBatchSize ?? 10_000,
      columns: columnsOf(tables[table]).map((c) => c.name),
      extra: rawExtra,
      period: period.label,
      onBatch: (rows) => progress('load', table, rows),
      ...retry,
    });
  const writerTimings = (table: string, writer: BatchWriter) => {
    time('encode', table, writer.timings.encodeMs, writer.written);
    time('insert', table, writer.timings.insertMs, writer.written);
    time('backpressure', table, writer.timings.waitMs, 0);
  };
  const pagination: ExtractPagination = extract === 'clickhouse' ? 'copy' : extract;
  const extractOptions = (table: string) => ({
    period: period.label,
    batchSize: options.fetchBatchSize ?? 10_000,
    onRows: (rows: number) => progress('extract', table, rows),
    pagination,
    ...retry,
  });

  progress('prepare', 'warehouse', 0);
  await timed('prepare', 'warehouse', () =>
    withRetry(
      () =>
        ensureWarehouse(
          options.clickhouse,
          options.layout,
          options.retentionDays === undefined ? {} : { retentionDays: options.retentionDays },
        ),
      { step: 'prepare', table: 'warehouse', period: period.label },
      options.retry,
    ),
  );
  progress('prepare', 'warehouse', 0, true);

  // CRM: small tables, read whole.
  const crm = await timed(
    'extract',
    'crm',
    () => extractCrm(options.crm, period, extractOptions('crm')),
    (c) => c.users.length + c.prosthetics.length + c.subscriptions.length + c.payments.length,
  );
  const deleted: Record<string, number> = {};
  for (const table of ['users', 'prosthetics', 'subscriptions'] as const) {
    const rows = crm[table];
    const result = await timed(
      'insert',
      table,
      () =>
        syncRawTable(options.clickhouse, table, rows, {
          database: layout.rawDatabase,
          version,
          period: period.label,
          ...retry,
        }),
      (r) => r.written,
    );
    deleted[table] = result.deleted;
    // Read back what ClickHouse now holds (not a check: a CDC sink may write these tables too).
    const current = await timed(
      'read_back',
      table,
      () => countCurrentRows(options.clickhouse, table, layout.rawDatabase),
      (n) => n,
    );
    tablesSummary[table] = { extracted: rows.length, loaded: current };
    progress('load', table, current, true);
  }
  const window: TimeWindow = timeWindow(new Date(period.startMs), new Date(period.endMs));
  const windowOptions = { database: layout.rawDatabase, period: period.label, ...retry };
  const readBack = (table: SourceTableName) =>
    timed(
      'read_back',
      table,
      () => readRawWindow(options.clickhouse, table, window, layout.rawDatabase),
      (r) => r.rows,
    );
  await deleteRawWindow(options.clickhouse, 'payments', window, windowOptions);
  await timed(
    'insert',
    'payments',
    () =>
      insertRows(options.clickhouse, qualifiedTableName('payments', layout.rawDatabase), crm.payments, {
        columns: columnsOf(tables.payments).map((c) => c.name),
        extra: rawExtra,
        period: period.label,
        ...retry,
      }),
    (n) => n,
  );
  const payments = await readBack('payments');
  expectLoaded('payments', period.label, crm.payments.length, payments.rows);
  tablesSummary.payments = { extracted: crm.payments.length, loaded: payments.rows };
  progress('load', 'payments', payments.rows, true);

  // Telemetry: each raw window is deleted first, then re-imported.
  const telemetryTables = ['device_events', 'battery_metrics', 'telemetry_events'] as const;
  for (const table of telemetryTables) {
    await deleteRawWindow(options.clickhouse, table, window, windowOptions);
  }
  let prostheticRows: Awaited<ReturnType<typeof prostheticMonthlyMetricsAsync>> | undefined;
  let hourly: HourlyStatsAccumulator | undefined;
  if (extract === 'clickhouse' && source) {
    const copySource = source;
    // ClickHouse copies each window from PostgreSQL while PostgreSQL checks the same rows against the
    // models' rules; the context rows of the prosthetic mart (a handful per prosthesis) come through here.
    // One table at a time: each INSERT … SELECT already keeps PostgreSQL and ClickHouse busy, and one
    // pipeline at a time keeps the engine's memory at one table's.
    // A table that fails empties its window again before the error propagates.
    for (const table of telemetryTables) {
      await (async () => {
        progress('extract', table, 0);
        const [check] = await Promise.all([
          timed('check', table, () =>
            checkSourceWindow(options.telemetry, table, window, period.label, options.retry),
          ),
          timed('copy', table, () =>
            withRetry(
              () =>
                options.clickhouse.command(
                  telemetryWindowFromPostgresSql(table, window, copySource, {
                    rawDatabase: layout.rawDatabase,
                    version,
                  }),
                ),
              { step: 'extract', table, period: period.label },
              options.retry,
            ),
          ),
        ]);
        const loaded = await readBack(table);
        time('copy', table, 0, loaded.rows);
        const bad = check.bad > 0 ? new InvalidSourceRowsError(table, check.bad, check.samples) : undefined;
        const mismatch =
          loaded.rows !== check.rows || loaded.first !== check.first || loaded.last !== check.last
            ? new LoadMismatchError(table, check, loaded)
            : undefined;
        if (bad || mismatch) {
          // Nothing half-checked stays behind: the window is emptied again.
          await deleteRawWindow(options.clickhouse, table, window, windowOptions);
          throw new EtlStepError(bad ? 'extract' : 'load', table, period.label, false, 1, {
            cause: bad ?? mismatch,
          });
        }
        let context = 0;
        if (table !== 'telemetry_events') {
          const rows = await timed(
            'extract',
            table,
            (): Promise<object[]> =>
              table === 'device_events'
                ? deviceEventContext(options.telemetry, period, extractOptions(table))
                : batteryMetricContext(options.telemetry, period, extractOptions(table)),
            (r) => r.length,
          );
          const writer = rawWriter(table);
          for (const row of rows) writer.add(row);
          await writer.close();
          writerTimings(table, writer);
          context = rows.length;
        }
        tablesSummary[table] = { extracted: check.rows + context, loaded: loaded.rows };
        progress('extract', table, check.rows + context, true);
        progress('load', table, loaded.rows, true);
      })();
    }
  } else {
    hourly =
      engine === 'ts' && marts.includes('user_prosthesis_stats')
        ? new HourlyStatsAccumulator(crm.users, crm.prosthetics, { month: period, lastUpdated })
        : undefined;
    const writers = {
      device_events: rawWriter('device_events'),
      battery_metrics: rawWriter('battery_metrics'),
      telemetry_events: rawWriter('telemetry_events'),
    };
    const counts = { device_events: 0, battery_metrics: 0, telemetry_events: 0 };
    const inWindow = { device_events: 0, battery_metrics: 0, telemetry_events: 0 };
    const streamMs = { device_events: 0, battery_metrics: 0, telemetry_events: 0 };
    const tee = async function* <T extends object>(
      source: AsyncIterable<T>,
      table: keyof typeof counts,
      instant: (row: T) => Date,
      visit?: (row: T) => void,
    ): AsyncGenerator<T> {
      const writer = writers[table];
      let t = performance.now();
      try {
        for await (const row of source) {
          counts[table] += 1;
          const ms = instant(row).getTime();
          if (ms >= period.startMs && ms < period.endMs) inWindow[table] += 1;
          visit?.(row);
          if (writer.add(row)) await writer.flush();
          streamMs[table] += performance.now() - t;
          yield row;
          t = performance.now();
        }
        await writer.close();
        streamMs[table] += performance.now() - t;
      } finally {
        await writer.abandon();
      }
    };
    const devices = tee(
      streamDeviceEventsForMonth(options.telemetry, period, extractOptions('device_events')),
      'device_events',
      (row) => row.event_timestamp,
      hourly ? (row) => hourly!.deviceEvent(row) : undefined,
    );
    const battery = tee(
      streamBatteryMetricsForMonth(options.telemetry, period, extractOptions('battery_metrics')),
      'battery_metrics',
      (row) => row.metric_timestamp,
      hourly ? (row) => hourly!.batteryMetric(row) : undefined,
    );
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
        'telemetry_events',
        (row) => row.event_timestamp,
        hourly ? (row) => hourly!.telemetryEvent(row) : undefined,
      ),
    );
    for (const table of telemetryTables) {
      const writer = writers[table];
      writerTimings(table, writer);
      // The extract's own time: the stream loop less encoding and waiting for INSERTs.
      time(
        'extract',
        table,
        Math.max(0, streamMs[table] - writer.timings.encodeMs - writer.timings.waitMs),
        counts[table],
      );
      const loaded = await readBack(table);
      expectLoaded(table, period.label, inWindow[table], loaded.rows);
      tablesSummary[table] = { extracted: counts[table], loaded: loaded.rows };
      progress('extract', table, counts[table], true);
      progress('load', table, loaded.rows, true);
    }
  }
  await timed('prepare', 'orphans', () =>
    removeOrphanTelemetry(options.clickhouse, {
      database: layout.rawDatabase,
      period: period.label,
      ...retry,
    }),
  );

  // Marts: each month rebuilt in a staging table and swapped in.
  const martSummary: JobSummary['marts'] = {};
  const step: EtlStep = engine === 'ts' ? 'transform' : 'pushdown';
  for (const mart of marts) {
    progress(step, mart, 0);
    let fillMs = 0;
    const martStarted = performance.now();
    const rows = await replaceMonthPartition(
      options.clickhouse,
      mart,
      period,
      { database: layout.martDatabase, ...retry },
      async (staging) => {
        const fillStarted = performance.now();
        try {
          await fillMart(staging, mart);
        } finally {
          fillMs = performance.now() - fillStarted;
        }
      },
    );
    time(step, mart, fillMs, rows);
    time('swap', mart, performance.now() - martStarted - fillMs, rows);
    martSummary[mart] = rows;
    progress(step, mart, rows, true);
  }
  return {
    period: period.label,
    engine,
    extract,
    tables: tablesSummary,
    marts: martSummary,
    deleted,
    retentionDays,
    warnings,
    timings,
    elapsedMs: elapsed(),
  };

  async function fillMart(staging: string, mart: MartTableName): Promise<void> {
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
    await insertRows(options.clickhouse, target, rows, {
      columns: columnsOf(tables[mart]).map((c) => c.name),
      period: period.label,
      ...retry,
    });
  }
}

/** A window's rows as counted back from ClickHouse must be the rows sent; anything else is data lost or doubled. */
function expectLoaded(table: string, period: string, sent: number, loaded: number): void {
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
async function countCurrentRows(
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
async function readRawWindow(
  client: ClickHouseLike,
  table: SourceTableName,
  window: TimeWindow,
  rawDatabase: string,
): Promise<{ rows: number; first: string | null; last: string | null }> {
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
async function checkSourceWindow(
  pool: PgPoolLike,
  table: TelemetrySourceTable,
  window: TimeWindow,
  period: string,
  retry: RetryPolicy | undefined,
): Promise<{
  rows: number;
  first: string | null;
  last: string | null;
  bad: number;
  samples: InvalidSourceRow[];
}> {
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
