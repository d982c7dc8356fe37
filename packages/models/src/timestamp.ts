/**
 * Time values (SPEC §2: all timestamps are UTC; a month is a UTC calendar month).
 *
 * Accepted timestamp text is ISO-8601: `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with
 * `Z` or a `±HH:MM` offset, a space instead of `T` (PostgreSQL's and
 * ClickHouse's text form), or no offset at all, which SPEC §2 defines as UTC.
 * Anything else (`01/02/2024`, `Jan 2 2024`, `2024-02-30`) is rejected rather
 * than guessed at.
 */

const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH_TEXT = /^(\d{4})-(\d{2})$/;

/** Earliest and latest instants accepted: ClickHouse DateTime64 and PostgreSQL both hold them. */
export const MIN_TIMESTAMP_MS = Date.UTC(1900, 0, 1);
export const MAX_TIMESTAMP_MS = Date.UTC(2299, 11, 31, 23, 59, 59, 999);

export function daysInMonth(year: number, month1: number): number {
  return new Date(Date.UTC(year, month1, 0)).getUTCDate();
}

/**
 * Epoch milliseconds of an ISO-8601 timestamp string or a `Date`, or `undefined`
 * when the value is not an unambiguous, valid instant.
 *
 * Hand-written scanner rather than a regular expression: this runs twice per
 * telemetry row on every hot path (extract, CDC decode, validation).
 */
export function tryParseTimestampMs(value: unknown): number | undefined {
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) || ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS ? undefined : ms;
  }
  if (typeof value !== 'string') return undefined;
  const fast = utcTextMs(value);
  if (fast !== undefined) return fast;
  const s = value;
  const n = s.length;
  if (n < 10) return undefined;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) {
    return undefined;
  }
  if (day > 28 && day > daysInMonth(year, month)) return undefined;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let millis = 0;
  let i = 10;
  if (i < n) {
    const sep = s.charCodeAt(i);
    if (sep === 84 || sep === 116 || sep === 32) {
      // 'T', 't' or ' ' then HH:MM
      hour = digits(s, i + 1, 2);
      minute = digits(s, i + 4, 2);
      if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || s.charCodeAt(i + 3) !== 58) return undefined;
      i += 6;
      if (i < n && s.charCodeAt(i) === 58) {
        second = digits(s, i + 1, 2);
        if (second < 0 || second > 59) return undefined;
        i += 3;
        if (i < n && s.charCodeAt(i) === 46) {
          i += 1;
          const start = i;
          let scale = 100;
          while (i < n) {
            const c = s.charCodeAt(i) - 48;
            if (c < 0 || c > 9) break;
            if (scale >= 1) millis += c * scale;
            scale /= 10;
            i += 1;
          }
          if (i === start || i - start > 9) return undefined;
        }
      }
    } else if (sep !== 90 && sep !== 122) {
      return undefined;
    }
  }
  let offsetMinutes = 0;
  while (i < n && s.charCodeAt(i) === 32) i += 1;
  if (i < n) {
    const z = s.charCodeAt(i);
    if (z === 90 || z === 122) {
      i += 1;
    } else if (z === 43 || z === 45) {
      const offH = digits(s, i + 1, 2);
      if (offH < 0 || offH > 18) return undefined;
      i += 3;
      let offM = 0;
      if (i < n) {
        if (s.charCodeAt(i) === 58) i += 1;
        offM = digits(s, i, 2);
        if (offM < 0 || offM > 59) return undefined;
        i += 2;
      }
      offsetMinutes = (z === 45 ? -1 : 1) * (offH * 60 + offM);
    } else {
      return undefined;
    }
    if (i !== n) return undefined;
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  return ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS ? undefined : ms;
}

/** The value of the two ASCII digits at `at`, or -1. */
function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at) - 48;
  const ones = text.charCodeAt(at + 1) - 48;
  return tens >>> 0 > 9 || ones >>> 0 > 9 ? -1 : tens * 10 + ones;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return (
    era * 146_097 +
    yearOfEra * 365 +
    Math.floor(yearOfEra / 4) -
    Math.floor(yearOfEra / 100) +
    dayOfYear -
    719_468
  );
}

/**
 * Fast path of {@link tryParseTimestampMs} for the common form `YYYY-MM-DDTHH:MM:SS[.fraction]Z`
 * (what `Date#toISOString`, JSON and Debezium write), computed without `Date.UTC` (a call into
 * the runtime) or `daysInMonth` (a `Date` per day above 28). Returns undefined for any other text
 * and for anything it does not accept, which the general scanner then judges; where it returns a
 * number it is the general scanner's (a property test compares them). Exported (internal) for
 * `@bionicpro/cdc`, which reads a Debezium timestamp column once with it.
 *
 * @internal
 */
export function utcTextMs(text: string): number | undefined {
  const n = text.length;
  if (
    n < 20 ||
    n === 21 ||
    n > 30 ||
    text.charCodeAt(n - 1) !== 90 /* Z */ ||
    text.charCodeAt(4) !== 45 /* - */ ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 /* T */ ||
    text.charCodeAt(13) !== 58 /* : */ ||
    text.charCodeAt(16) !== 58 ||
    (n > 20 && text.charCodeAt(19) !== 46) /* . */
  ) {
    return undefined;
  }
  const century = twoDigits(text, 0);
  const yearOfCentury = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  // Years below 1000 are left to the general scanner (Date.UTC reads 0–99 as 1900–1999).
  if (
    century < 10 ||
    yearOfCentury < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  ) {
    return undefined;
  }
  const year = century * 100 + yearOfCentury;
  if (day > 28) {
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    const length =
      month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
    if (day > length) return undefined;
  }
  // Milliseconds: the first three fraction digits (1–9 digits), truncated.
  let millis = 0;
  for (let i = 20, scale = 100; i < n - 1; i += 1, scale = Math.floor(scale / 10)) {
    const digit = text.charCodeAt(i) - 48;
    if (digit >>> 0 > 9) return undefined;
    millis += digit * scale;
  }
  const ms = ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis;
  return ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS ? undefined : ms;
}

/** The decimal value of `count` ASCII digits at `at`, or -1. */
function digits(s: string, at: number, count: number): number {
  if (at + count > s.length) return -1;
  let v = 0;
  for (let k = 0; k < count; k += 1) {
    const c = s.charCodeAt(at + k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * Parses a timestamp into a UTC `Date`; throws a `RangeError` naming the value.
 *
 * @example
 * ```ts
 * import { parseTimestamp } from '@bionicpro/models';
 * parseTimestamp('2024-01-31T23:30:00+03:00').toISOString(); // '2024-01-31T20:30:00.000Z'
 * ```
 */
export function parseTimestamp(value: string | Date): Date {
  const ms = tryParseTimestampMs(value);
  if (ms === undefined) throw new RangeError(`not an ISO-8601 timestamp: ${String(value)}`);
  return new Date(ms);
}

/** True when the text is a real calendar date `YYYY-MM-DD`. */
export function isCalendarDate(value: string): boolean {
  const m = DATE_TEXT.exec(value);
  if (!m) return false;
  const year = +m[1]!;
  const month = +m[2]!;
  const day = +m[3]!;
  return (
    year >= 1900 && year <= 2299 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)
  );
}

/** A UTC calendar month, the unit every monthly mart and ETL run works in. */
export interface Month {
  readonly year: number;
  /** 1–12. */
  readonly month: number;
}

/**
 * Parses `YYYY-MM`.
 *
 * @example
 * ```ts
 * import { parseMonth, monthRange } from '@bionicpro/models';
 * monthRange(parseMonth('2024-02')).end.toISOString(); // '2024-03-01T00:00:00.000Z'
 * ```
 */
export function parseMonth(value: string): Month {
  const m = MONTH_TEXT.exec(value);
  const month = m ? +m[2]! : 0;
  if (!m || month < 1 || month > 12) throw new RangeError(`not a month in the form YYYY-MM: ${value}`);
  return { year: +m[1]!, month };
}

export function formatMonth(month: Month): string {
  return `${String(month.year).padStart(4, '0')}-${String(month.month).padStart(2, '0')}`;
}

/** The half-open UTC interval [start, end) of a month, plus its first and last calendar day. */
export function monthRange(month: Month): {
  start: Date;
  end: Date;
  firstDay: string;
  lastDay: string;
  days: number;
} {
  const start = new Date(Date.UTC(month.year, month.month - 1, 1));
  const end = new Date(Date.UTC(month.year, month.month, 1));
  const days = daysInMonth(month.year, month.month);
  const prefix = formatMonth(month);
  return {
    start,
    end,
    firstDay: `${prefix}-01`,
    lastDay: `${prefix}-${String(days).padStart(2, '0')}`,
    days,
  };
}

/** The month containing an instant (UTC). */
export function monthOf(instant: Date | number): Month {
  const d = typeof instant === 'number' ? new Date(instant) : instant;
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1 };
}

/** Months from `from` to `to` inclusive. */
export function monthsBetween(from: Month, to: Month): Month[] {
  const out: Month[] = [];
  let { year, month } = from;
  while (year < to.year || (year === to.year && month <= to.month)) {
    out.push({ year, month });
    month += 1;
    if (month > 12) {
      month = 1;
      year += 1;
    }
  }
  return out;
}

/** `YYYY-MM-DD` of an instant (UTC). */
export function formatCalendarDate(instant: Date | number): string {
  const d = typeof instant === 'number' ? new Date(instant) : instant;
  return d.toISOString().slice(0, 10);
}
