/**
 * Debezium temporal types (`time.precision.mode=adaptive`, the default, and
 * `connect`). Output is text that keeps every fractional digit the type
 * carries: `Timestamp` → 3 digits, `MicroTimestamp` → 6, `NanoTimestamp` → 9;
 * `ZonedTimestamp` keeps the digits Debezium wrote. Integer arithmetic only,
 * so no value is rounded through a double.
 */
import { civilFromDays, daysFromCivil } from '@bionicpro/models';

/** The unit of an integer temporal value. */
export type TimeUnit = 'ms' | 'us' | 'ns';

const PER_SECOND: Record<TimeUnit, number> = { ms: 1_000, us: 1_000_000, ns: 1_000_000_000 };
const DIGITS: Record<TimeUnit, number> = { ms: 3, us: 6, ns: 9 };
const SECONDS_PER_DAY = 86_400;

/**
 * PostgreSQL `infinity`/`-infinity` timestamps arrive as int64 sentinels near
 * ±9.22e18 (the JDBC driver's `DATE_POSITIVE_INFINITY`, Long.MAX_VALUE, ...).
 * Any value this far out is no real instant in any unit.
 */
const INFINITY_THRESHOLD = 9_000_000_000_000_000_000n;
/** Dates: Integer.MAX_VALUE / MIN_VALUE stand for ±infinity. */
const DATE_INFINITY = 2_147_483_647;

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * `YYYY-MM-DD` of a day count since 1970-01-01 (Howard Hinnant's civil-from-days,
 * exact for the whole int32 range). Years outside 0000–9999 are written with a
 * sign and at least 4 digits (ISO-8601 expanded form).
 */
export function formatEpochDay(days: number): string {
  const { year, month, day } = civilFromDays(days);
  const yearText = year >= 0 && year <= 9999 ? pad(year, 4) : (year < 0 ? '-' : '+') + pad(Math.abs(year), 6);
  return `${yearText}-${pad(month, 2)}-${pad(day, 2)}`;
}

/**
 * Decodes `io.debezium.time.Date` / Connect `Date` (days since epoch).
 *
 * @example
 * ```ts
 * import { decodeEpochDay } from '@bionicpro/cdc';
 * decodeEpochDay(19737); // '2024-01-15'
 * ```
 */
export function decodeEpochDay(days: number): string {
  if (days >= DATE_INFINITY) return 'infinity';
  if (days <= -DATE_INFINITY) return '-infinity';
  return formatEpochDay(days);
}

function splitEpoch(
  value: number | bigint,
  unit: TimeUnit,
): { days: number; secondOfDay: number; fraction: number } {
  const perSecond = PER_SECOND[unit];
  if (typeof value === 'number' && Number.isSafeInteger(value)) {
    const seconds = Math.floor(value / perSecond);
    const fraction = value - seconds * perSecond;
    const days = Math.floor(seconds / SECONDS_PER_DAY);
    return { days, secondOfDay: seconds - days * SECONDS_PER_DAY, fraction };
  }
  const big = BigInt(value);
  const per = BigInt(perSecond);
  let seconds = big / per;
  let fraction = big % per;
  if (fraction < 0n) {
    fraction += per;
    seconds -= 1n;
  }
  const perDay = BigInt(SECONDS_PER_DAY);
  let days = seconds / perDay;
  let secondOfDay = seconds % perDay;
  if (secondOfDay < 0n) {
    secondOfDay += perDay;
    days -= 1n;
  }
  return { days: Number(days), secondOfDay: Number(secondOfDay), fraction: Number(fraction) };
}

/** PgJDBC's DATE_POSITIVE_INFINITY / DATE_NEGATIVE_INFINITY, the closest sentinels to real nanosecond instants. */
const PG_POSITIVE_INFINITY = 9_223_372_036_825_200_000n;
const PG_NEGATIVE_INFINITY = -9_223_372_036_832_400_000n;

function isInfinitySentinel(value: number | bigint, unit: TimeUnit): 1 | -1 | 0 {
  // In ms and µs nothing real lies beyond ±9e18; in ns year 2262 does, so only the sentinels count.
  const high = unit === 'ns' ? PG_POSITIVE_INFINITY : INFINITY_THRESHOLD;
  const low = unit === 'ns' ? PG_NEGATIVE_INFINITY : -INFINITY_THRESHOLD;
  if (typeof value === 'number') {
    if (value >= Number(high)) return 1;
    if (value <= Number(low)) return -1;
    return 0;
  }
  if (value >= high) return 1;
  if (value <= low) return -1;
  return 0;
}

function formatTimeOfDay(secondOfDay: number, fraction: number, unit: TimeUnit): string {
  const hours = Math.floor(secondOfDay / 3600);
  const minutes = Math.floor((secondOfDay % 3600) / 60);
  const seconds = secondOfDay % 60;
  return `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}.${pad(fraction, DIGITS[unit])}`;
}

/**
 * Decodes an epoch timestamp (`Timestamp` ms, `MicroTimestamp` µs,
 * `NanoTimestamp` ns; Connect `Timestamp` ms) into ISO-8601 UTC text with the
 * unit's digits. Infinity sentinels decode to `'infinity'` / `'-infinity'`.
 *
 * @example
 * ```ts
 * import { decodeEpochTimestamp } from '@bionicpro/cdc';
 * decodeEpochTimestamp(1705312800123456, 'us'); // '2024-01-15T10:00:00.123456Z'
 * ```
 */
export function decodeEpochTimestamp(value: number | bigint, unit: TimeUnit): string {
  const infinity = isInfinitySentinel(value, unit);
  if (infinity !== 0) return infinity > 0 ? 'infinity' : '-infinity';
  const { days, secondOfDay, fraction } = splitEpoch(value, unit);
  return `${formatEpochDay(days)}T${formatTimeOfDay(secondOfDay, fraction, unit)}Z`;
}

/**
 * Decodes a time of day (`Time` ms, `MicroTime` µs, `NanoTime` ns) into
 * `HH:MM:SS.fraction`. PostgreSQL's `24:00:00` stays `24:00:00`.
 *
 * @example
 * ```ts
 * import { decodeTimeOfDay } from '@bionicpro/cdc';
 * decodeTimeOfDay(45296789000, 'us'); // '12:34:56.789000'
 * ```
 */
export function decodeTimeOfDay(value: number | bigint, unit: TimeUnit): string {
  const { days, secondOfDay, fraction } = splitEpoch(value, unit);
  return formatTimeOfDay(secondOfDay + days * SECONDS_PER_DAY, fraction, unit);
}

const UTC_TEXT = /^\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-5]\d(?:\.\d{1,9})?Z$/;
const ZONED_TEXT =
  /^([+-]?\d{4,6})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2}(?::?\d{2})?)$/;
const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_TEXT = /^(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?$/;
const ZONED_TIME_TEXT = /^(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(Z|[+-](\d{2}):?(\d{2})(?::?(\d{2}))?)$/;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Whether year/month/day name a day of the proleptic Gregorian calendar. */
function isCalendarDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days =
    month === 2
      ? isLeapYear(year)
        ? 29
        : 28
      : month === 4 || month === 6 || month === 9 || month === 11
        ? 30
        : 31;
  return day <= days;
}

/** Whether hours/minutes/seconds name a time of day (`24:00:00` allowed, as PostgreSQL does). */
function isClock(hours: number, minutes: number, seconds: number, fractionZero: boolean): boolean {
  if (hours === 24) return minutes === 0 && seconds === 0 && fractionZero;
  return hours <= 23 && minutes <= 59 && seconds <= 59;
}

/**
 * Whether `text` is a `YYYY-MM-DD` calendar date.
 *
 * @internal
 */
export function isDateText(text: string): boolean {
  const m = DATE_TEXT.exec(text);
  return m !== null && isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

/**
 * Whether `text` is a time of day `HH:MM:SS[.fraction]` (up to `24:00:00`).
 *
 * @internal
 */
export function isTimeText(text: string): boolean {
  const m = TIME_TEXT.exec(text);
  return m !== null && isClock(Number(m[1]), Number(m[2]), Number(m[3]), !/\.\d*[1-9]/.test(text));
}

/**
 * Whether `text` is an `io.debezium.time.ZonedTime`: `HH:MM:SS[.fraction]` and a UTC offset
 * (`Z` or `±HH:MM`), as Debezium writes PostgreSQL's `timetz`.
 *
 * @internal
 */
export function isZonedTimeText(text: string): boolean {
  const m = ZONED_TIME_TEXT.exec(text);
  if (m === null || !isClock(Number(m[1]), Number(m[2]), Number(m[3]), !/\.\d*[1-9]/.test(text)))
    return false;
  return m[5] === undefined || (Number(m[5]) <= 15 && Number(m[6]) <= 59 && Number(m[7] ?? 0) <= 59);
}

/** Whether the fields of a `UTC_TEXT` match (month, day of that month, hour) are valid. */
function utcFieldsValid(text: string): boolean {
  const year = Number(text.slice(0, 4));
  const month = (text.charCodeAt(5) - 48) * 10 + text.charCodeAt(6) - 48;
  const day = (text.charCodeAt(8) - 48) * 10 + text.charCodeAt(9) - 48;
  const hour = (text.charCodeAt(11) - 48) * 10 + text.charCodeAt(12) - 48;
  return hour <= 23 && isCalendarDay(year, month, day);
}

/**
 * Normalises an `io.debezium.time.ZonedTimestamp` (ISO-8601 text) to UTC
 * (`Z`), keeping exactly the fraction digits Debezium wrote. `infinity` and
 * `-infinity` pass through. `undefined` when the text is not ISO-8601 or names
 * no real instant (month 13, February 30, hour 25, an offset beyond ±18:00).
 *
 * @example
 * ```ts
 * import { decodeZonedTimestamp } from '@bionicpro/cdc';
 * decodeZonedTimestamp('2024-01-15T13:00:00.5+03:00'); // '2024-01-15T10:00:00.5Z'
 * ```
 */
export function decodeZonedTimestamp(text: string): string | undefined {
  // What Debezium writes: already UTC. A cheap check first (this runs for every timestamp column).
  if (UTC_TEXT.test(text)) return utcFieldsValid(text) ? text : undefined;
  if (text === 'infinity' || text === '-infinity') return text;
  const m = ZONED_TEXT.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6] ?? 0);
  if (!isCalendarDay(year, Number(m[2]), Number(m[3])) || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  const zone = m[8]!;
  if (zone === 'Z') return text;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replaceAll(':', '');
  const zoneHours = Number(digits.slice(0, 2));
  const zoneMinutes = Number(digits.slice(2, 4));
  const zoneSeconds = Number(digits.slice(4, 6) || 0);
  if (zoneHours > 18 || zoneMinutes > 59 || zoneSeconds > 59) return undefined;
  const offsetSeconds = sign * (zoneHours * 3600 + zoneMinutes * 60 + zoneSeconds);
  // Seconds since the epoch from the civil date (no Date.UTC: it maps years 0–99 to 1900–1999).
  const localSeconds =
    daysFromCivil(year, Number(m[2]), Number(m[3])) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
  const utcSeconds = localSeconds - offsetSeconds;
  const days = Math.floor(utcSeconds / SECONDS_PER_DAY);
  const sod = utcSeconds - days * SECONDS_PER_DAY;
  const base = `${formatEpochDay(days)}T${pad(Math.floor(sod / 3600), 2)}:${pad(Math.floor((sod % 3600) / 60), 2)}:${pad(sod % 60, 2)}`;
  return m[7] === undefined ? `${base}Z` : `${base}.${m[7]}Z`;
}

/**
 * Decodes `io.debezium.time.MicroDuration` (µs; Debezium counts a month as
 * 30.4375 days, so the text is exact in µs, not in months) into an ISO-8601
 * duration with days, hours, minutes and seconds, e.g. `P1DT2H3M4.000005S`.
 *
 * @example
 * ```ts
 * import { decodeMicroDuration } from '@bionicpro/cdc';
 * decodeMicroDuration(90061000001); // 'P1DT1H1M1.000001S'
 * ```
 */
export function decodeMicroDuration(value: number | bigint): string {
  let micros = BigInt(value);
  const negative = micros < 0n;
  if (negative) micros = -micros;
  const fraction = micros % 1_000_000n;
  let seconds = micros / 1_000_000n;
  const days = seconds / 86_400n;
  seconds %= 86_400n;
  const hours = seconds / 3600n;
  const minutes = (seconds % 3600n) / 60n;
  const secs = seconds % 60n;
  let out = 'P';
  if (days > 0n) out += `${days}D`;
  let time = '';
  if (hours > 0n) time += `${hours}H`;
  if (minutes > 0n) time += `${minutes}M`;
  if (secs > 0n || fraction > 0n || (days === 0n && time === '')) {
    time += fraction > 0n ? `${secs}.${fraction.toString().padStart(6, '0')}S` : `${secs}S`;
  }
  if (time !== '') out += `T${time}`;
  return negative ? `-${out}` : out;
}
