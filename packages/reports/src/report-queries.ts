import {
  formatMonth,
  isCalendarDate,
  monthRange,
  type PartialTimeWindow,
  parseMonth,
  tryParseTimestampMs,
  windowFromInclusive,
} from '@bionicpro/models';
import { ReportParameterError } from './errors.js';
import type { ReportScope } from './report-scope.js';
import type { ReportTable, ReportTables } from './report-table.js';
import { type ScopedQuery, scopedQuery } from './scoped-query.js';
import { column, param, type SqlFragment, sql } from './sql-fragment.js';

/**
 * Validates `YYYY-MM` and returns the first day of the month (the marts' `report_date`).
 *
 * @example
 * ```ts
 * parseReportMonth('2024-01'); // { month: '2024-01', firstDay: '2024-01-01', … }
 * ```
 */
export function parseReportMonth(value: unknown, parameter = 'month') {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}$/.test(value)) {
    throw new ReportParameterError(parameter, 'expected a month YYYY-MM', value);
  }
  let month: ReturnType<typeof parseMonth>;
  try {
    month = parseMonth(value);
  } catch {
    throw new ReportParameterError(parameter, 'expected a month YYYY-MM', value);
  }
  if (month.year < 1970 || month.year > 2149) {
    throw new ReportParameterError(parameter, 'month out of range 1970-01..2149-12', value);
  }
  const range = monthRange(month);
  return { month: formatMonth(month), ...range };
}

/**
 * Validates a calendar date `YYYY-MM-DD`.
 *
 * @example
 * ```ts
 * parseReportDate('2024-01-15'); // '2024-01-15'
 * ```
 */
export function parseReportDate(value: unknown, parameter = 'date'): string {
  if (typeof value !== 'string' || !isCalendarDate(value) || value < '1970-01-01' || value > '2149-06-06') {
    throw new ReportParameterError(parameter, 'expected a date YYYY-MM-DD', value);
  }
  return value;
}

/**
 * Validates the optional `start_ts` / `end_ts` of `POST /report` (ISO-8601;
 * no offset means UTC), checks `start_ts <= end_ts`, and converts the API's
 * inclusive window into the half-open window used inside (`windowFromInclusive`
 * of `@bionicpro/models`): the returned `end` is `end_ts` + 1 ms, so an event at
 * exactly `end_ts` is still counted.
 *
 * @example
 * ```ts
 * parseTimeWindow({ start_ts: '2026-01-01T00:00:00', end_ts: '2026-03-01T23:59:59' });
 * // { start: 2026-01-01T00:00:00.000Z, end: 2026-03-01T23:59:59.001Z }
 * ```
 */
export function parseTimeWindow(input: {
  readonly start_ts?: unknown;
  readonly end_ts?: unknown;
}): PartialTimeWindow {
  const one = (value: unknown, name: string): Date | undefined => {
    if (value === undefined || value === null) return undefined;
    const ms = tryParseTimestampMs(value);
    if (ms === undefined) throw new ReportParameterError(name, 'expected an ISO-8601 timestamp', value);
    if (ms < 0 || ms >= Date.UTC(2262, 0, 1))
      throw new ReportParameterError(name, 'timestamp out of range', value);
    return new Date(ms);
  };
  const start = one(input.start_ts, 'start_ts');
  const last = one(input.end_ts, 'end_ts');
  if (start && last && start.getTime() > last.getTime()) {
    throw new ReportParameterError('end_ts', 'must not be before start_ts', input.end_ts);
  }
  return windowFromInclusive(start, last);
}

/**
 * `column = {name:Date}`: a partition-key and primary-key predicate on a
 * mart's date column.
 *
 * @example
 * ```ts
 * scopedQuery(t.userMonthly, scope).where(dateEquals('report_date', '2024-01-01', 'month_start'));
 * ```
 */
export function dateEquals(dateColumn: string, date: string, name = 'date'): SqlFragment {
  return sql`${column(dateColumn)} = ${param('Date', parseReportDate(date, name), name)}`;
}

/**
 * The SQL condition of a half-open window on a DateTime64 column:
 * `column >= {start_ts} AND column < {end_ts}`, each side only when the window
 * has that end; `undefined` for a window with neither.
 *
 * @example
 * ```ts
 * timeWindowCondition('event_timestamp', parseTimeWindow({ start_ts: '2024-01-01T00:00:00Z' }));
 * ```
 */
export function timeWindowCondition(timeColumn: string, window: PartialTimeWindow): SqlFragment | undefined {
  const parts: SqlFragment[] = [];
  if (window.start)
    parts.push(sql`${column(timeColumn)} >= ${param("DateTime64(3, 'UTC')", window.start, 'start_ts')}`);
  if (window.end)
    parts.push(sql`${column(timeColumn)} < ${param("DateTime64(3, 'UTC')", window.end, 'end_ts')}`);
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : sql`${parts[0] as SqlFragment} AND ${parts[1] as SqlFragment}`;
}

const money = (name: string) => sql`toString(${column(name)})`;

/**
 * Monthly user report, finance part: the user's row of report_user_monthly_metrics for a
 * month. Money is selected as text so it stays exact whatever the client's
 * JSON settings.
 *
 * @example
 * ```ts
 * userMonthlyFinancialQuery(reportTables(), scope, '2024-01').compile();
 * ```
 */
export function userMonthlyFinancialQuery(
  tables: ReportTables,
  scope: ReportScope,
  month: string,
): ScopedQuery {
  const { firstDay } = parseReportMonth(month);
  return scopedQuery(tables.userMonthly, scope)
    .select({
      total_payments: money('total_payments'),
      successful_payments: money('successful_payments'),
      failed_payments_count: 'failed_payments_count',
      active_subscriptions_count: 'active_subscriptions_count',
      subscription_cost_total: money('subscription_cost_total'),
    })
    .where(dateEquals('report_date', firstDay, 'month_start'));
}

/**
 * Monthly user report, devices part: the user's prostheses in report_prosthetic_monthly_metrics for a month.
 *
 * @example
 * ```ts
 * userMonthlyDevicesQuery(reportTables(), scope, '2024-01').select({ charge_cycles: 'charge_cycles' });
 * ```
 */
export function userMonthlyDevicesQuery(
  tables: ReportTables,
  scope: ReportScope,
  month: string,
): ScopedQuery {
  return userMonthlyDevicesRows(tables, scope, month).orderBy('prosthetic_id');
}

/** {@link userMonthlyDevicesQuery} without its ORDER BY (internal: the report service sorts the rows itself). */
export function userMonthlyDevicesRows(tables: ReportTables, scope: ReportScope, month: string): ScopedQuery {
  const { firstDay } = parseReportMonth(month);
  return scopedQuery(tables.prostheticMonthly, scope)
    .select({
      prosthetic_id: 'prosthetic_id',
      device_type: 'device_type',
      total_active_hours: 'total_active_hours',
      power_on_count: 'power_on_count',
      battery_health: 'battery_health',
      downtime_minutes: 'downtime_minutes',
      error_count: 'error_count',
      critical_error_count: 'critical_error_count',
      status: 'status',
    })
    .where(dateEquals('report_date', firstDay, 'month_start'));
}

/**
 * `GET /api/reports`: dates with data, newest first, at most `limit`
 * (30), with the count of all such dates and the user's LDAP name.
 *
 * @example
 * ```ts
 * reportDatesQuery(reportTables(), scope).compile();
 * ```
 */
export function reportDatesQuery(tables: ReportTables, scope: ReportScope, limit = 30): ScopedQuery {
  return scopedQuery(tables.hourly, scope)
    .select({
      date: sql`toString(${column('date')})`,
      ldap_username: sql`anyLast(${column('ldap_username')})`,
      total: sql`count() OVER ()`,
    })
    .groupBy('date')
    .orderBy('date', 'DESC')
    .limit(limit);
}

/**
 * `GET /api/reports/summary`: the user's totals over every date with data.
 *
 * @example
 * ```ts
 * reportsOverviewQuery(reportTables(), scope).where(dateFrom('2024-01-01'));
 * ```
 */
export function reportsOverviewQuery(tables: ReportTables, scope: ReportScope): ScopedQuery {
  return scopedQuery(tables.hourly, scope).select({
    first_date: sql`if(count() = 0, NULL, toString(min(${column('date')})))`,
    last_date: sql`if(count() = 0, NULL, toString(max(${column('date')})))`,
    days_with_data: sql`uniqExact(${column('date')})`,
    total_movements: sql`sum(${column('movements_count')})`,
    avg_response_time_ms: sql`avg(${column('avg_response_time')})`,
    avg_battery_level: sql`avg(${column('avg_battery_level')})`,
    total_errors: sql`sum(${column('error_count')})`,
    uptime_hours: sql`count()`,
    ldap_username: sql`anyLast(${column('ldap_username')})`,
  });
}

/**
 * `date >= {from:Date}`: narrows a daily-usage query to recent dates.
 *
 * @example
 * ```ts
 * reportsOverviewQuery(t, scope).where(dateFrom('2024-01-01'));
 * ```
 */
export function dateFrom(date: string, dateColumn = 'date'): SqlFragment {
  return sql`${column(dateColumn)} >= ${param('Date', parseReportDate(date, 'from'), 'from')}`;
}

/**
 * `GET /api/reports/{date}`: the user's hourly rows of one date.
 *
 * @example
 * ```ts
 * dailyReportQuery(reportTables(), scope, '2024-01-15').compile();
 * ```
 */
export function dailyReportQuery(tables: ReportTables, scope: ReportScope, date: string): ScopedQuery {
  return scopedQuery(tables.hourly, scope)
    .select(dailyReportColumns())
    .where(dateEquals('date', date, 'date'))
    .orderBy('hour');
}

/** The output columns of a daily report's hourly rows (internal: shared with the month-wide read of prewarm). */
export function dailyReportColumns() {
  return {
    hour: sql`toString(${column('hour')})`,
    movements_count: 'movements_count',
    avg_response_time: 'avg_response_time',
    avg_battery_level: 'avg_battery_level',
    error_count: 'error_count',
    prosthesis_model: 'prosthesis_model',
    ldap_username: 'ldap_username',
  } as const;
}

/**
 * The hourly rows of every date of a month, each with its `date`: the rows
 * of all the month's daily reports in one read (prewarm). Unordered; the
 * caller sorts each date's rows by hour.
 *
 * @example
 * ```ts
 * monthHourlyRowsQuery(reportTables(), scope, '2024-01').compile();
 * ```
 */
export function monthHourlyRowsQuery(tables: ReportTables, scope: ReportScope, month: string): ScopedQuery {
  const { firstDay, lastDay } = parseReportMonth(month);
  return scopedQuery(tables.hourly, scope)
    .select({ date: sql`toString(${column('date')})`, ...dailyReportColumns() })
    .where(
      sql`${column('date')} >= ${param('Date', firstDay, 'month_start')} AND ${column('date')} <= ${param('Date', lastDay, 'month_last_day')}`,
    );
}

/**
 * `POST /report`: the user's EMG events per prosthesis type in an optional
 * half-open window (as {@link parseTimeWindow} returns it), from the raw
 * telemetry_events (current rows only).
 *
 * @example
 * ```ts
 * telemetryByProsthesisTypeQuery(reportTables(), scope, parseTimeWindow({ start_ts: '2026-01-01T00:00:00Z' }))
 *   .select({ max_amplitude: sql`max(signal_amplitude)` });
 * ```
 */
export function telemetryByProsthesisTypeQuery(
  tables: ReportTables,
  scope: ReportScope,
  window: PartialTimeWindow = { start: undefined, end: undefined },
): ScopedQuery {
  let query = scopedQuery(tables.telemetryEvents, scope)
    .select({
      prosthesis_type: 'prosthesis_type',
      events_count: sql`count()`,
      total_duration: sql`sum(${column('signal_duration')})`,
      avg_amplitude: sql`avg(${column('signal_amplitude')})`,
      avg_frequency: sql`avg(${column('signal_frequency')})`,
    })
    .groupBy('prosthesis_type')
    .orderBy('prosthesis_type');
  const range = timeWindowCondition('event_timestamp', window);
  if (range) query = query.where(range);
  return query;
}

/**
 * The user's current CRM row (name, e-mail, LDAP name) for report headers.
 *
 * @example
 * ```ts
 * reportUserQuery(reportTables(), scope).compile();
 * ```
 */
export function reportUserQuery(tables: ReportTables, scope: ReportScope): ScopedQuery {
  return scopedQuery(tables.users, scope).select({
    name: 'name',
    email: 'email',
    ldap_username: 'ldap_username',
  });
}

/**
 * `max(last_updated)` of the user's rows of a mart for a date or month: a data
 * version for cache keys that changes whenever the ETL reloads that period.
 *
 * @example
 * ```ts
 * dataVersionQuery(t.userMonthly, scope, dateEquals('report_date', '2024-01-01'));
 * ```
 */
export function dataVersionQuery(table: ReportTable, scope: ReportScope, period: SqlFragment): ScopedQuery {
  return scopedQuery(table, scope)
    .select({ data_version: sql`toString(max(${column('last_updated')}))`, rows: sql`count()` })
    .where(period);
}
