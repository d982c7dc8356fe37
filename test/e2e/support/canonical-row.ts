/**
 * Puts a PostgreSQL row and a ClickHouse row of the same table in one canonical form, column by
 * column from the model's storage type, so "equal row for row" means equal values: exact money,
 * timestamps to the millisecond in UTC (the models' ClickHouse precision), dates, booleans, integers as decimal text.
 */
import { columnsOf, type TableDefinition } from '@bionicpro/models';

const TS = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(?:Z|([+-]\d{2})(?::?(\d{2}))?)?$/;

/**
 * `2024-01-15T09:30:00.123Z` from PostgreSQL's or ClickHouse's text of a UTC instant.
 * Milliseconds, truncated: the models store instants as `DateTime64(3, 'UTC')` in ClickHouse (and
 * as JS `Date`s), so a PostgreSQL `now()` with microseconds arrives truncated to the millisecond.
 */
export function canonicalTimestamp(value: string): string {
  const m = TS.exec(value);
  if (!m) throw new Error(`not a timestamp: ${value}`);
  const [, day, time, frac = '', offH, offM] = m;
  let ms = Date.parse(`${day}T${time}Z`);
  if (offH) ms -= (Number(offH) * 60 + Math.sign(Number(offH)) * Number(offM ?? 0)) * 60_000;
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac.padEnd(3, '0').slice(0, 3)}Z`;
}

/** `2999.00`-style text with the column's scale, from `2999`, `2999.0`, `"2999.00"`. */
export function canonicalDecimal(value: unknown, scale: number): string {
  const text = String(value);
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new Error(`not a decimal: ${text}`);
  const [, sign = '', int = '', frac = ''] = m;
  if (frac.length > scale && /[1-9]/.test(frac.slice(scale)))
    throw new Error(`${text} has more than ${scale} decimals`);
  const digits = `${int.replace(/^0+(?=\d)/, '')}.${frac.padEnd(scale, '0').slice(0, scale)}`;
  return /^0\.0*$/.test(digits) ? digits : `${sign}${digits}`;
}

function canonicalValue(pgType: string, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const type = pgType.toLowerCase();
  if (type.startsWith('numeric')) return canonicalDecimal(value, Number(/,\s*(\d+)\)/.exec(type)?.[1] ?? 0));
  if (type.startsWith('timestamp')) return canonicalTimestamp(String(value));
  if (type === 'date') return String(value).slice(0, 10);
  if (type === 'boolean') return value === true || value === 1 || value === '1' || value === 'true';
  if (['smallint', 'integer', 'bigint'].includes(type)) return BigInt(value as string | number).toString();
  if (type === 'double precision' || type === 'real') return Number(value);
  return String(value);
}

/** The canonical form of a row of `table`; columns the table does not have are ignored. */
export function canonicalRow(table: TableDefinition, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of columnsOf(table)) out[column.name] = canonicalValue(column.pg, row[column.name]);
  return out;
}
