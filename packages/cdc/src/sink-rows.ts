/**
 * The rows the ClickHouse sink inserts, with no I/O: a target's column layout,
 * each decoded value in the form ClickHouse's JSON input formats read (instants
 * as text the basic parser takes where the column allows), the row of one
 * change, and a stored row in the same layout.
 */
import { type CdcTarget, DELETED_COLUMN, VERSION_COLUMN } from './clickhouse-target.js';
import { isInheritedName, ownValue, type PendingChange } from './sink-fold.js';

export type Row = Record<string, unknown>;

/**
 * A row as it is inserted: for a target with known columns, an array in
 * `[_version, _is_deleted, ...columns]` order (`JSONCompactEachRow`, no
 * repeated keys, built without an intermediate object); else an object
 * (`JSONEachRow`).
 */
export type OutRow = unknown[] | Row;

/**
 * How a column's values reach ClickHouse without `date_time_input_format=best_effort`:
 * `plain` (not a date/time type: any value), `utc` (`DateTime64(p ≥ 3, 'UTC')`: a `Date` in
 * range is written as `YYYY-MM-DD hh:mm:ss.sss`, which the basic parser reads exactly), or
 * `time` (any other date/time type, or unknown: a value needs best_effort, as before).
 */
export type ColumnKind = 'plain' | 'utc' | 'time';

export function columnKindOf(type: string | undefined): ColumnKind {
  if (type === undefined) return 'time';
  if (/^DateTime64\(\s*[3-9]\s*,\s*'UTC'\s*\)$/.test(type)) return 'utc';
  return /Date|Time|Variant|Dynamic|JSON|Object/.test(type) ? 'time' : 'plain';
}

/** Where each column goes in an {@link OutRow} of one target. */
export interface Layout {
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

/** Sets an own property, whatever the name (a `__proto__` column is data, not the prototype). */
export function setOwn(row: Row, column: string, value: unknown): void {
  if (column === '__proto__') {
    Object.defineProperty(row, column, { value, enumerable: true, writable: true, configurable: true });
  } else {
    row[column] = value;
  }
}

export function layoutOf(target: CdcTarget): Layout {
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
export interface WriteContext {
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
export function toClickHouseValue(value: unknown): unknown {
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

/** A value of column `i` (of `layout.columns`) as inserted; notes in `ctx` when it needs best_effort. */
export function columnValue(layout: Layout, i: number, value: unknown, ctx: WriteContext): unknown {
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
export function rowOf(layout: Layout, target: CdcTarget, item: PendingChange, ctx: WriteContext): OutRow {
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
export function storedRowOf(layout: Layout, stored: Row): OutRow {
  if (!layout.insertColumns) return stored;
  return layout.insertColumns.map((column) => stored[column] ?? null);
}

/** Takes the unavailable (unchanged-TOAST) columns of `row` from the previous version `state`. */
export function fillUnavailable(
  layout: Layout,
  row: OutRow,
  state: OutRow,
  unavailable: readonly string[],
): void {
  if (Array.isArray(row)) {
    for (const column of unavailable) {
      const i = layout.index.get(column);
      if (i !== undefined && i >= 2) row[i] = (state as unknown[])[i];
    }
    return;
  }
  for (const column of unavailable) setOwn(row, column, ownValue(state as Row, column));
}
