/**
 * UTC periods and time windows, with one meaning everywhere (docs/data-contract.md:
 * all timestamps are UTC; a month is a UTC calendar month): a window is the
 * half-open interval `[start, end)`. An API that takes an inclusive last instant
 * (the reports' `end_ts`) converts it at its edge with {@link windowFromInclusive}.
 */
import { BionicProError } from './errors.js';
import {
  formatMonth,
  isCalendarDate,
  MAX_TIMESTAMP_MS,
  MIN_TIMESTAMP_MS,
  type Month,
  monthRange,
  parseMonth,
} from './timestamp.js';

/**
 * A period argument (month, day, time window) was not valid.
 *
 * @example
 * ```ts
 * import { InvalidPeriodError, monthPeriod } from '@bionicpro/models';
 * try {
 *   monthPeriod('2024-13');
 * } catch (error) {
 *   if (error instanceof InvalidPeriodError) console.log(error.code); // 'invalid_period'
 * }
 * ```
 */
export class InvalidPeriodError extends BionicProError {
  readonly code = 'invalid_period' as const;
  constructor(
    readonly value: string,
    readonly reason: string,
  ) {
    super(`invalid period ${JSON.stringify(value)}: ${reason}`, { path: ['period'] });
    this.name = 'InvalidPeriodError';
  }
}

/**
 * One UTC calendar month as every monthly KPI works on it: the half-open
 * interval `[startMs, endMs)`, its first and last calendar day, its length in
 * days and its ClickHouse partition id.
 */
export interface MonthPeriod {
  readonly month: Month;
  /** `YYYY-MM`. */
  readonly label: string;
  readonly startMs: number;
  readonly endMs: number;
  /** `YYYY-MM-01`, the marts' `report_date`. */
  readonly firstDay: string;
  /** Last calendar day, used for "active at the month's last day". */
  readonly lastDay: string;
  readonly days: number;
  /** `toYYYYMM(...)` of the month, e.g. 202401. */
  readonly partition: number;
}

/**
 * Resolves `YYYY-MM` (or a {@link Month}) into a {@link MonthPeriod}. Months
 * whose instants ClickHouse's `DateTime64(3)` cannot hold (before 1900-01, after
 * 2299-12) are rejected.
 *
 * @throws {@link InvalidPeriodError} for text that is not a month, or a month out of range.
 * @example
 * ```ts
 * import { monthPeriod } from '@bionicpro/models';
 * monthPeriod('2024-02').days; // 29
 * ```
 */
export function monthPeriod(month: string | Month): MonthPeriod {
  let parsed: Month;
  if (typeof month !== 'string' && (typeof month !== 'object' || month === null)) {
    throw new InvalidPeriodError(String(month), 'expected a month YYYY-MM');
  }
  if (typeof month === 'string') {
    try {
      parsed = parseMonth(month);
    } catch {
      throw new InvalidPeriodError(month, 'expected a month YYYY-MM');
    }
  } else {
    parsed = month;
  }
  const range = monthRange(parsed);
  if (range.start.getTime() < MIN_TIMESTAMP_MS || range.end.getTime() - 1 > MAX_TIMESTAMP_MS) {
    // The instants of such a month cannot be stored (ClickHouse DateTime64(3): 1900-01-01 … 2299-12-31).
    throw new InvalidPeriodError(formatMonth(parsed), 'month outside 1900-01 … 2299-12');
  }
  return {
    month: parsed,
    label: formatMonth(parsed),
    startMs: range.start.getTime(),
    endMs: range.end.getTime(),
    firstDay: range.firstDay,
    lastDay: range.lastDay,
    days: range.days,
    partition: parsed.year * 100 + parsed.month,
  };
}

/**
 * The {@link MonthPeriod} of a month given as `YYYY-MM`, a `Month`, or an
 * already resolved period (returned as is).
 *
 * @example
 * ```ts
 * import { monthPeriod, resolvePeriod } from '@bionicpro/models';
 * resolvePeriod('2024-01').label; // '2024-01'
 * const january = monthPeriod('2024-01');
 * resolvePeriod(january) === january; // true
 * ```
 */
export function resolvePeriod(month: string | Month | MonthPeriod): MonthPeriod {
  return typeof month === 'object' && 'startMs' in month ? month : monthPeriod(month);
}

/** A half-open UTC time window `[start, end)`: `start` is in it, `end` is not. */
export interface TimeWindow {
  readonly start: Date;
  readonly end: Date;
}

/**
 * Checks a window: both ends valid instants, start before end.
 *
 * @throws {@link InvalidPeriodError} when an end is an invalid date or `start >= end`.
 * @example
 * ```ts
 * import { timeWindow } from '@bionicpro/models';
 * timeWindow(new Date('2024-01-01T00:00:00Z'), new Date('2024-01-01T06:00:00Z'));
 * ```
 */
export function timeWindow(start: Date, end: Date): TimeWindow {
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) {
    throw new InvalidPeriodError(`${String(start)}..${String(end)}`, 'window ends must be valid instants');
  }
  if (start.getTime() >= end.getTime()) {
    throw new InvalidPeriodError(
      `${start.toISOString()}..${end.toISOString()}`,
      'window start must be before its end',
    );
  }
  return { start, end };
}

/**
 * The month's half-open window `[first instant of the month, first instant of the next)`.
 *
 * @example
 * ```ts
 * import { monthPeriod, monthWindow } from '@bionicpro/models';
 * monthWindow(monthPeriod('2024-12')).end.toISOString(); // '2025-01-01T00:00:00.000Z'
 * ```
 */
export function monthWindow(period: MonthPeriod): TimeWindow {
  return { start: new Date(period.startMs), end: new Date(period.endMs) };
}

/**
 * The half-open window of one UTC calendar day `YYYY-MM-DD` (1900-01-01 … 2299-12-31).
 *
 * @throws {@link InvalidPeriodError} for text that is not a calendar date in range.
 * @example
 * ```ts
 * import { dayWindow } from '@bionicpro/models';
 * dayWindow('2024-02-29').end.toISOString(); // '2024-03-01T00:00:00.000Z'
 * ```
 */
export function dayWindow(date: string): TimeWindow {
  if (typeof date !== 'string' || !isCalendarDate(date)) {
    throw new InvalidPeriodError(String(date), 'expected a date YYYY-MM-DD');
  }
  const start = new Date(`${date}T00:00:00.000Z`);
  return { start, end: new Date(start.getTime() + 86_400_000) };
}

/**
 * A half-open window `[start, end)` whose ends may be absent: no `start` reaches
 * back to the first instant, no `end` forward to the last.
 */
export interface PartialTimeWindow {
  readonly start: Date | undefined;
  readonly end: Date | undefined;
}

/**
 * Converts an inclusive window `[start, last]` (as an API states it: "events up
 * to and including `last`") into the half-open {@link PartialTimeWindow} used
 * inside. Instants are held to the millisecond (ClickHouse `DateTime64(3)`), so
 * the inclusive last instant `t` becomes the exclusive end `t + 1 ms`; an absent
 * end stays absent.
 *
 * @throws {@link InvalidPeriodError} when an end is an invalid date or `start` follows `last`.
 * @example
 * ```ts
 * import { windowFromInclusive } from '@bionicpro/models';
 * windowFromInclusive(new Date('2024-01-01T00:00:00Z'), new Date('2024-01-31T23:59:59.999Z')).end?.toISOString();
 * // '2024-02-01T00:00:00.000Z'
 * ```
 */
export function windowFromInclusive(start: Date | undefined, last: Date | undefined): PartialTimeWindow {
  for (const end of [start, last]) {
    if (end !== undefined && Number.isNaN(end.getTime())) {
      throw new InvalidPeriodError(`${String(start)}..${String(last)}`, 'window ends must be valid instants');
    }
  }
  if (start !== undefined && last !== undefined && start.getTime() > last.getTime()) {
    throw new InvalidPeriodError(
      `${start.toISOString()}..${last.toISOString()}`,
      'window start must not follow its last instant',
    );
  }
  return { start, end: last === undefined ? undefined : new Date(last.getTime() + 1) };
}
