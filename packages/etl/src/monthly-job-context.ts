import {
  columnsOf,
  DELETED_COLUMN,
  defaultRetentionDays,
  InvalidArgumentError,
  type MartTableName,
  type MonthPeriod,
  monthPeriod,
  type TimeWindow,
  timeWindow,
  qualifiedTableName,
  type SourceTableName,
  tables,
  tableTtl,
  VERSION_COLUMN,
} from '@bionicpro/models';
import { BatchWriter, type ClickHouseLike, resolveLayout, type WarehouseLayout } from './clickhouse-load.js';
import { type EtlStep, OutsideRetentionError } from './errors.js';
import type { ExtractMode, JobTimings, KpiEngine, MonthlyJobOptions, ProgressEvent } from './monthly-job.js';
import type { ExtractOptions, ExtractPagination, PgPoolLike } from './postgres-extract.js';
import { type PostgresTableFunctionSource, postgresTableFunctionSource } from './postgres-table-function.js';
import type { RetryPolicy } from './retry.js';

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
 * Everything a monthly job's steps share, resolved once from its options
 * before any work: the clients, the period and its window, the settings with
 * their defaults applied, the clock's one reading, the retry policy and the
 * recorder of progress and timings. Steps take it instead of the options.
 */
export interface MonthlyJobContext {
  readonly crm: PgPoolLike;
  readonly telemetry: PgPoolLike;
  readonly clickhouse: ClickHouseLike;
  readonly period: MonthPeriod;
  /** The month as a half-open window `[start, end)`. */
  readonly window: TimeWindow;
  readonly engine: KpiEngine;
  readonly extract: ExtractMode;
  /** How this process reads PostgreSQL (`copy` for `extract: 'clickhouse'`'s context rows). */
  readonly pagination: ExtractPagination;
  /** `extract: 'clickhouse'`: PostgreSQL as ClickHouse reaches it. */
  readonly source: PostgresTableFunctionSource | undefined;
  /** The layout as given (what `ensureWarehouse` takes). */
  readonly warehouse: WarehouseLayout;
  /** The layout with its defaults, checked. */
  readonly layout: ReturnType<typeof resolveLayout>;
  readonly marts: readonly MartTableName[];
  /** The job's one reading of the clock: `last_updated` of the marts. */
  readonly lastUpdated: Date;
  /** `_version` of the raw rows this run writes (`lastUpdated` in ms). */
  readonly version: number;
  /** The retention as given (undefined: leave the mart's TTL as the DDL has it). */
  readonly requestedRetentionDays: number | null | undefined;
  /** The hourly mart's retention in effect (null: no TTL). */
  readonly retentionDays: number | null;
  readonly warnings: readonly string[];
  readonly insertBatchSize: number;
  readonly fetchBatchSize: number;
  readonly pushdownShardRows: number;
  readonly retry: RetryPolicy | undefined;
  readonly recorder: JobRecorder;
}

/**
 * Checks a job's options and resolves its context, in the order the checks
 * have always run (the month, the extract mode, the shard size, the
 * `clickhouse` extract's needs, the layout, the retention), so that a bad
 * setting fails before any work.
 */
export function monthlyJobContext(options: MonthlyJobOptions): MonthlyJobContext {
  const period = monthPeriod(options.month);
  const engine = options.engine ?? 'sql';
  const extract: ExtractMode = options.extract ?? options.pagination ?? 'copy';
  if (!['copy', 'cursor', 'keyset', 'clickhouse'].includes(extract)) {
    throw new InvalidArgumentError(
      'extract',
      `extract must be copy, cursor, keyset or clickhouse, got ${JSON.stringify(extract)}`,
    );
  }
  const pushdownShardRows = options.pushdownShardRows ?? 500_000;
  if (!Number.isSafeInteger(pushdownShardRows) || pushdownShardRows < 1) {
    throw new InvalidArgumentError(
      'pushdownShardRows',
      `pushdownShardRows must be an integer >= 1, got ${JSON.stringify(pushdownShardRows)}`,
    );
  }
  const source =
    extract === 'clickhouse' ? tableFunctionSource(engine, options.telemetrySourceUrl) : undefined;
  const layout = resolveLayout(options.layout);
  const marts = options.marts ?? ALL_MARTS;
  const lastUpdated = (options.now ?? (() => new Date()))();
  // Validates the setting (InvalidRetentionError) before anything runs.
  tableTtl(tables.user_prosthesis_stats, options.retentionDays);
  const retentionDays =
    options.retentionDays === undefined
      ? (defaultRetentionDays(tables.user_prosthesis_stats) ?? null)
      : options.retentionDays;
  return {
    crm: options.crm,
    telemetry: options.telemetry,
    clickhouse: options.clickhouse,
    period,
    window: timeWindow(new Date(period.startMs), new Date(period.endMs)),
    engine,
    extract,
    pagination: extract === 'clickhouse' ? 'copy' : extract,
    source,
    warehouse: options.layout ?? {},
    layout,
    marts,
    lastUpdated,
    version: lastUpdated.getTime(),
    requestedRetentionDays: options.retentionDays,
    retentionDays,
    warnings: marts.includes('user_prosthesis_stats')
      ? checkRetention(period, retentionDays, lastUpdated)
      : [],
    insertBatchSize: options.insertBatchSize ?? 10_000,
    fetchBatchSize: options.fetchBatchSize ?? 10_000,
    pushdownShardRows,
    retry: options.retry,
    recorder: new JobRecorder(options.onProgress),
  };
}

function tableFunctionSource(engine: KpiEngine, telemetrySourceUrl: string | undefined) {
  if (engine !== 'sql') {
    throw new RangeError(
      "extract 'clickhouse' needs engine 'sql': the TS engine reads every row in this process",
    );
  }
  if (!telemetrySourceUrl) {
    throw new TypeError(
      "extract 'clickhouse' needs telemetrySourceUrl: the telemetry database as ClickHouse reaches it",
    );
  }
  return postgresTableFunctionSource(telemetrySourceUrl);
}

/** Progress events and the per-step timings of one job, measured from its start. */
export class JobRecorder {
  readonly timings: JobTimings = {};
  private readonly started = performance.now();

  constructor(private readonly onProgress: ((event: ProgressEvent) => void) | undefined) {}

  /** Milliseconds since the job started. */
  elapsed(): number {
    return Math.round(performance.now() - this.started);
  }

  progress(step: EtlStep, table: string, rows: number, done = false): void {
    this.onProgress?.({ step, table, rows, elapsedMs: this.elapsed(), done });
  }

  /** Adds `ms` and `rows` to a step's figures for a table. */
  time(step: string, table: string, ms: number, rows: number): void {
    const byTable = this.timings[step] ?? {};
    this.timings[step] = byTable;
    const before = byTable[table] ?? { seconds: 0, rows: 0 };
    byTable[table] = {
      seconds: Math.round((before.seconds + ms / 1000) * 1000) / 1000,
      rows: before.rows + rows,
    };
  }

  /** Runs `run` and records its time (and the rows `rows` reads from its value) under step and table. */
  async timed<T>(
    step: string,
    table: string,
    run: () => Promise<T>,
    rows?: (value: T) => number,
  ): Promise<T> {
    const t = performance.now();
    const value = await run();
    this.time(step, table, performance.now() - t, rows ? rows(value) : 0);
    return value;
  }

  /** A writer's encode, insert and backpressure time. */
  writer(table: string, writer: BatchWriter): void {
    this.time('encode', table, writer.timings.encodeMs, writer.written);
    this.time('insert', table, writer.timings.insertMs, writer.written);
    this.time('backpressure', table, writer.timings.waitMs, 0);
  }
}

/** `{ retry }` when the job has a policy (the loaders' and extractors' option shape). */
export function retryOption(ctx: MonthlyJobContext): { retry?: RetryPolicy } {
  return ctx.retry ? { retry: ctx.retry } : {};
}

/** Options of a raw window's delete, insert or read in the job's raw database. */
export function rawWindowOptions(ctx: MonthlyJobContext) {
  return { database: ctx.layout.rawDatabase, period: ctx.period.label, ...retryOption(ctx) };
}

/** Extract options of one table: the job's period, fetch size, pagination and retry, with progress. */
export function extractOptions(ctx: MonthlyJobContext, table: string): ExtractOptions {
  return {
    period: ctx.period.label,
    batchSize: ctx.fetchBatchSize,
    onRows: (rows: number) => ctx.recorder.progress('extract', table, rows),
    pagination: ctx.pagination,
    ...retryOption(ctx),
  };
}

/** The raw columns every row of this run carries: its version, not deleted. */
export function rawExtra(ctx: MonthlyJobContext): Record<string, unknown> {
  return { [VERSION_COLUMN]: ctx.version, [DELETED_COLUMN]: 0 };
}

/** A TabSeparated batch writer into a raw table, reporting each batch as `load` progress. */
export function rawWriter(ctx: MonthlyJobContext, table: SourceTableName): BatchWriter {
  return new BatchWriter(ctx.clickhouse, qualifiedTableName(table, ctx.layout.rawDatabase), {
    batchSize: ctx.insertBatchSize,
    columns: columnsOf(tables[table]).map((c) => c.name),
    extra: rawExtra(ctx),
    period: ctx.period.label,
    onBatch: (rows) => ctx.recorder.progress('load', table, rows),
    ...retryOption(ctx),
  });
}
