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
  InvalidArgumentError,
  DECIMAL_18_2_MAX_MINOR,
  parseMoney,
} from '@bionicpro/models';
import { clickhouseTimestamp } from './kpi-sql.js';
import type { MonthPeriod, TimeWindow } from './period.js';
import { isAsyncIterable, type RowSource } from './row-source.js';
import { type RetryPolicy, withRetry } from './retry.js';

/** A JSONEachRow body handed over as bytes, e.g. to chDB's zero-copy `rawInsert`. */
export interface InsertBodyParams {
  /** Target table, database-qualified. */
  readonly table: string;
  readonly format: 'JSONEachRow';
  /** One JSON object per line; only valid until the returned promise settles. */
  readonly body: Uint8Array;
  /** Settings the body needs (instants are ISO-8601 text: `date_time_input_format: best_effort`). */
  readonly settings: Readonly<Record<string, string | number>>;
}

/**
 * The three methods of `@clickhouse/client` the loader uses (chDB plugs in
 * behind the same client), and optionally `insertBody`: when present,
 * {@link BatchWriter} serialises each row into one reused byte buffer as it
 * arrives and inserts the buffer (no row objects, no multi-megabyte strings per
 * batch). The CLI sets it for `chdb:` targets to chDB's `rawInsert`.
 */
/** Query settings as `@clickhouse/client` takes them. */
export type ClickHouseSettingsLike = Readonly<Record<string, string | number | boolean | undefined>>;

export interface ClickHouseLike {
  command(params: {
    query: string;
    query_params?: Record<string, unknown>;
    clickhouse_settings?: ClickHouseSettingsLike;
  }): Promise<unknown>;
  insert(params: {
    table: string;
    values: readonly unknown[];
    format: 'JSONEachRow';
    clickhouse_settings?: ClickHouseSettingsLike;
  }): Promise<unknown>;
  query(params: {
    query: string;
    query_params?: Record<string, unknown>;
    format: 'JSONEachRow';
    clickhouse_settings?: ClickHouseSettingsLike;
  }): Promise<{ json<T>(): Promise<T[]> }>;
  readonly insertBody?: (params: InsertBodyParams) => Promise<unknown>;
}

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
  if (column === undefined)
    throw new InvalidArgumentError('table', `table ${table} has no time window column`);
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

/** Settings a {@link JsonEachRowBuffer} body needs: instants are written as ISO-8601 (`…T…Z`). */
export const JSON_BODY_SETTINGS = { date_time_input_format: 'best_effort' } as const;

/**
 * Rows serialised as JSONEachRow into one growable byte buffer that is reused
 * batch after batch: a row costs one short-lived `JSON.stringify` string and
 * leaves nothing behind on the V8 heap. Instants are written by `Date#toJSON`
 * (ISO-8601 UTC, read with {@link JSON_BODY_SETTINGS}); `extra` columns are
 * appended to every row; bigint values fall back to {@link toClickHouseRow}.
 */
export class JsonEachRowBuffer {
  private buffer: Buffer;
  /** `,"col":value,…}` of the extra columns, or undefined without any. */
  private readonly extraTail: string | undefined;
  /** Bytes used. */
  length = 0;
  /** Rows held. */
  rows = 0;

  constructor(extra?: Record<string, unknown>, initialBytes = 1 << 20) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
    const extraJson = extra && Object.keys(extra).length > 0 ? JSON.stringify(extra) : undefined;
    this.extraTail = extraJson ? `,${extraJson.slice(1)}` : undefined;
  }

  add(row: object): void {
    let json: string;
    try {
      json = JSON.stringify(row);
    } catch {
      json = JSON.stringify(toClickHouseRow(row));
    }
    const tail = this.extraTail;
    // Worst case 3 UTF-8 bytes per UTF-16 unit.
    this.reserve((json.length + (tail?.length ?? 0) + 2) * 3);
    if (tail === undefined) {
      this.length += this.buffer.write(json, this.length, 'utf8');
    } else if (json.length > 2) {
      // Drop the closing brace (always the last byte), then append the extra columns.
      this.length += this.buffer.write(json, this.length, 'utf8') - 1;
      this.length += this.buffer.write(tail, this.length, 'utf8');
    } else {
      this.length += this.buffer.write(`{${tail.slice(1)}`, this.length, 'utf8');
    }
    this.buffer[this.length] = 10;
    this.length += 1;
    this.rows += 1;
  }

  /** The serialised rows; valid until the next {@link add} or {@link clear}. */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
    this.rows = 0;
  }

  /** Drops the rows and gives the memory back (the buffer grows again on the next {@link add}). */
  release(): void {
    this.clear();
    this.buffer = Buffer.alloc(0);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

/**
 * Buffers rows for one table and inserts them a batch at a time; `add` is
 * synchronous and tells when a batch is full, so a streaming pipeline pays an
 * `await` only per batch. With a client that has `insertBody` (see
 * {@link ClickHouseLike}), rows are serialised on `add` into one reused byte
 * buffer; otherwise they are kept as objects for `client.insert`.
 */
export class BatchWriter {
  private batch: Record<string, unknown>[] = [];
  private readonly body: JsonEachRowBuffer | undefined;
  /** Rows inserted so far. */
  written = 0;

  constructor(
    private readonly client: ClickHouseLike,
    private readonly table: string,
    private readonly options: InsertOptions = {},
  ) {
    this.body = client.insertBody ? new JsonEachRowBuffer(options.extra) : undefined;
  }

  /** Buffers a row; true when the batch is full and {@link flush} should be awaited. */
  add(row: object): boolean {
    const limit = this.options.batchSize ?? 10_000;
    if (this.body) {
      this.body.add(row);
      return this.body.rows >= limit;
    }
    this.batch.push(toClickHouseRow(row, this.options.extra));
    return this.batch.length >= limit;
  }

  async flush(): Promise<void> {
    const context = { step: 'load' as const, table: this.table, period: this.options.period ?? 'all' };
    let rows: number;
    if (this.body && this.client.insertBody) {
      const body = this.body;
      const insertBody = this.client.insertBody;
      rows = body.rows;
      if (rows === 0) return;
      await withRetry(
        () =>
          insertBody({
            table: this.table,
            format: 'JSONEachRow',
            body: body.bytes(),
            settings: JSON_BODY_SETTINGS,
          }),
        context,
        this.options.retry,
      );
      body.clear();
    } else {
      if (this.batch.length === 0) return;
      const values = this.batch;
      this.batch = [];
      rows = values.length;
      await withRetry(
        () => this.client.insert({ table: this.table, values, format: 'JSONEachRow' }),
        context,
        this.options.retry,
      );
    }
    this.written += rows;
    this.options.onBatch?.(this.written);
  }

  /** Inserts what is buffered and frees the serialisation buffer (call when the stream has ended). */
  async close(): Promise<void> {
    await this.flush();
    this.body?.release();
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

/**
 * Reads mart rows of one month back: counts as numbers, money as canonical two-decimal
 * text (`"2999.00"`, `"8997.30"`, `"0.00"`) through `parseMoney` of `@bionicpro/models`,
 * as every other output path prints it (ClickHouse writes `Decimal(18, 2)` without
 * trailing zeros: `"2999"`, `"8997.3"`, `"0"`).
 */
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
  const rows = await result.json<Record<string, unknown>>();
  const money = columnsOf(tables[table])
    .filter((c) => /^Decimal\(\d+, 2\)$/.test(c.ch))
    .map((c) => c.name);
  if (money.length === 0) return rows;
  for (const row of rows) {
    for (const name of money) {
      const value = row[name];
      if (typeof value === 'string') row[name] = parseMoney(value, DECIMAL_18_2_MAX_MINOR);
    }
  }
  return rows;
}
