import { InvalidMonthError, InvalidTimestampError } from './errors.js';

/**
 * Time values (docs/data-contract.md: all timestamps are UTC; a month is a UTC calendar month).
 *
 * Accepted timestamp text is ISO-8601: `YYYY-MM-DDTHH:MM[:SS[.fraction]]` with
 * `Z` or a `±HH:MM` offset, a space instead of `T` (PostgreSQL's and
 * ClickHouse's text form), or no offset at all, which docs/data-contract.md defines as UTC.
 * Anything else (`01/02/2024`, `Jan 2 2024`, `2024-02-30`) is rejected rather
 * than guessed at.
 */

const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH_TEXT = /^(\d{4})-(\d{2})$/;

/**
 * Earliest and latest instants accepted, the range of ClickHouse's `DateTime64(3, 'UTC')`
 * (1900-01-01T00:00:00.000Z … 2299-12-31T23:59:59.999Z), which PostgreSQL's `timestamptz`
 * also holds. An instant outside it is refused (`timestamp_out_of_range`), never clamped
 * or shifted.
 */
export const MIN_TIMESTAMP_MS = -2_208_988_800_000;
export const MAX_TIMESTAMP_MS = 10_413_791_999_999;

/** Days of a month (1–12) of a proleptic Gregorian year, any year (no `Date`: years 0–99 are not 19xx). */
export function daysInMonth(year: number, month1: number): number {
  if (month1 === 2) return isLeapYear(year) ? 29 : 28;
  return month1 === 4 || month1 === 6 || month1 === 9 || month1 === 11 ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** Why a value is not an instant {@link parseInstant} accepts. */
export type InstantParseFailure =
  /** Not ISO-8601 text, a valid `Date` or an integer epoch count. */
  | 'not_timestamp'
  /** A real instant, outside {@link MIN_TIMESTAMP_MS} … {@link MAX_TIMESTAMP_MS}. */
  | 'out_of_range';

/** Result of {@link parseInstant}: epoch milliseconds, or why the value was refused. */
export type InstantParseResult = { ok: true; ms: number } | { ok: false; reason: InstantParseFailure };

/** Unit of a numeric instant: epoch milliseconds, microseconds or nanoseconds. */
export type EpochUnit = 'ms' | 'us' | 'ns';

const OUT_OF_RANGE: InstantParseResult = Object.freeze({ ok: false, reason: 'out_of_range' });
const NOT_TIMESTAMP: InstantParseResult = Object.freeze({ ok: false, reason: 'not_timestamp' });

/**
 * The one instant reader of every path (API, CSV, ETL extract, CDC decode): epoch
 * milliseconds of
 * - ISO-8601 text (`Z`, a `±HH[:MM]` offset or none, which means UTC; `T` or a space;
 *   1–9 fraction digits, truncated to milliseconds; expanded years such as `+10000-01-01`
 *   as Java writes them, which are then out of range),
 * - a `Date`,
 * - an integer epoch count as a number or bigint, in `unit` (default `ms`; Debezium's
 *   `MicroTimestamp` is `us`, `NanoTimestamp` `ns`), floored to milliseconds.
 *
 * The year is taken as written: `0026-11-20` is the year 26, not 1926. Anything outside
 * {@link MIN_TIMESTAMP_MS} … {@link MAX_TIMESTAMP_MS} is `out_of_range`.
 *
 * @example
 * ```ts
 * import { parseInstant } from '@bionicpro/models';
 * parseInstant('2024-01-31T23:30:00+03:00'); // { ok: true, ms: 1706733000000 }
 * parseInstant('0026-11-20T08:00:00Z'); // { ok: false, reason: 'out_of_range' }
 * parseInstant(1706733000000123n, { unit: 'us' }); // { ok: true, ms: 1706733000000 }
 * ```
 */
export function parseInstant(value: unknown, options: { unit?: EpochUnit } = {}): InstantParseResult {
  let ms: number | undefined;
  if (typeof value === 'string') {
    ms = utcTextMs(value);
    if (ms !== undefined) return { ok: true, ms };
    ms = scanTimestampText(value);
  } else if (value instanceof Date) {
    ms = value.getTime();
    if (Number.isNaN(ms)) return NOT_TIMESTAMP;
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    ms = epochMs(value, options.unit ?? 'ms');
  }
  if (ms === undefined) return NOT_TIMESTAMP;
  return ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS ? OUT_OF_RANGE : { ok: true, ms };
}

/** Epoch ms of an integer count in `unit`, floored; undefined for a non-integer or non-finite number. */
function epochMs(value: number | bigint, unit: EpochUnit): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return undefined;
    if (unit === 'ms') return value;
    // Beyond 2^53 a number is already rounded; the range check refuses such magnitudes anyway.
    if (!Number.isSafeInteger(value)) return Math.floor(value / (unit === 'us' ? 1e3 : 1e6));
    value = BigInt(value);
  }
  const divisor = unit === 'ms' ? 1n : unit === 'us' ? 1000n : 1_000_000n;
  let q = value / divisor;
  if (value % divisor !== 0n && value < 0n) q -= 1n; // floor, not truncation toward zero
  return Number(q);
}

/** A sentence for an {@link InstantParseFailure}. */
export function describeInstantFailure(reason: InstantParseFailure): string {
  return reason === 'out_of_range'
    ? 'timestamp out of range: expected 1900-01-01T00:00:00.000Z to 2299-12-31T23:59:59.999Z (ClickHouse DateTime64(3))'
    : 'expected an ISO-8601 timestamp such as "2024-01-31T12:00:00Z"';
}

/**
 * Epoch milliseconds of an ISO-8601 timestamp string or a `Date` within
 * {@link MIN_TIMESTAMP_MS} … {@link MAX_TIMESTAMP_MS}, or `undefined` when the value is
 * not an unambiguous, valid instant in that range ({@link parseInstant} tells which).
 *
 * Hand-written scanner rather than a regular expression: this runs twice per
 * telemetry row on every hot path (extract, CDC decode, validation).
 */
export function tryParseTimestampMs(value: unknown): number | undefined {
  let ms: number | undefined;
  if (typeof value === 'string') {
    ms = utcTextMs(value);
    if (ms !== undefined) return ms;
    ms = scanTimestampText(value);
  } else if (value instanceof Date) {
    ms = value.getTime();
  } else {
    return undefined;
  }
  return ms === undefined || Number.isNaN(ms) || ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS
    ? undefined
    : ms;
}

/**
 * Epoch ms of ISO-8601 text, any year (no range check), or undefined. The year is
 * 4 digits, or an expanded year (a sign and 4+ digits) as Java and Debezium write
 * years beyond 9999.
 */
function scanTimestampText(s: string): number | undefined {
  const n = s.length;
  if (n < 10) return undefined;
  let yearSign = 1;
  let at = 0;
  const lead = s.charCodeAt(0);
  if (lead === 43 || lead === 45) {
    yearSign = lead === 45 ? -1 : 1;
    at = 1;
  }
  let yearDigits = 0;
  let year = 0;
  while (at + yearDigits < n && yearDigits < 10) {
    const c = s.charCodeAt(at + yearDigits) - 48;
    if (c < 0 || c > 9) break;
    year = year * 10 + c;
    yearDigits += 1;
  }
  // Four digits, or an expanded year: a sign and four or more digits (ISO 8601; Java writes `+10000`).
  if (yearDigits < 4 || (at === 0 && yearDigits > 4)) return undefined;
  year *= yearSign;
  // Re-base so the rest of the scanner reads `YYYY-MM-DD…` positions from `base`.
  const base = at + yearDigits - 4;
  const month = digits(s, base + 5, 2);
  const day = digits(s, base + 8, 2);
  if (month < 1 || month > 12 || day < 1 || s.charCodeAt(base + 4) !== 45 || s.charCodeAt(base + 7) !== 45) {
    return undefined;
  }
  if (day > 28 && day > daysInMonth(year, month)) return undefined;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let millis = 0;
  let i = base + 10;
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
  return (
    ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute) * 60_000 +
    second * 1000 +
    millis -
    offsetMinutes * 60_000
  );
}

/** The value of the two ASCII digits at `at`, or -1. */
function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at) - 48;
  const ones = text.charCodeAt(at + 1) - 48;
  return tens >>> 0 > 9 || ones >>> 0 > 9 ? -1 : tens * 10 + ones;
}

/** A proleptic Gregorian calendar date; `month` 1–12. */
export interface CivilDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/**
 * The calendar date of a day count since 1970-01-01 (Howard Hinnant's
 * civil_from_days), exact for the whole int32 range: the one date arithmetic
 * every path that writes dates and instants uses (no `Date` round trip).
 *
 * @example
 * ```ts
 * import { civilFromDays } from '@bionicpro/models';
 * civilFromDays(0); // { year: 1970, month: 1, day: 1 }
 * civilFromDays(-693_594); // { year: 1, month: 1, day: 1 }
 * ```
 */
export function civilFromDays(days: number): CivilDate {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/**
 * Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), the inverse of {@link civilFromDays}.
 *
 * @example
 * ```ts
 * import { daysFromCivil } from '@bionicpro/models';
 * daysFromCivil(2024, 1, 1); // 19723
 * ```
 */
export function daysFromCivil(year: number, month: number, day: number): number {
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
 * Parses a timestamp into a UTC `Date`; throws {@link InvalidTimestampError} naming the
 * value (code `invalid_timestamp`, or `timestamp_out_of_range`).
 *
 * @example
 * ```ts
 * import { parseTimestamp } from '@bionicpro/models';
 * parseTimestamp('2024-01-31T23:30:00+03:00').toISOString(); // '2024-01-31T20:30:00.000Z'
 * ```
 */
export function parseTimestamp(value: string | Date): Date {
  const result = parseInstant(value);
  if (!result.ok) {
    throw new InvalidTimestampError(
      result.reason === 'out_of_range' ? 'timestamp_out_of_range' : 'invalid_timestamp',
      `${describeInstantFailure(result.reason)}, got ${JSON.stringify(String(value).slice(0, 40))}`,
      value,
    );
  }
  return new Date(result.ms);
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
  const m = typeof value === 'string' ? MONTH_TEXT.exec(value) : null;
  const month = m ? +m[2]! : 0;
  if (!m || month < 1 || month > 12) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value);
    throw new InvalidMonthError(`not a month in the form YYYY-MM: ${shown}`, value);
  }
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
  const start = new Date(daysFromCivil(month.year, month.month, 1) * 86_400_000);
  const end = new Date(
    (month.month === 12
      ? daysFromCivil(month.year + 1, 1, 1)
      : daysFromCivil(month.year, month.month + 1, 1)) * 86_400_000,
  );
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
