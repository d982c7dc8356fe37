import {
  formatMonth,
  MAX_TIMESTAMP_MS,
  MIN_TIMESTAMP_MS,
  type Month,
  monthRange,
  parseMonth,
} from '@bionicpro/models';
import { InvalidPeriodError } from './errors.js';

/**
 * One UTC calendar month as every monthly KPI works on it (docs/data-contract.md: a month is
 * a UTC calendar month): the half-open interval `[startMs, endMs)`, its first
 * and last calendar day, its length in days and its ClickHouse partition id.
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
 * Resolves `YYYY-MM` (or a {@link Month}) into a {@link MonthPeriod}.
 *
 * @example
 * ```ts
 * import { monthPeriod } from '@bionicpro/etl';
 * monthPeriod('2024-02').days; // 29
 * ```
 */
export function monthPeriod(month: string | Month): MonthPeriod {
  let parsed: Month;
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

/** A half-open UTC time window `[start, end)` for incremental raw imports. */
export interface TimeWindow {
  readonly start: Date;
  readonly end: Date;
}

/** Checks a window: both ends valid instants, start before end. */
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

/** The month's half-open window. */
export function monthWindow(period: MonthPeriod): TimeWindow {
  return { start: new Date(period.startMs), end: new Date(period.endMs) };
}

/**
 * The {@link MonthPeriod} of a month given as `YYYY-MM`, a `Month`, or an
 * already resolved period (returned as is).
 */
export function resolvePeriod(month: string | Month | MonthPeriod): MonthPeriod {
  return typeof month === 'object' && 'startMs' in month ? month : monthPeriod(month);
}
