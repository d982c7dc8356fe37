/**
 * Writes typed changes into ClickHouse so that the target holds exactly one
 * current row per primary key, whatever the delivery: duplicates, reordering
 * inside or across batches, consumer restarts, rebalances and re-snapshots.
 *
 * How:
 * - every row carries `_version` from the source position (`change-version.ts`)
 *   and `_is_deleted`; the engine keeps the highest version per key, and reads
 *   use FINAL (`currentRowsQuery`);
 * - a batch is folded per key in version order before it is written, so only
 *   the newest row of a key is inserted (fewer rows, same result);
 * - a column that arrived as the unchanged-TOAST placeholder takes its value
 *   from the previous version of the row: an earlier change of the same batch,
 *   else the current row in ClickHouse. With no previous row the change is
 *   rejected (dead-lettered) rather than written with a made-up value;
 * - a truncate deletes every row whose version is below the truncate's.
 *
 * Failures: ClickHouse errors that blame the data (parse errors, type
 * mismatches, overflow) are narrowed down by splitting the insert until the
 * offending rows are found and rejected; every other error (network, memory,
 * read-only, missing table) is thrown as a retryable {@link SinkError}, and the
 * caller retries the same batch.
 */
import { changeVersion } from './change-version.js';
import {
  type CdcTarget,
  type ClickHouseLike,
  type ClickHouseSettingsLike,
  DELETED_COLUMN,
  VERSION_COLUMN,
} from './clickhouse-target.js';
import type { RowChange, TruncateEvent } from './decode-change.js';
import { SinkError } from './errors.js';

/** A change the sink refused, with a reason a person can act on. */
export interface SinkRejection {
  readonly event: RowChange | TruncateEvent;
  readonly code:
    | 'no_target'
    | 'no_position'
    | 'no_key'
    | 'toast_without_previous_row'
    | 'clickhouse_rejected_row';
  readonly reason: string;
  readonly cause?: unknown;
}

/** What one {@link ClickHouseSink.write} did. */
export interface SinkWriteResult {
  /** Rows inserted (after folding versions of the same key). */
  readonly rows: number;
  readonly rejected: readonly SinkRejection[];
}

/** Options of {@link createClickHouseSink}. */
export interface ClickHouseSinkOptions {
  readonly client: ClickHouseLike;
  /** Targets by source table name (see `cdcTargetOf`). */
  readonly targets: readonly CdcTarget[];
  /** What to do with changes of tables without a target: reject them (default) or skip them. */
  readonly unknownTables?: 'reject' | 'ignore';
  /** Apply truncates (default) or ignore them. */
  readonly truncate?: 'apply' | 'ignore';
  /** Extra settings for inserts. */
  readonly insertSettings?: ClickHouseSettingsLike;
  /**
   * Rows per INSERT statement (default 25,000). A larger table batch is sent as several
   * inserts, two in flight: the next one is serialised while ClickHouse parses the previous
   * one. `write` still resolves only after every insert was acknowledged.
   */
  readonly maxInsertRows?: number;
}

/** The ClickHouse side of the CDC pipeline. */
export interface ClickHouseSink {
  /** Writes a batch; resolves once ClickHouse acknowledged every row. Throws a retryable {@link SinkError}. */
  write(events: readonly (RowChange | TruncateEvent)[]): Promise<SinkWriteResult>;
}

/**
 * ClickHouse error codes that blame the inserted data, not the server:
 * retrying would fail forever, so the rows are isolated and rejected.
 */
const DATA_ERROR_CODES = new Set([
  '6', // CANNOT_PARSE_TEXT
  '26', // CANNOT_PARSE_QUOTED_STRING
  '27', // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  '32', // ATTEMPT_TO_READ_AFTER_EOF
  '38', // CANNOT_PARSE_DATE
  '41', // CANNOT_PARSE_DATETIME
  '53', // TYPE_MISMATCH
  '69', // ARGUMENT_OUT_OF_BOUND
  '70', // CANNOT_CONVERT_TYPE
  '72', // CANNOT_PARSE_NUMBER
  '117', // INCORRECT_DATA
  '131', // TOO_LARGE_STRING_SIZE
  '349', // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  '407', // DECIMAL_OVERFLOW
  '457', // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  '691', // UNKNOWN_ELEMENT_OF_ENUM
]);

/** The ClickHouse error code of an error from `@clickhouse/client` or chDB, if any. */
export function clickhouseErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return code;
  if (typeof code === 'number') return String(code);
  const message = error instanceof Error ? error.message : String(error);
  return /Code: (\d+)/.exec(message)?.[1];
}

/** True when ClickHouse refused the data itself (retrying cannot help). */
export function isDataError(error: unknown): boolean {
  const code = clickhouseErrorCode(error);
  return code !== undefined && DATA_ERROR_CODES.has(code);
}

type Row = Record<string, unknown>;

/**
 * A row as it is inserted: for a target with known columns, an array in
 * `[_version, _is_deleted, ...columns]` order (`JSONCompactEachRow`, no
 * repeated keys, built without an intermediate object); else an object
 * (`JSONEachRow`).
 */
type OutRow = unknown[] | Row;

interface PendingRow {
  readonly event: RowChange;
  readonly version: bigint;
  readonly keyValues: readonly unknown[];
}

/**
 * How a column's values reach ClickHouse without `date_time_input_format=best_effort`:
 * `plain` (not a date/time type: any value), `utc` (`DateTime64(p ≥ 3, 'UTC')`: a `Date` in
 * range is written as `YYYY-MM-DD hh:mm:ss.sss`, which the basic parser reads exactly), or
 * `time` (any other date/time type, or unknown: a value needs best_effort, as before).
 */
type ColumnKind = 'plain' | 'utc' | 'time';

function columnKindOf(type: string | undefined): ColumnKind {
  if (type === undefined) return 'time';
  if (/^DateTime64\(\s*[3-9]\s*,\s*'UTC'\s*\)$/.test(type)) return 'utc';
  return /Date|Time|Variant|Dynamic|JSON|Object/.test(type) ? 'time' : 'plain';
}

/** Where each column goes in an {@link OutRow} of one target. */
interface Layout {
  /** `[_version, _is_deleted, ...columns]`, or undefined for "whatever the change carries". */
  readonly insertColumns: [string, ...string[]] | undefined;
  readonly columns: readonly string[] | undefined;
  /** Kind of each of `columns`. */
  readonly kinds: readonly ColumnKind[];
  /** Column name → index in the row array. */
  readonly index: ReadonlyMap<string, number>;
  /** Per column, whether its name is also a member of `Object.prototype` (read it as an own property). */
  readonly inherited: readonly boolean[];
}

/** Whether a column name is also an `Object.prototype` member (`constructor`, `toString`, `__proto__`, ...). */
function isInheritedName(column: string): boolean {
  return column in Object.prototype;
}

/** Column `column` of a decoded row: its own property only (a missing `constructor` is not `Object`). */
function ownValue(row: Readonly<Record<string, unknown>> | null | undefined, column: string): unknown {
  return row != null && Object.hasOwn(row, column) ? row[column] : undefined;
}

/** Sets an own property, whatever the name (a `__proto__` column is data, not the prototype). */
function setOwn(row: Row, column: string, value: unknown): void {
  if (column === '__proto__') {
    Object.defineProperty(row, column, { value, enumerable: true, writable: true, configurable: true });
  } else {
    row[column] = value;
  }
}

function layoutOf(target: CdcTarget): Layout {
  if (!target.columns)
    return { insertColumns: undefined, columns: undefined, kinds: [], index: new Map(), inherited: [] };
  const insertColumns: [string, ...string[]] = [VERSION_COLUMN, DELETED_COLUMN, ...target.columns];
  const types = target.columnTypes?.length === target.columns.length ? target.columnTypes : undefined;
  return {
    insertColumns,
    columns: target.columns,
    kinds: target.columns.map((_, i) => columnKindOf(types?.[i])),
    index: new Map(insertColumns.map((c, i) => [c, i])),
    inherited: target.columns.map(isInheritedName),
  };
}

/** Per-table-batch state: whether some value needs `date_time_input_format=best_effort`. */
interface WriteContext {
  bestEffort: boolean;
}

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const DAY_MS = 86_400_000;
let cachedDay = Number.NaN;
/** `YYYY-MM-DDT` of `cachedDay`. */
let cachedDayPrefix = '';
/** `YYYY-MM-DD` of `cachedDay` (within DateTime64's range, always four-digit years). */
let cachedDate = '';

function cacheDay(day: number): void {
  const text = new Date(day * DAY_MS).toISOString();
  const t = text.indexOf('T');
  cachedDay = day;
  cachedDayPrefix = text.slice(0, t + 1);
  cachedDate = text.slice(0, t);
}

/**
 * `date.toISOString()`, character for character, several times faster: the
 * `YYYY-MM-DDT` prefix is cached per day (consecutive CDC rows mostly share
 * it) and the time of day is assembled from lookup tables.
 */
export function isoTimestamp(date: Date): string {
  const ms = date.getTime();
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    if (!Number.isFinite(ms)) return date.toISOString(); // throws RangeError like toISOString
    cacheDay(day);
  }
  return `${cachedDayPrefix}${timeOfDay(ms - day * DAY_MS)}Z`;
}

function timeOfDay(rest: number): string {
  const hours = (rest / 3_600_000) | 0;
  rest -= hours * 3_600_000;
  const minutes = (rest / 60_000) | 0;
  rest -= minutes * 60_000;
  const seconds = (rest / 1000) | 0;
  return `${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[rest - seconds * 1000]}`;
}

/** 1900-01-01 and 2300-01-01 (UTC): the range of DateTime64. */
const DATETIME64_MIN_MS = -2_208_988_800_000;
const DATETIME64_END_MS = 10_413_792_000_000;

/**
 * A `Date` as `YYYY-MM-DD hh:mm:ss.sss` (UTC wall time), the text ClickHouse's basic parser
 * reads into a `DateTime64(p, 'UTC')`; `undefined` outside DateTime64's range (1900–2299).
 */
export function utcDateTimeText(date: Date): string | undefined {
  const ms = date.getTime();
  if (!(ms >= DATETIME64_MIN_MS && ms < DATETIME64_END_MS)) return undefined;
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) cacheDay(day);
  return `${cachedDate} ${timeOfDay(ms - day * DAY_MS)}`;
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** A decoded value in the form ClickHouse's JSON input formats read. Ordered by frequency. */
function toClickHouseValue(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
    case 'bigint':
      return value.toString();
    case 'object':
      if (value === null || Array.isArray(value)) return value;
      if (value instanceof Date) return isoTimestamp(value);
      return JSON.stringify(value, bigintReplacer);
    default:
      return value;
  }
}

function keyText(values: readonly unknown[]): string {
  return values.length === 1 ? String(values[0]) : values.map((v) => String(v)).join('\u0000');
}

function compareVersions(a: PendingRow, b: PendingRow): number {
  return a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}

/**
 * Creates the sink.
 *
 * @example
 * ```ts
 * import { tables } from '@bionicpro/models';
 * import { cdcTargetOf, createClickHouseSink } from '@bionicpro/cdc';
 * const sink = createClickHouseSink({ client, targets: [cdcTargetOf(tables.payments, { database: 'cdc' })] });
 * const { rows, rejected } = await sink.write(changes);
 * ```
 */
export function createClickHouseSink(options: ClickHouseSinkOptions): ClickHouseSink {
  const { client } = options;
  const targets = new Map(options.targets.map((t) => [t.source, t]));
  const layouts = new Map(options.targets.map((t) => [t, layoutOf(t)]));
  // ISO-8601 text (`…T…Z`) in a date/time column needs best_effort; rows whose date/time values are
  // all `Date`s of `DateTime64(p, 'UTC')` columns are sent without it: with chDB every setting
  // becomes a `SET …;` statement in front of the INSERT, which makes ClickHouse split a
  // multi-statement query over the whole data (about a third of the insert time, measured).
  const bestEffortSettings = { date_time_input_format: 'best_effort', ...options.insertSettings };
  const plainSettings =
    options.insertSettings && Object.keys(options.insertSettings).length > 0
      ? options.insertSettings
      : undefined;
  const maxInsertRows = Math.max(1, Math.trunc(options.maxInsertRows ?? 25_000));
  const readSettings = { output_format_json_quote_64bit_integers: 1, output_format_json_quote_decimals: 1 };

  async function readCurrentRows(
    target: CdcTarget,
    keys: readonly (readonly unknown[])[],
  ): Promise<Map<string, Row>> {
    const found = new Map<string, Row>();
    for (let start = 0; start < keys.length; start += 1000) {
      const chunk = keys.slice(start, start + 1000);
      const params: Record<string, unknown> = {};
      let where: string;
      if (target.key.length === 1) {
        params['keys'] = chunk.map((k) => toClickHouseValue(k[0]));
        where = `${target.key[0]} IN {keys:Array(${target.keyTypes[0]})}`;
      } else {
        where = chunk
          .map(
            (k, i) =>
              `(${target.key
                .map((column, j) => {
                  params[`k${i}_${j}`] = toClickHouseValue(k[j]);
                  return `${column} = {k${i}_${j}:${target.keyTypes[j]}}`;
                })
                .join(' AND ')})`,
          )
          .join(' OR ');
      }
      let rows: Row[];
      try {
        const result = await client.query({
          // The newest version per key, deleted or not (FINAL would hide a delete, and a replayed older
          // update must be recognised as stale rather than as lacking a previous row).
          query: `SELECT * FROM ${target.table} WHERE ${where} ORDER BY ${VERSION_COLUMN} DESC LIMIT 1 BY ${target.key.join(', ')}`,
          query_params: params,
          format: 'JSONEachRow',
          clickhouse_settings: readSettings,
        });
        rows = (await result.json<Row>()) as Row[];
      } catch (error) {
        // Retryable like a failed insert: the batch is written again from the start.
        throw new SinkError(
          'sink_write_failed',
          `reading the current rows of ${target.table} failed: ${(error as Error).message}`,
          { table: target.table, cause: error },
        );
      }
      for (const row of rows) {
        const values = target.key.map((column) => row[column]);
        found.set(keyText(values), row);
      }
    }
    return found;
  }

  /** A value of column `i` (of `layout.columns`) as inserted; notes in `ctx` when it needs best_effort. */
  function columnValue(layout: Layout, i: number, value: unknown, ctx: WriteContext): unknown {
    if (value === undefined || value === null) return null;
    const kind = layout.kinds[i];
    if (kind === 'plain') return toClickHouseValue(value);
    if (kind === 'utc' && value instanceof Date) {
      const text = utcDateTimeText(value);
      if (text !== undefined) return text;
    }
    ctx.bestEffort = true;
    return toClickHouseValue(value);
  }

  /** The row to insert for one change, in the target's layout. */
  function rowOf(layout: Layout, target: CdcTarget, item: PendingRow, ctx: WriteContext): OutRow {
    const { event, version, keyValues } = item;
    const deleted = event.op === 'd';
    const { columns } = layout;
    if (columns) {
      const out: unknown[] = new Array(columns.length + 2);
      out[0] = version.toString();
      out[1] = deleted ? 1 : 0;
      if (deleted) {
        for (let i = 0; i < columns.length; i++) out[i + 2] = null;
        for (let j = 0; j < target.key.length; j++) {
          const i = layout.index.get(target.key[j]!)! - 2;
          out[i + 2] = columnValue(layout, i, keyValues[j], ctx);
        }
        return out;
      }
      const source = (event.row ?? event.after ?? {}) as Row;
      const { inherited } = layout;
      for (let i = 0; i < columns.length; i++) {
        const column = columns[i]!;
        out[i + 2] = columnValue(layout, i, inherited[i] ? ownValue(source, column) : source[column], ctx);
      }
      return out;
    }
    ctx.bestEffort = true;
    const out: Row = {};
    if (deleted) {
      target.key.forEach((column, i) => {
        setOwn(out, column, toClickHouseValue(keyValues[i]));
      });
    } else {
      const source = (event.row ?? event.after ?? {}) as Row;
      for (const column of Object.keys(source)) setOwn(out, column, toClickHouseValue(source[column]));
    }
    out[VERSION_COLUMN] = version.toString();
    out[DELETED_COLUMN] = deleted ? 1 : 0;
    return out;
  }

  /** A row read back from ClickHouse, in the target's layout (its values are already ClickHouse's JSON). */
  function storedRowOf(layout: Layout, stored: Row): OutRow {
    if (!layout.insertColumns) return stored;
    return layout.insertColumns.map((column) => stored[column] ?? null);
  }

  /** Takes the unavailable (unchanged-TOAST) columns of `row` from the previous version `state`. */
  function fillUnavailable(layout: Layout, row: OutRow, state: OutRow, unavailable: readonly string[]): void {
    if (Array.isArray(row)) {
      for (const column of unavailable) {
        const i = layout.index.get(column);
        if (i !== undefined && i >= 2) row[i] = (state as unknown[])[i];
      }
      return;
    }
    for (const column of unavailable) setOwn(row, column, ownValue(state as Row, column));
  }

  async function insertRows(
    target: CdcTarget,
    layout: Layout,
    settings: ClickHouseSettingsLike | undefined,
    rows: readonly OutRow[],
    events: readonly RowChange[],
    rejected: SinkRejection[],
  ): Promise<number> {
    if (rows.length === 0) return 0;
    try {
      if (layout.insertColumns) {
        await client.insert({
          table: target.table,
          values: rows,
          format: 'JSONCompactEachRow',
          columns: layout.insertColumns,
          ...(settings && { clickhouse_settings: settings }),
        });
      } else {
        await client.insert({
          table: target.table,
          values: rows,
          format: 'JSONEachRow',
          ...(settings && { clickhouse_settings: settings }),
        });
      }
      return rows.length;
    } catch (error) {
      if (!isDataError(error)) {
        throw new SinkError(
          'sink_write_failed',
          `insert into ${target.table} failed: ${(error as Error).message}`,
          {
            table: target.table,
            cause: error,
          },
        );
      }
      if (rows.length === 1) {
        rejected.push({
          event: events[0]!,
          code: 'clickhouse_rejected_row',
          reason: `ClickHouse refused the row: ${(error as Error).message.slice(0, 500)}`,
          cause: error,
        });
        return 0;
      }
      const middle = rows.length >> 1;
      return (
        (await insertRows(
          target,
          layout,
          settings,
          rows.slice(0, middle),
          events.slice(0, middle),
          rejected,
        )) + (await insertRows(target, layout, settings, rows.slice(middle), events.slice(middle), rejected))
      );
    }
  }

  /**
   * Inserts `rows` in statements of at most `maxInsertRows`, two in flight. Every statement is
   * awaited before this resolves or throws, so nothing is still being written when the caller
   * retries the batch (which is idempotent anyway: same versions).
   */
  async function insertChunked(
    target: CdcTarget,
    layout: Layout,
    ctx: WriteContext,
    rows: readonly OutRow[],
    events: readonly RowChange[],
    rejected: SinkRejection[],
  ): Promise<number> {
    const settings = ctx.bestEffort ? bestEffortSettings : plainSettings;
    if (rows.length <= maxInsertRows) return insertRows(target, layout, settings, rows, events, rejected);
    let inserted = 0;
    let failure: { error: unknown } | undefined;
    let inFlight: Promise<number> | undefined;
    for (let start = 0; start < rows.length; start += maxInsertRows) {
      const end = start + maxInsertRows;
      // Started before the previous one is awaited: serialising this chunk overlaps with ClickHouse.
      const next = insertRows(
        target,
        layout,
        settings,
        rows.slice(start, end),
        events.slice(start, end),
        rejected,
      );
      // Handled now (it may fail while the previous one is awaited); its outcome is read below.
      next.catch(() => {});
      if (inFlight) {
        try {
          inserted += await inFlight;
        } catch (error) {
          failure = { error };
        }
      }
      inFlight = next;
      if (failure) break;
    }
    try {
      inserted += await inFlight!;
    } catch (error) {
      failure ??= { error };
    }
    if (failure) throw failure.error;
    return inserted;
  }

  async function writeTable(
    target: CdcTarget,
    events: readonly RowChange[],
    rejected: SinkRejection[],
  ): Promise<number> {
    const layout = layouts.get(target)!;
    const ctx: WriteContext = { bestEffort: false };
    const keyColumns = target.key;
    const keyInherited = keyColumns.map(isInheritedName);
    // Fold per key: one pending change per key, or all of them (sorted below) when a key repeats.
    const byKey = new Map<string, PendingRow | PendingRow[]>();
    let repeated = false;
    for (const event of events) {
      const version = changeVersion(event);
      if (version === undefined) {
        rejected.push({
          event,
          code: 'no_position',
          reason: `${event.op} change of ${event.table} has no source LSN; with ExtractNewRecordState add.fields must include lsn`,
        });
        continue;
      }
      const keyValues: unknown[] = new Array(keyColumns.length);
      let complete = true;
      for (let j = 0; j < keyColumns.length; j++) {
        const column = keyColumns[j]!;
        const value = keyInherited[j]
          ? (ownValue(event.key, column) ??
            ownValue(event.row, column) ??
            ownValue(event.before, column) ??
            ownValue(event.after, column))
          : (event.key?.[column] ?? event.row?.[column] ?? event.before?.[column] ?? event.after?.[column]);
        if (value === undefined || value === null) complete = false;
        keyValues[j] = value;
      }
      if (!complete) {
        rejected.push({
          event,
          code: 'no_key',
          reason: `no value for key column(s) ${keyColumns.join(', ')} of ${event.table}`,
        });
        continue;
      }
      const item: PendingRow = { event, version, keyValues };
      const key = keyValues.length === 1 ? String(keyValues[0]) : keyText(keyValues);
      const existing = byKey.get(key);
      if (existing === undefined) byKey.set(key, item);
      else if (Array.isArray(existing)) existing.push(item);
      else {
        byKey.set(key, [existing, item]);
        repeated = true;
      }
    }
    // Versions of one key in order (equal versions are duplicates); only the first one may need the stored row.
    const needPrevious: (readonly unknown[])[] = [];
    for (const entry of byKey.values()) {
      let first: PendingRow;
      if (Array.isArray(entry)) {
        entry.sort(compareVersions);
        first = entry[0]!;
      } else first = entry;
      if (first.event.op !== 'd' && first.event.unavailable.length > 0) needPrevious.push(first.keyValues);
    }
    const previous =
      needPrevious.length > 0 ? await readCurrentRows(target, needPrevious) : new Map<string, Row>();

    const rows: OutRow[] = [];
    const origins: RowChange[] = [];
    if (!repeated && needPrevious.length === 0) {
      // The common case: one change per key, no unchanged-TOAST column.
      for (const entry of byKey.values()) {
        const item = entry as PendingRow;
        rows.push(rowOf(layout, target, item, ctx));
        origins.push(item.event);
      }
      return insertChunked(target, layout, ctx, rows, origins, rejected);
    }
    for (const [key, entry] of byKey) {
      const list = Array.isArray(entry) ? entry : [entry];
      const stored = previous.get(key);
      let state: OutRow | undefined =
        stored && Number(stored[DELETED_COLUMN]) !== 1 ? storedRowOf(layout, stored) : undefined;
      const storedVersion = stored === undefined ? -1n : BigInt(String(stored[VERSION_COLUMN]));
      let latest: { row: OutRow; event: RowChange } | undefined;
      for (const item of list) {
        const row = rowOf(layout, target, item, ctx);
        if (item.event.op !== 'd' && item.event.unavailable.length > 0) {
          if (!state) {
            // A replay of an update older than what ClickHouse holds (e.g. older than its delete)
            // loses to it anyway: nothing to write, nothing to report.
            if (item.version < storedVersion) continue;
            rejected.push({
              event: item.event,
              code: 'toast_without_previous_row',
              reason: `columns ${item.event.unavailable.join(', ')} of ${item.event.table} arrived as the unchanged-TOAST placeholder and no previous row exists to take them from; request a snapshot of the table or set REPLICA IDENTITY FULL`,
            });
            continue;
          }
          fillUnavailable(layout, row, state, item.event.unavailable);
        }
        state = item.event.op === 'd' ? undefined : row;
        latest = { row, event: item.event };
      }
      if (latest) {
        rows.push(latest.row);
        origins.push(latest.event);
      }
    }
    return insertChunked(target, layout, ctx, rows, origins, rejected);
  }

  return {
    async write(events) {
      const rejected: SinkRejection[] = [];
      const byTable = new Map<CdcTarget, RowChange[]>();
      const truncates: { target: CdcTarget; event: TruncateEvent; version: bigint }[] = [];
      for (const event of events) {
        const target = targets.get(event.table);
        if (!target) {
          if (options.unknownTables !== 'ignore') {
            rejected.push({
              event,
              code: 'no_target',
              reason: `no ClickHouse target configured for table ${event.table}`,
            });
          }
          continue;
        }
        if (event.kind === 'truncate') {
          if (options.truncate === 'ignore') continue;
          const version = changeVersion({ op: 't' as never, source: event.source });
          if (version === undefined) {
            rejected.push({
              event,
              code: 'no_position',
              reason: `truncate of ${event.table} has no source LSN`,
            });
            continue;
          }
          truncates.push({ target, event, version });
          continue;
        }
        const list = byTable.get(target);
        if (list) list.push(event);
        else byTable.set(target, [event]);
      }
      let rows = 0;
      for (const [target, list] of byTable) rows += await writeTable(target, list, rejected);
      for (const { target, version } of truncates) {
        try {
          await client.command({
            query: `DELETE FROM ${target.table} WHERE ${VERSION_COLUMN} < {version:UInt64}`,
            query_params: { version: version.toString() },
          });
        } catch (error) {
          throw new SinkError(
            'sink_write_failed',
            `truncate of ${target.table} failed: ${(error as Error).message}`,
            {
              table: target.table,
              cause: error,
            },
          );
        }
      }
      return { rows, rejected };
    },
  };
}
