import type { ClickHouseClient } from '@clickhouse/client';
import {
  assertIdentifier,
  clickhouseDdl,
  columnsOf,
  DELETED_COLUMN,
  type MartTableName,
  qualifiedTableName,
  type SourceTableName,
  tables,
  VERSION_COLUMN,
} from '@bionicpro/models';
import { clickhouseTimestamp } from './kpi-sql.js';
import type { MonthPeriod, TimeWindow } from './period.js';
import { isAsyncIterable, type RowSource } from './row-source.js';
import { type RetryPolicy, withRetry } from './retry.js';

/** The three methods of `@clickhouse/client` the loader uses (chDB plugs in behind the same client). */
export type ClickHouseLike = Pick<ClickHouseClient, 'command' | 'insert' | 'query'>;

/** Where the raw copies and the marts live, and how tables are created. */
export interface WarehouseLayout {
  /** Database of the raw copies of the OLTP tables (default `bionicpro_raw`). */
  readonly rawDatabase?: string;
  /** Database of the marts (default `bionicpro_reports`). */
  readonly martDatabase?: string;
  /** `ON CLUSTER` name for cluster deployments. */
  readonly cluster?: string;
  /** Use Replicated* engines. */
  readonly replicated?: boolean;
}

export const DEFAULT_RAW_DATABASE = 'bionicpro_raw';
export const DEFAULT_MART_DATABASE = 'bionicpro_reports';

export function resolveLayout(layout: WarehouseLayout = {}) {
  return {
    rawDatabase: assertIdentifier('database', layout.rawDatabase ?? DEFAULT_RAW_DATABASE),
    martDatabase: assertIdentifier('database', layout.martDatabase ?? DEFAULT_MART_DATABASE),
    cluster: layout.cluster === undefined ? undefined : assertIdentifier('cluster', layout.cluster),
    replicated: layout.replicated ?? false,
  };
}

/** Settings every read of the loader uses: exact Decimals as strings, 64-bit integers as numbers. */
export const READ_SETTINGS = {
  output_format_json_quote_decimals: 1,
  output_format_json_quote_64bit_integers: 0,
} as const;

const RAW_TABLES: readonly SourceTableName[] = [
  'users',
  'prosthetics',
  'subscriptions',
  'payments',
  'telemetry_events',
  'device_events',
  'battery_metrics',
];
const MART_TABLES: readonly MartTableName[] = [
  'report_user_monthly_metrics',
  'report_prosthetic_monthly_metrics',
  'user_prosthesis_stats',
];

/**
 * Creates the raw and mart databases and tables if missing (DDL from the models).
 *
 * @example
 * ```ts
 * import { ensureWarehouse } from '@bionicpro/etl';
 * await ensureWarehouse(client, { rawDatabase: 'raw', martDatabase: 'reports' });
 * ```
 */
export async function ensureWarehouse(client: ClickHouseLike, layout: WarehouseLayout = {}): Promise<void> {
  const l = resolveLayout(layout);
  const onCluster = l.cluster ? ` ON CLUSTER ${l.cluster}` : '';
  for (const db of new Set([l.rawDatabase, l.martDatabase])) {
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}${onCluster}` });
  }
  const ddl = (name: SourceTableName | MartTableName, database: string) =>
    clickhouseDdl(tables[name], {
      database,
      ...(l.cluster ? { cluster: l.cluster } : {}),
      ...(l.replicated ? { replicated: true } : {}),
    });
  for (const name of RAW_TABLES) await client.command({ query: ddl(name, l.rawDatabase) });
  for (const name of MART_TABLES) await client.command({ query: ddl(name, l.martDatabase) });
}

/** A model row as ClickHouse's JSONEachRow input takes it (instants as `YYYY-MM-DD HH:MM:SS.mmm` UTC). */
export function toClickHouseRow(row: object, extra?: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    out[key] =
      value instanceof Date ? clickhouseTimestamp(value) : typeof value === 'bigint' ? String(value) : value;
  }
  if (extra) Object.assign(out, extra);
  return out;
}

/** Options of {@link insertRows}. */
export interface InsertOptions {
  /** Rows per INSERT (default 10 000). Memory is bounded by one batch. */
  readonly batchSize?: number;
  /** Columns added to every row, e.g. `{ _version: 17…, _is_deleted: 0 }`. */
  readonly extra?: Record<string, unknown>;
  readonly retry?: RetryPolicy;
  /** Period named in errors (e.g. `2024-01`). */
  readonly period?: string;
  /** Called after each batch with the rows written so far. */
  readonly onBatch?: (written: number) => void;
}

/**
 * Inserts rows into a table in batches (JSONEachRow), each batch retried on
 * transient errors. Accepts arrays or (async) iterables; memory stays at one
 * batch. Returns the number of rows written.
 */
export async function insertRows(
  client: ClickHouseLike,
  table: string,
  rows: RowSource<object>,
  options: InsertOptions = {},
): Promise<number> {
  const batchSize = options.batchSize ?? 10_000;
  const period = options.period ?? 'all';
  let written = 0;
  let batch: Record<string, unknown>[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const values = batch;
    batch = [];
    await withRetry(
      () => client.insert({ table, values, format: 'JSONEachRow' }),
      { step: 'load', table, period },
      options.retry,
    );
    written += values.length;
    options.onBatch?.(written);
  };
  if (isAsyncIterable(rows)) {
    for await (const row of rows) {
      batch.push(toClickHouseRow(row, options.extra));
      if (batch.length >= batchSize) await flush();
    }
  } else {
    for (const row of rows) {
      batch.push(toClickHouseRow(row, options.extra));
      if (batch.length >= batchSize) await flush();
    }
  }
  await flush();
  return written;
}

let stagingCounter = 0;

/**
 * Replaces one month partition of a MergeTree table atomically: builds the
 * partition in a fresh staging table (same DDL) with `fill`, then swaps it in
 * with `ALTER TABLE … REPLACE PARTITION` (or drops the month when the staging
 * table stayed empty). A crash before the swap leaves the old month intact; a
 * re-run never duplicates. The staging table is dropped either way.
 *
 * @example
 * ```ts
 * import { replaceMonthPartition, prostheticMonthlyMetricsSql } from '@bionicpro/etl';
 * await replaceMonthPartition(client, 'report_prosthetic_monthly_metrics', period, { database: 'reports' },
 *   (staging) => client.command(prostheticMonthlyMetricsSql(period, { targetTable: staging, martDatabase: 'reports' })));
 * ```
 */
export async function replaceMonthPartition(
  client: ClickHouseLike,
  table: SourceTableName | MartTableName,
  period: MonthPeriod,
  options: { readonly database: string; readonly retry?: RetryPolicy },
  fill: (stagingTable: string) => Promise<unknown>,
): Promise<number> {
  const database = assertIdentifier('database', options.database);
  stagingCounter += 1;
  const staging = `${table}_staging_${period.partition}_${process.pid}_${Date.now().toString(36)}_${stagingCounter}`;
  const qualified = qualifiedTableName(table, database);
  const qualifiedStaging = qualifiedTableName(staging, database);
  const context = { step: 'load' as const, table, period: period.label };
  await withRetry(
    () => client.command({ query: clickhouseDdl(tables[table], { database, tableName: staging }) }),
    context,
    options.retry,
  );
  try {
    await fill(staging);
    const result = await client.query({
      query: `SELECT count() AS n FROM ${qualifiedStaging} WHERE _partition_id = {partition:String}`,
      query_params: { partition: String(period.partition) },
      format: 'JSONEachRow',
      clickhouse_settings: READ_SETTINGS,
    });
    const [{ n } = { n: 0 }] = await result.json<{ n: number | string }>();
    const rows = Number(n);
    const partition = `PARTITION ID '${period.partition}'`;
    await withRetry(
      () =>
        client.command({
          query:
            rows > 0
              ? `ALTER TABLE ${qualified} REPLACE ${partition} FROM ${qualifiedStaging}`
              : `ALTER TABLE ${qualified} DROP ${partition}`,
        }),
      context,
      options.retry,
    );
    return rows;
  } finally {
    await client.command({ query: `DROP TABLE IF EXISTS ${qualifiedStaging}` }).catch(() => undefined);
  }
}

/** Timestamp column that partitions each raw telemetry / payment table. */
export const WINDOW_COLUMN: Partial<Record<SourceTableName, string>> = {
  telemetry_events: 'event_timestamp',
  device_events: 'event_timestamp',
  battery_metrics: 'metric_timestamp',
  payments: 'payment_date',
};

/** Deletes the rows of a raw table inside a half-open time window (lightweight `DELETE`). */
export async function deleteRawWindow(
  client: ClickHouseLike,
  table: SourceTableName,
  window: TimeWindow,
  options: { readonly database: string; readonly retry?: RetryPolicy; readonly period?: string },
): Promise<void> {
  const column = WINDOW_COLUMN[table];
  if (column === undefined) throw new TypeError(`table ${table} has no time window column`);
  const qualified = qualifiedTableName(table, options.database);
  await withRetry(
    () =>
      client.command({
        query: `DELETE FROM ${qualified} WHERE ${column} >= {start:DateTime64(3, 'UTC')} AND ${column} < {end:DateTime64(3, 'UTC')}`,
        query_params: { start: clickhouseTimestamp(window.start), end: clickhouseTimestamp(window.end) },
      }),
    {
      step: 'load',
      table,
      period: options.period ?? `${window.start.toISOString()}..${window.end.toISOString()}`,
    },
    options.retry,
  );
}

/**
 * Re-imports a time window of a raw table (seed 004): deletes the window's rows
 * first, then inserts the new ones, so rows deleted at the source disappear and
 * none is duplicated. Rows outside the window (context rows) are upserted: the
 * table is a ReplacingMergeTree keyed by id.
 */
export async function replaceRawWindow(
  client: ClickHouseLike,
  table: SourceTableName,
  window: TimeWindow,
  rows: RowSource<object>,
  options: InsertOptions & { readonly database: string; readonly version: number },
): Promise<number> {
  await deleteRawWindow(client, table, window, options);
  return insertRows(client, qualifiedTableName(table, options.database), rows, {
    ...options,
    extra: { [VERSION_COLUMN]: options.version, [DELETED_COLUMN]: 0 },
  });
}

/**
 * Buffers rows for one table and inserts them a batch at a time; `add` is
 * synchronous and tells when a batch is full, so a streaming pipeline pays an
 * `await` only per batch.
 */
export class BatchWriter {
  private batch: Record<string, unknown>[] = [];
  /** Rows inserted so far. */
  written = 0;

  constructor(
    private readonly client: ClickHouseLike,
    private readonly table: string,
    private readonly options: InsertOptions = {},
  ) {}

  /** Buffers a row; true when the batch is full and {@link flush} should be awaited. */
  add(row: object): boolean {
    this.batch.push(toClickHouseRow(row, this.options.extra));
    return this.batch.length >= (this.options.batchSize ?? 10_000);
  }

  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const values = this.batch;
    this.batch = [];
    await withRetry(
      () => this.client.insert({ table: this.table, values, format: 'JSONEachRow' }),
      { step: 'load', table: this.table, period: this.options.period ?? 'all' },
      this.options.retry,
    );
    this.written += values.length;
    this.options.onBatch?.(this.written);
  }
}

/**
 * Makes a raw CRM table (users, prosthetics, subscriptions) equal to the source
 * rows given: upserts them with `_version`, and writes a delete marker
 * (`_is_deleted = 1`) for every current id the source no longer has. One
 * current row per id, with updates and deletes, as SPEC §3 asks of `users`.
 * Returns the number of ids marked deleted.
 */
export async function syncRawTable(
  client: ClickHouseLike,
  table: 'users' | 'prosthetics' | 'subscriptions',
  rows: readonly { readonly id: number }[],
  options: {
    readonly database: string;
    readonly version: number;
    readonly retry?: RetryPolicy;
    readonly period?: string;
  },
): Promise<{ written: number; deleted: number }> {
  const qualified = qualifiedTableName(table, options.database);
  const period = options.period ?? 'all';
  const written = await insertRows(client, qualified, rows, {
    extra: { [VERSION_COLUMN]: options.version, [DELETED_COLUMN]: 0 },
    period,
    ...(options.retry ? { retry: options.retry } : {}),
  });
  const present = new Set(rows.map((r) => r.id));
  const columns = columnsOf(tables[table]).map((c) => c.name);
  const result = await withRetry(
    () =>
      client.query({
        query: `SELECT ${columns.join(', ')} FROM ${qualified} FINAL WHERE ${DELETED_COLUMN} = 0`,
        format: 'JSONEachRow',
        clickhouse_settings: READ_SETTINGS,
      }),
    { step: 'load', table, period },
    options.retry,
  );
  const stale = (await result.json<Record<string, unknown> & { id: number }>()).filter(
    (r) => !present.has(r.id),
  );
  if (stale.length > 0) {
    await insertRows(client, qualified, stale, {
      extra: { [VERSION_COLUMN]: options.version, [DELETED_COLUMN]: 1 },
      period,
      ...(options.retry ? { retry: options.retry } : {}),
    });
  }
  return { written, deleted: stale.length };
}

/**
 * Removes EMG events whose user no longer exists (seed 004's orphan cleanup).
 */
export async function removeOrphanTelemetry(
  client: ClickHouseLike,
  options: { readonly database: string; readonly retry?: RetryPolicy; readonly period?: string },
): Promise<void> {
  const events = qualifiedTableName('telemetry_events', options.database);
  const users = qualifiedTableName('users', options.database);
  await withRetry(
    () =>
      client.command({
        query: `DELETE FROM ${events} WHERE user_id NOT IN (SELECT id FROM ${users} FINAL WHERE ${DELETED_COLUMN} = 0)`,
      }),
    { step: 'load', table: 'telemetry_events', period: options.period ?? 'all' },
    options.retry,
  );
}

/** Reads mart rows of one month back (Decimals as strings, counts as numbers). */
export async function readMonth(
  client: ClickHouseLike,
  table: MartTableName,
  period: MonthPeriod,
  database: string,
): Promise<Record<string, unknown>[]> {
  const key = tables[table].clickhouse.orderBy.join(', ');
  const result = await client.query({
    query: `SELECT * FROM ${qualifiedTableName(table, database)} WHERE _partition_id = {partition:String} ORDER BY ${key}`,
    query_params: { partition: String(period.partition) },
    format: 'JSONEachRow',
    clickhouse_settings: READ_SETTINGS,
  });
  return result.json<Record<string, unknown>>();
}
