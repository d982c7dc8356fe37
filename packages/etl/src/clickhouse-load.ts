import {
  assertIdentifier,
  clickhouseDdl,
  columnsOf,
  DELETED_COLUMN,
  type MartTableName,
  qualifiedTableName,
  type SourceTableName,
  tables,
  tableTtl,
  VERSION_COLUMN,
  InvalidArgumentError,
  DECIMAL_18_2_MAX_MINOR,
  parseMoney,
  type MonthPeriod,
  type TimeWindow,
  type ClickHouseLike as SharedClickHouseLike,
} from '@bionicpro/models';
import { clickhouseTimestamp } from './clickhouse-values.js';
import { Readable } from 'node:stream';
import { isAsyncIterable, type RowSource } from './row-source.js';
import { compileTabSeparatedEncoder, TabSeparatedBuffer } from './tab-separated-rows.js';
import { type RetryPolicy, withRetry } from './retry.js';

/**
 * The ClickHouse client seam of `@bionicpro/models` with a Node `Readable` as
 * `insert`'s byte stream: {@link BatchWriter} hands each batch's bytes to
 * `insertBody` when present (the CLI and `createChdbClient` set it to chDB's
 * zero-copy `rawInsert`); otherwise it streams them through `insert` as
 * `TabSeparated`.
 */
export type ClickHouseLike = SharedClickHouseLike<Readable>;

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

/** Options of {@link ensureWarehouse}. */
export interface WarehouseOptions {
  /**
   * The hourly mart's retention in days, or `null` for no TTL (see the models'
   * `clickhouseDdl`). Given, an existing mart's TTL is changed to match
   * (`ALTER TABLE … MODIFY TTL` / `REMOVE TTL`); absent, the default (365
   * days) is used for a new table and an existing one is left alone.
   */
  readonly retentionDays?: number | null;
}

/**
 * Creates the raw and mart databases and tables if missing (DDL from the models).
 *
 * @example
 * ```ts
 * import { ensureWarehouse } from '@bionicpro/etl';
 * await ensureWarehouse(client, { rawDatabase: 'raw', martDatabase: 'reports' }, { retentionDays: 730 });
 * ```
 */
export async function ensureWarehouse(
  client: ClickHouseLike,
  layout: WarehouseLayout = {},
  options: WarehouseOptions = {},
): Promise<void> {
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
      ...(options.retentionDays === undefined ? {} : { retentionDays: options.retentionDays }),
    });
  for (const name of RAW_TABLES) await client.command({ query: ddl(name, l.rawDatabase) });
  for (const name of MART_TABLES) await client.command({ query: ddl(name, l.martDatabase) });
  if (options.retentionDays !== undefined) {
    for (const name of MART_TABLES) {
      await applyRetention(client, name, l.martDatabase, options.retentionDays, onCluster);
    }
  }
}

/** Makes an existing table's TTL the one the retention asks for; nothing when it already is. */
async function applyRetention(
  client: ClickHouseLike,
  name: MartTableName,
  database: string,
  retentionDays: number | null,
  onCluster: string,
): Promise<void> {
  const wanted = tableTtl(tables[name], retentionDays);
  if (tables[name].clickhouse.ttl === undefined) return;
  const result = await client.query({
    query:
      'SELECT engine_full FROM system.tables WHERE database = {database:String} AND name = {name:String}',
    query_params: { database, name },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ engine_full: string }>();
  const current = / TTL (.*?)(?: SETTINGS |$)/.exec(row?.engine_full ?? '')?.[1]?.trim();
  const qualified = qualifiedTableName(name, database);
  if (wanted === undefined) {
    if (current !== undefined)
      await client.command({ query: `ALTER TABLE ${qualified}${onCluster} REMOVE TTL` });
    return;
  }
  // ClickHouse prints `date + toIntervalDay(365)` for `date + INTERVAL 365 DAY`.
  const printed = wanted.replace(/INTERVAL (\d+) DAY/, 'toIntervalDay($1)');
  if (current !== printed) {
    await client.command({ query: `ALTER TABLE ${qualified}${onCluster} MODIFY TTL ${wanted}` });
  }
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

/** Options of {@link insertRows} and {@link BatchWriter}. */
export interface InsertOptions {
  /** Rows per INSERT (default 10 000). Memory is bounded by two batches: one inserted while the next fills. */
  readonly batchSize?: number;
  /** Columns added to every row, e.g. `{ _version: 17…, _is_deleted: 0 }`. */
  readonly extra?: Record<string, unknown>;
  /**
   * The row columns to write, in order (default: the keys of the first row).
   * Give the model's columns for a raw table (see `columnsOf`).
   */
  readonly columns?: readonly string[];
  readonly retry?: RetryPolicy;
  /** Period named in errors (e.g. `2024-01`). */
  readonly period?: string;
  /** Called after each batch with the rows written so far. */
  readonly onBatch?: (written: number) => void;
}

/**
 * Inserts rows into a table in batches (TabSeparated, see {@link BatchWriter}),
 * each batch retried on transient errors and inserted while the next one is
 * encoded. Accepts arrays or (async) iterables; memory stays at two batches.
 * Returns the number of rows written.
 */
export async function insertRows(
  client: ClickHouseLike,
  table: string,
  rows: RowSource<object>,
  options: InsertOptions = {},
): Promise<number> {
  const writer = new BatchWriter(client, table, options);
  try {
    if (isAsyncIterable(rows)) {
      for await (const row of rows) if (writer.add(row)) await writer.flush();
    } else {
      for (const row of rows) if (writer.add(row)) await writer.flush();
    }
    await writer.close();
  } finally {
    await writer.abandon();
  }
  return writer.written;
}

let stagingCounter = 0;

/**
 * Replaces one month partition of a MergeTree table atomically: builds the
 * partition in a fresh staging table (same DDL) with `fill`, then swaps it in
 * with `ALTER TABLE … REPLACE PARTITION` (or drops the month when the staging
 * table stayed empty). A crash before the swap leaves the old month intact; a
 * re-run never duplicates. The staging table is dropped either way; it has no
 * TTL, so it keeps every row it is given. Returns the month's rows as read
 * back from the table after the swap.
 *
 * @example
 * ```ts
 * import { replaceMonthPartition, prostheticMonthlyMetricsSql } from '@bionicpro/etl';
 * await replaceMonthPartition(client, 'report_prosthetic_monthly_metrics', period, { database: 'reports' },
 *   (staging) => client.command(prostheticMonthlyMetricsSql(period, { targetTable: staging, martDatabase: 'reports', lastUpdated: new Date() })));
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
    // No TTL on the staging table: it must not drop what it is about to swap in.
    () =>
      client.command({
        query: clickhouseDdl(tables[table], { database, tableName: staging, retentionDays: null }),
      }),
    context,
    options.retry,
  );
  const countMonth = async (from: string) => {
    const result = await client.query({
      query: `SELECT count() AS n FROM ${from} WHERE _partition_id = {partition:String}`,
      query_params: { partition: String(period.partition) },
      format: 'JSONEachRow',
      clickhouse_settings: READ_SETTINGS,
    });
    const [{ n } = { n: 0 }] = await result.json<{ n: number | string }>();
    return Number(n);
  };
  try {
    await fill(staging);
    const rows = await countMonth(qualifiedStaging);
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
    return await withRetry(() => countMonth(qualified), context, options.retry);
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
 * Re-imports a time window of a raw table: deletes the window's rows
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

/** Where a {@link BatchWriter}'s time went, in milliseconds. */
export interface BatchWriterTimings {
  /** Turning rows into TabSeparated bytes (this thread). */
  encodeMs: number;
  /** INSERTs in flight, summed (they run while the next batch is encoded). */
  insertMs: number;
  /** Time {@link BatchWriter.flush} waited for the previous INSERT: back-pressure on the extract. */
  waitMs: number;
  /** INSERT statements sent. */
  inserts: number;
}

const ENCODE_CHUNK = 1024;

/**
 * Buffers rows for one table and inserts them a batch at a time, as
 * `TabSeparated` bytes (see `compileTabSeparatedEncoder`): through the
 * client's `insertBody` when it has one (chDB's zero-copy `rawInsert`), else
 * streamed through `insert`. `add` is synchronous and tells when a batch is
 * full; {@link flush} then starts that batch's INSERT and returns at once
 * unless the previous INSERT is still running, in which case it waits for it
 * (a bounded queue of one: the extract pauses, and with it the PostgreSQL
 * socket). Memory is two batches of bytes, whatever the number of rows. An
 * INSERT that fails (after its retries) fails the next `flush` or `close`.
 */
export class BatchWriter {
  /** Rows waiting to be encoded, encoded a chunk at a time (timed per chunk, not per row). */
  private pending: object[] = [];
  private buffer: TabSeparatedBuffer | undefined;
  private columns: readonly string[] | undefined;
  private inFlight: Promise<void> | undefined;
  private failure: unknown;
  private readonly batchSize: number;
  /** Rows inserted so far. */
  written = 0;
  readonly timings: BatchWriterTimings = { encodeMs: 0, insertMs: 0, waitMs: 0, inserts: 0 };

  constructor(
    private readonly client: ClickHouseLike,
    private readonly table: string,
    private readonly options: InsertOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 10_000;
    if (!Number.isSafeInteger(this.batchSize) || this.batchSize < 1) {
      throw new RangeError(`batchSize must be an integer >= 1, got ${JSON.stringify(options.batchSize)}`);
    }
    this.columns = options.columns;
  }

  /** Rows added and not yet handed to an INSERT. */
  get buffered(): number {
    return this.pending.length + (this.buffer?.rows ?? 0);
  }

  /** Buffers a row; true when the batch is full and {@link flush} should be awaited. */
  add(row: object): boolean {
    this.pending.push(row);
    if (this.pending.length >= ENCODE_CHUNK) this.encodePending();
    return this.buffered >= this.batchSize;
  }

  private encodePending(): void {
    const rows = this.pending;
    if (rows.length === 0) return;
    const started = performance.now();
    if (this.buffer === undefined) {
      this.columns ??= Object.keys(rows[0]!);
      this.buffer = new TabSeparatedBuffer(compileTabSeparatedEncoder(this.columns, this.options.extra));
    }
    const buffer = this.buffer;
    for (let i = 0; i < rows.length; i += 1) buffer.add(rows[i]!);
    this.pending = [];
    this.timings.encodeMs += performance.now() - started;
  }

  /** Starts the INSERT of what is buffered, after the previous INSERT has finished. */
  async flush(): Promise<void> {
    this.encodePending();
    if (this.inFlight) {
      const started = performance.now();
      await this.inFlight;
      this.timings.waitMs += performance.now() - started;
    }
    this.throwIfFailed();
    if (!this.buffer || this.buffer.rows === 0) return;
    const buffer = this.buffer;
    const { body, rows } = buffer.take();
    const columns = [...this.columns!, ...Object.keys(this.options.extra ?? {})];
    this.inFlight = this.insert(body, columns).then(
      () => {
        buffer.recycle(body);
        this.written += rows;
        this.options.onBatch?.(this.written);
      },
      (error: unknown) => {
        this.failure = error;
      },
    );
  }

  private async insert(body: Buffer, columns: readonly string[]): Promise<void> {
    const started = performance.now();
    const insertBody = this.client.insertBody;
    await withRetry(
      () =>
        insertBody
          ? insertBody({ table: this.table, format: 'TabSeparated', columns, body, settings: {} })
          : this.client.insert({
              table: this.table,
              values: Readable.from([body], { objectMode: false }),
              format: 'TabSeparated',
              columns: columns as [string, ...string[]],
            }),
      { step: 'load', table: this.table, period: this.options.period ?? 'all' },
      this.options.retry,
    );
    this.timings.insertMs += performance.now() - started;
    this.timings.inserts += 1;
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Inserts what is buffered, waits for every INSERT, and frees the buffers (call when the stream has ended). */
  async close(): Promise<void> {
    await this.flush();
    await this.abandon();
    this.throwIfFailed();
  }

  /** Waits for an INSERT still running and frees the buffers, inserting nothing more (error paths). */
  async abandon(): Promise<void> {
    const inFlight = this.inFlight;
    this.inFlight = undefined;
    if (inFlight) await inFlight;
    this.pending = [];
    this.buffer?.release();
    this.buffer = undefined;
  }
}

/**
 * Makes a raw CRM table (users, prosthetics, subscriptions) equal to the source
 * rows given: upserts them with `_version`, and writes a delete marker
 * (`_is_deleted = 1`) for every current id the source no longer has. One
 * current row per id, with updates and deletes, as docs/kpis.md asks of `users`.
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
 * Removes EMG events whose user no longer exists.
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
