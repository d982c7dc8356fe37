import {
  BatteryMetric,
  columnsOf,
  compareInt64Text,
  createRowParser,
  DeviceEvent,
  type Int64Text,
  lenientModel,
  Payment,
  Prosthetic,
  type SourceTableName,
  Subscription,
  TelemetryEvent,
  tables,
  tryParseTimestampMs,
  User,
  InvalidArgumentError,
  type MonthPeriod,
  type TimeWindow,
} from '@bionicpro/models';
import { EtlStepError } from './errors.js';
import { type CopyColumn, CopyLineSplitter, compileCopyLineDecoder } from './pg-copy.js';
import { type RetryPolicy, withRetry } from './retry.js';

/**
 * The part of a `pg` client the extractor uses, described structurally so that
 * the declarations of this package do not import `pg` (an optional peer): a
 * project using only the pure transforms type-checks without it.
 */
export interface PgClientLike {
  // biome-ignore lint/suspicious/noExplicitAny: rows are what the query selects; each caller parses them.
  query(text: string, params?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
  /** A submittable query, e.g. `pg-copy-streams`' `to(...)`: returned as given, running. */
  query<T extends { submit(connection: unknown): void }>(submittable: T): T;
  release(error?: Error | boolean): void;
}

/** The part of `pg.Pool` the extractor uses (a `pg.Pool` is one). */
export interface PgPoolLike {
  connect(): Promise<PgClientLike>;
  // biome-ignore lint/suspicious/noExplicitAny: rows are what the query selects; each caller parses them.
  query(text: string, params?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
}

/** A pool from {@link createExtractPool}: a `pg.Pool`, typed by the parts callers use. */
export interface ExtractPool extends PgPoolLike {
  end(): Promise<void>;
}

/** Options of {@link createExtractPool}: a subset of `pg.PoolConfig`. */
export interface ExtractPoolConfig {
  /** Connections at most (default 4). */
  readonly max?: number;
  readonly idleTimeoutMillis?: number;
  readonly connectionTimeoutMillis?: number;
  readonly application_name?: string;
  /** `pg`'s `ssl` option (`true`, or TLS options). */
  readonly ssl?: boolean | Readonly<Record<string, unknown>>;
}

/** `pg`'s type-parser registry, structurally (`pg.types`). */
export interface PgTypeParsers {
  getTypeParser(oid: number, format?: string): unknown;
}

const OID = { int8: 20, date: 1082, timestamp: 1114, timestamptz: 1184, numeric: 1700 } as const;

function parseInstant(text: string): Date | string {
  const ms = tryParseTimestampMs(text);
  // A value the models refuse ('infinity', year 0026) stays text: the row parser then names the
  // column and the reason (`timestamp_out_of_range` or `invalid_timestamp`), as on the COPY path.
  return ms === undefined ? text : new Date(ms);
}

/**
 * pg type parsers for extraction (docs/data-contract.md): `date` stays `YYYY-MM-DD` text (no
 * local-time `Date`), `numeric` stays decimal text (money is never a float),
 * `timestamp` without zone is read as UTC and `timestamptz` as the instant it
 * names, `bigint` stays decimal text (the models' `Int64Text`: exact over the
 * whole 64-bit range, where a number would round beyond 2^53).
 */
export function extractTypeParsers(fallback?: PgTypeParsers): PgTypeParsers {
  return {
    getTypeParser: ((oid: number, format?: string) => {
      if (format === undefined || format === 'text') {
        switch (oid) {
          case OID.date:
          case OID.numeric:
          case OID.int8:
            return (text: string) => text;
          case OID.timestamp:
          case OID.timestamptz:
            return parseInstant;
        }
      }
      return fallback
        ? (fallback.getTypeParser as (oid: number, format?: string) => unknown)(oid, format)
        : (text: string) => text;
    }) as PgTypeParsers['getTypeParser'],
  };
}

/**
 * A `pg.Pool` for extraction, with {@link extractTypeParsers} set on the pool
 * (global `pg.types` are left alone) and the session time zone set to UTC.
 *
 * @example
 * ```ts
 * import { createExtractPool } from '@bionicpro/etl';
 * const crm = await createExtractPool('postgres://etl@crm-db:5432/crm_db');
 * ```
 */
export async function createExtractPool(
  connectionString: string,
  config: ExtractPoolConfig = {},
): Promise<ExtractPool> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString,
    max: 4,
    ...(config as import('pg').PoolConfig),
    types: extractTypeParsers(pg.types) as import('pg').PoolConfig['types'],
    options: '-c TimeZone=UTC',
  });
  pool.on('error', () => undefined); // idle-client errors surface on the next query instead of crashing
  return pool;
}

/** How the extract functions read PostgreSQL; see {@link ExtractOptions.pagination}. */
export type ExtractPagination = 'copy' | 'cursor' | 'keyset';

/** Options of the streaming extract functions. */
export interface ExtractOptions {
  /**
   * Rows per FETCH or keyset page (default 10 000); memory stays at one batch
   * per stream. With `copy`, how often `onRows` reports.
   */
  readonly batchSize?: number;
  readonly retry?: RetryPolicy;
  /** Period named in errors. */
  readonly period?: string;
  /** Called after each fetched batch with the running row count. */
  readonly onRows?: (rows: number) => void;
  /**
   * How rows are read. `copy` (default): one `COPY (SELECT …) TO STDOUT`
   * statement (one snapshot), its text format decoded straight into model
   * rows, back-pressured (the socket pauses while the consumer is busy);
   * about 3× the rows/s of a cursor on a local server. `cursor`: `DECLARE …
   * CURSOR` in a read-only transaction, `FETCH batchSize` at a time, one
   * snapshot. `keyset`: independent `… WHERE (key) > (last key) ORDER BY key
   * LIMIT n` queries, no transaction held between pages; use it behind a
   * transaction-pooling proxy (PgBouncer) or PGlite's socket server, which
   * serialise connections while a transaction is open.
   */
  readonly pagination?: ExtractPagination;
}

const parsers = {
  users: createRowParser(User, 'users'),
  prosthetics: createRowParser(Prosthetic, 'prosthetics'),
  subscriptions: createRowParser(Subscription, 'subscriptions'),
  payments: createRowParser(Payment, 'payments'),
  telemetry_events: createRowParser(TelemetryEvent, 'telemetry_events'),
  // Device event types a newer firmware sends must not stop the ETL.
  device_events: createRowParser(lenientModel(DeviceEvent), 'device_events'),
  battery_metrics: createRowParser(BatteryMetric, 'battery_metrics'),
} as const;

type ExtractTable = keyof typeof parsers;

/**
 * Parses one source row; a bad row fails with {@link EtlStepError} naming the
 * table, the period, the row (1-based position in the stream, and its id) and,
 * through the model error, the field.
 */
function parseSourceRow<R>(
  parse: (row: unknown) => R,
  row: unknown,
  position: number,
  table: string,
  period: string,
): R {
  try {
    return parse(row);
  } catch (error) {
    const id = (row as { id?: unknown } | null)?.id;
    throw new EtlStepError('extract', table, period, false, 1, { cause: error, row: { position, id } });
  }
}

type Parsed<T extends ExtractTable> = ReturnType<(typeof parsers)[T]>;

let cursorCounter = 0;

/**
 * Streams the rows of one table query with bounded memory: by default one
 * `COPY (SELECT …) TO STDOUT` (one snapshot, back-pressured), or a server-side
 * cursor, or keyset pages (see {@link ExtractOptions.pagination}). Each row is
 * parsed with the table's model; a bad row fails with {@link EtlStepError}
 * naming the table, period, row (position and id) and column. Opening the
 * stream is retried on transient errors; a failure mid-stream is not (re-run
 * the period: loads are idempotent).
 */
export async function* streamTable<T extends ExtractTable>(
  pool: PgPoolLike,
  table: T,
  where: { readonly sql: string; readonly params: readonly unknown[] } | undefined,
  orderBy: string,
  options: ExtractOptions = {},
): AsyncGenerator<Parsed<T>> {
  const modelColumns = columnsOf(tables[table as SourceTableName]);
  const columns = modelColumns.map((c) => c.name).join(', ');
  const parse = parsers[table] as (row: unknown) => Parsed<T>;
  if (options.pagination === 'keyset') {
    yield* streamKeyset(pool, table, columns, where, orderBy, parse, options);
    return;
  }
  const text = `SELECT ${columns} FROM ${table}${where ? ` WHERE ${where.sql}` : ''} ORDER BY ${orderBy}`;
  yield* streamModelQuery(pool, table, text, where?.params ?? [], parse, options);
}

/** A SELECT of exactly a model's columns: through COPY by default, else {@link streamQuery}. */
function streamModelQuery<R>(
  pool: PgPoolLike,
  table: ExtractTable,
  text: string,
  params: readonly unknown[],
  parse: (row: unknown) => R,
  options: ExtractOptions,
): AsyncGenerator<R> {
  if ((options.pagination ?? 'copy') === 'copy') {
    return streamCopy(pool, table, text, params, columnsOf(tables[table]), parse, options);
  }
  return streamQuery(pool, table, text, params, parse, options);
}

/** Writes `$n` parameters into the statement as literals (COPY takes no bind parameters). */
export function inlineParameters(
  text: string,
  params: readonly unknown[],
  escapeLiteral: (value: string) => string,
): string {
  return text.replace(/\$(\d+)/g, (_, digits: string) => {
    const index = Number(digits) - 1;
    if (index < 0 || index >= params.length)
      throw new InvalidArgumentError('params', `no value for parameter $${digits}`);
    const value = params[index];
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (typeof value === 'string') return escapeLiteral(value);
    if (value instanceof Date) return escapeLiteral(value.toISOString());
    throw new InvalidArgumentError(
      'params',
      `parameter $${digits}: only strings, finite numbers and Dates can be inlined`,
    );
  });
}

/**
 * Escapes a string as a PostgreSQL literal, like `pg`'s `escapeLiteral`:
 * quotes doubled, and an `E''` literal with doubled backslashes when there are any.
 */
function escapeLiteral(value: string): string {
  const quoted = value.replaceAll("'", "''");
  return value.includes('\\') ? ` E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`;
}

/**
 * One `COPY (SELECT …) TO STDOUT` of model columns, decoded line by line and
 * parsed by the model's row parser. Memory: the socket is paused while the
 * consumer works (stream back-pressure), so one socket chunk plus one decoded
 * chunk of lines is held. Opening is retried on transient errors; a failure
 * mid-stream is not (re-run the period: loads are idempotent). A consumer
 * stopping early destroys the connection, which ends the COPY on the server.
 */
async function* streamCopy<R>(
  pool: PgPoolLike,
  table: string,
  text: string,
  params: readonly unknown[],
  columns: readonly CopyColumn[],
  parse: (row: unknown) => R,
  options: ExtractOptions,
): AsyncGenerator<R> {
  const period = options.period ?? 'all';
  const context = { step: 'extract' as const, table, period };
  const { to: copyTo } = await import('pg-copy-streams');
  const decode = compileCopyLineDecoder(columns);
  const statement = `COPY (${inlineParameters(text, params, escapeLiteral)}) TO STDOUT`;
  const reportEvery = options.batchSize ?? 10_000;
  const client = await withRetry(() => pool.connect(), context, options.retry);
  const stream = client.query(copyTo(statement));
  let count = 0;
  let finished = false;
  let failed: Error | undefined;
  try {
    const split = new CopyLineSplitter();
    let next = reportEvery;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        for (const line of split.push(chunk)) {
          count += 1;
          let row: unknown;
          try {
            row = decode(line);
          } catch (error) {
            throw new EtlStepError('extract', table, period, false, 1, {
              cause: error,
              row: { position: count },
            });
          }
          yield parseSourceRow(parse, row, count, table, period);
          if (count >= next) {
            options.onRows?.(count);
            next += reportEvery;
          }
        }
      }
      split.end();
    } catch (error) {
      failed = error instanceof Error ? error : new Error(String(error));
      if (error instanceof EtlStepError) throw error;
      throw new EtlStepError('extract', table, period, false, 1, { cause: error });
    }
    finished = true;
    if (count > 0 && count !== next - reportEvery) options.onRows?.(count);
  } finally {
    // Stopped early (consumer returned, or a bad row) while the server still sends: drop the connection.
    if (!finished) {
      stream.destroy();
      client.release(failed ?? true);
    } else {
      client.release();
    }
  }
}

const TIMESTAMP_KEYS = new Set(['event_timestamp', 'metric_timestamp', 'payment_date']);

/**
 * Keyset paging: each page is its own query continuing after the last key.
 * Timestamp keys travel as PostgreSQL's own text (microseconds kept), so no row
 * is skipped or repeated at a page boundary.
 */
async function* streamKeyset<R>(
  pool: PgPoolLike,
  table: string,
  columns: string,
  where: { readonly sql: string; readonly params: readonly unknown[] } | undefined,
  orderBy: string,
  parse: (row: unknown) => R,
  options: ExtractOptions,
): AsyncGenerator<R> {
  const keys = orderBy.split(',').map((k) => k.trim());
  const period = options.period ?? 'all';
  const batchSize = options.batchSize ?? 10_000;
  const keyColumns = keys.map((k, i) =>
    TIMESTAMP_KEYS.has(k) ? `${k}::text AS _key${i}` : `${k} AS _key${i}`,
  );
  const base = where?.params ?? [];
  let last: unknown[] | undefined;
  let count = 0;
  for (;;) {
    const params = [...base];
    const conditions = where ? [`(${where.sql})`] : [];
    if (last) {
      const placeholders = last.map((value, i) => {
        params.push(value);
        return TIMESTAMP_KEYS.has(keys[i]!) ? `$${params.length}::timestamptz` : `$${params.length}`;
      });
      conditions.push(`(${keys.join(', ')}) > (${placeholders.join(', ')})`);
    }
    const text = `SELECT ${columns}, ${keyColumns.join(', ')} FROM ${table}${
      conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : ''
    } ORDER BY ${orderBy} LIMIT ${batchSize}`;
    const { rows } = await withRetry(
      () => pool.query(text, params),
      { step: 'extract', table, period },
      options.retry,
    );
    for (const row of rows) {
      count += 1;
      yield parseSourceRow(parse, row, count, table, period);
    }
    if (rows.length > 0) options.onRows?.(count);
    if (rows.length < batchSize) return;
    const tail = rows[rows.length - 1] as Record<string, unknown>;
    last = keys.map((_, i) => tail[`_key${i}`]);
  }
}

/**
 * {@link streamTable} for an arbitrary SELECT whose rows match `table`'s model,
 * read through a cursor (`pagination: 'copy'` reads through a cursor here too:
 * decoding COPY text needs the model's column types) or, with `keyset`, whole.
 */
export async function* streamQuery<R>(
  pool: PgPoolLike,
  table: string,
  text: string,
  params: readonly unknown[],
  parse: (row: unknown) => R,
  options: ExtractOptions = {},
): AsyncGenerator<R> {
  const period = options.period ?? 'all';
  const context = { step: 'extract' as const, table, period };
  if (options.pagination === 'keyset') {
    // No cursor: the query's whole result is read at once (use for small results only).
    const { rows } = await withRetry(() => pool.query(text, params as unknown[]), context, options.retry);
    let position = 0;
    for (const row of rows) {
      position += 1;
      yield parseSourceRow(parse, row, position, table, period);
    }
    return;
  }
  const batchSize = options.batchSize ?? 10_000;
  cursorCounter += 1;
  const cursor = `bionicpro_etl_${cursorCounter}`;
  const client = await withRetry(
    async () => {
      const c = await pool.connect();
      try {
        await c.query('BEGIN TRANSACTION READ ONLY');
        await c.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${text}`, params as unknown[]);
        return c;
      } catch (error) {
        c.release(error instanceof Error ? error : true);
        throw error;
      }
    },
    context,
    options.retry,
  );
  let count = 0;
  let committed = false;
  try {
    for (;;) {
      let rows: unknown[];
      try {
        rows = (await client.query(`FETCH ${batchSize} FROM ${cursor}`)).rows;
      } catch (error) {
        throw new EtlStepError('extract', table, period, false, 1, { cause: error });
      }
      if (rows.length === 0) break;
      for (const row of rows) {
        count += 1;
        yield parseSourceRow(parse, row, count, table, period);
      }
      options.onRows?.(count);
    }
    await client.query('COMMIT');
    committed = true;
  } finally {
    // On an error, or when the consumer stopped early (return()), close the transaction too.
    if (!committed) await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}

/** Reads a whole (small) query result, retried as a unit on transient errors. */
async function readAll<T extends ExtractTable>(
  pool: PgPoolLike,
  table: T,
  where: { sql: string; params: unknown[] } | undefined,
  options: ExtractOptions,
): Promise<Parsed<T>[]> {
  const period = options.period ?? 'all';
  return withRetry(
    async () => {
      const out: Parsed<T>[] = [];
      for await (const row of streamTable(pool, table, where, 'id', { ...options, retry: { attempts: 1 } })) {
        out.push(row);
      }
      return out;
    },
    { step: 'extract', table, period },
    options.retry,
  );
}

/** The CRM tables a month needs: users, prosthetics, subscriptions (all) and the month's payments. */
export interface CrmExtract {
  readonly users: Parsed<'users'>[];
  readonly prosthetics: Parsed<'prosthetics'>[];
  readonly subscriptions: Parsed<'subscriptions'>[];
  readonly payments: Parsed<'payments'>[];
}

/**
 * Extracts the CRM side of a month (small tables, read whole).
 *
 * @example
 * ```ts
 * import { extractCrm, monthPeriod } from '@bionicpro/etl';
 * const crm = await extractCrm(crmPool, monthPeriod('2024-01'));
 * ```
 */
export async function extractCrm(
  pool: PgPoolLike,
  period: MonthPeriod,
  options: ExtractOptions = {},
): Promise<CrmExtract> {
  const o = { ...options, period: options.period ?? period.label };
  const window = windowParams({ start: new Date(period.startMs), end: new Date(period.endMs) });
  return {
    users: await readAll(pool, 'users', undefined, o),
    prosthetics: await readAll(pool, 'prosthetics', undefined, o),
    subscriptions: await readAll(pool, 'subscriptions', undefined, o),
    payments: await readAll(
      pool,
      'payments',
      { sql: 'payment_date >= $1 AND payment_date < $2', params: window },
      o,
    ),
  };
}

function windowParams(window: TimeWindow): unknown[] {
  return [window.start.toISOString(), window.end.toISOString()];
}

/**
 * Streams a raw telemetry table for a half-open window `[start, end)` (seed
 * 004's `--telemetry_start_ts/--telemetry_end_ts`), sorted by entity, time and
 * id: EMG events by `(user_id, event_timestamp, id)`, device events and battery
 * samples by `(prosthetic_id, timestamp, id)`.
 */
export function streamWindow<T extends 'telemetry_events' | 'device_events' | 'battery_metrics'>(
  pool: PgPoolLike,
  table: T,
  window: TimeWindow,
  options: ExtractOptions = {},
): AsyncGenerator<Parsed<T>> {
  const ts = table === 'battery_metrics' ? 'metric_timestamp' : 'event_timestamp';
  const entity = table === 'telemetry_events' ? 'user_id' : 'prosthetic_id';
  return streamTable(
    pool,
    table,
    { sql: `${ts} >= $1 AND ${ts} < $2`, params: windowParams(window) },
    `${entity}, ${ts}, id`,
    options,
  );
}

/**
 * The context device events a month's prosthetic mart needs besides the
 * month's own rows (see `prostheticMonthlyMetrics`): per prosthesis the last
 * power event before the month, the critical events before it not yet
 * followed by a power_on, and the first event at or after its end. A handful
 * of rows per prosthesis, sorted by `(prosthetic_id, event_timestamp, id)`.
 *
 * @example
 * ```ts
 * import { deviceEventContext, monthPeriod } from '@bionicpro/etl';
 * const context = await deviceEventContext(telemetryPool, monthPeriod('2024-01'));
 * ```
 */
export async function deviceEventContext(
  pool: PgPoolLike,
  period: MonthPeriod,
  options: ExtractOptions = {},
): Promise<Parsed<'device_events'>[]> {
  const cols = columnsOf(tables.device_events)
    .map((c) => `d.${c.name}`)
    .join(', ');
  const params = windowParams({ start: new Date(period.startMs), end: new Date(period.endMs) });
  const contextSql = `
    (SELECT DISTINCT ON (d.prosthetic_id) ${cols} FROM device_events d
      WHERE d.event_type IN ('power_on', 'power_off') AND d.event_timestamp < $1
      ORDER BY d.prosthetic_id, d.event_timestamp DESC, d.id DESC)
    UNION
    (SELECT ${cols} FROM device_events d
      WHERE d.severity = 'critical' AND d.event_timestamp < $1
        AND NOT EXISTS (SELECT 1 FROM device_events o WHERE o.prosthetic_id = d.prosthetic_id
          AND o.event_type = 'power_on' AND o.event_timestamp >= d.event_timestamp AND o.event_timestamp < $1))
    UNION
    (SELECT DISTINCT ON (d.prosthetic_id) ${cols} FROM device_events d
      WHERE d.event_timestamp >= $2 ORDER BY d.prosthetic_id, d.event_timestamp, d.id)
    ORDER BY prosthetic_id, event_timestamp, id`;
  const context: Parsed<'device_events'>[] = [];
  const { onRows: _progress, ...quiet } = { ...options, period: options.period ?? period.label };
  for await (const row of streamModelQuery(
    pool,
    'device_events',
    contextSql,
    params,
    parsers.device_events,
    quiet,
  )) {
    context.push(row);
  }
  return context;
}

/**
 * Device events of a month plus the context rows the prosthetic mart needs
 * ({@link deviceEventContext}). Sorted by `(prosthetic_id, event_timestamp,
 * id)`: the month streams; the context (one handful of rows per prosthesis)
 * is merged in.
 */
export async function* streamDeviceEventsForMonth(
  pool: PgPoolLike,
  period: MonthPeriod,
  options: ExtractOptions = {},
): AsyncGenerator<Parsed<'device_events'>> {
  const o = { ...options, period: options.period ?? period.label };
  const context = await deviceEventContext(pool, period, o);
  yield* mergeSorted(
    streamWindow(pool, 'device_events', { start: new Date(period.startMs), end: new Date(period.endMs) }, o),
    context,
    (r) => r.prosthetic_id,
    (r) => r.event_timestamp.getTime(),
  );
}

/**
 * Per prosthesis, the last decisive battery sample (< 50 % or > 95 %) before
 * the month, which carries the charge-cycle hysteresis into it.
 *
 * @example
 * ```ts
 * import { batteryMetricContext, monthPeriod } from '@bionicpro/etl';
 * const context = await batteryMetricContext(telemetryPool, monthPeriod('2024-01'));
 * ```
 */
export async function batteryMetricContext(
  pool: PgPoolLike,
  period: MonthPeriod,
  options: ExtractOptions = {},
): Promise<Parsed<'battery_metrics'>[]> {
  const cols = columnsOf(tables.battery_metrics)
    .map((c) => c.name)
    .join(', ');
  const contextSql = `SELECT DISTINCT ON (prosthetic_id) ${cols} FROM battery_metrics
    WHERE (charge_level < 50 OR charge_level > 95) AND metric_timestamp < $1
    ORDER BY prosthetic_id, metric_timestamp DESC, id DESC`;
  const context: Parsed<'battery_metrics'>[] = [];
  const { onRows: _progress, ...quiet } = { ...options, period: options.period ?? period.label };
  for await (const row of streamModelQuery(
    pool,
    'battery_metrics',
    contextSql,
    [new Date(period.startMs).toISOString()],
    parsers.battery_metrics,
    quiet,
  )) {
    context.push(row);
  }
  return context;
}

/**
 * Battery samples of a month plus, per prosthesis, the last decisive sample
 * before it ({@link batteryMetricContext}). Sorted by `(prosthetic_id,
 * metric_timestamp, id)`.
 */
export async function* streamBatteryMetricsForMonth(
  pool: PgPoolLike,
  period: MonthPeriod,
  options: ExtractOptions = {},
): AsyncGenerator<Parsed<'battery_metrics'>> {
  const o = { ...options, period: options.period ?? period.label };
  const context = await batteryMetricContext(pool, period, o);
  yield* mergeSorted(
    streamWindow(
      pool,
      'battery_metrics',
      { start: new Date(period.startMs), end: new Date(period.endMs) },
      o,
    ),
    context,
    (r) => r.prosthetic_id,
    (r) => r.metric_timestamp.getTime(),
  );
}

/** Merges a sorted async stream with a small sorted array, both by (entity, ts, id). */
async function* mergeSorted<T extends { readonly id: Int64Text }>(
  stream: AsyncIterable<T>,
  extra: readonly T[],
  entityOf: (row: T) => number,
  tsOf: (row: T) => number,
): AsyncGenerator<T> {
  let i = 0;
  const before = (a: T, b: T) =>
    entityOf(a) - entityOf(b) || tsOf(a) - tsOf(b) || compareInt64Text(a.id, b.id);
  for await (const row of stream) {
    while (i < extra.length && before(extra[i]!, row) <= 0) {
      yield extra[i]!;
      i += 1;
    }
    yield row;
  }
  while (i < extra.length) {
    yield extra[i]!;
    i += 1;
  }
}
