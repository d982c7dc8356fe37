import {
  DailyReport,
  DECIMAL_18_2_MAX_MINOR,
  type DeviceStatus,
  minorToMoney,
  ReportDates,
  ReportsOverview,
  TelemetryReport,
  tryParseMoneyMinor,
  UserMonthlyReport,
} from '@bionicpro/models';
import { z } from 'zod';
import { ReportAssemblyError } from './errors.js';

/*
 * Rows come from ClickHouse as JSONEachRow. Whatever the client's settings,
 * 64-bit integers may arrive as numbers or digit strings and floats as numbers
 * (or strings); money is selected as text by the queries and parsed exactly.
 * Each row is decoded here and the finished report is validated by the
 * models' DTO schema before it leaves this module.
 */

const count = z
  .union([z.number(), z.string().regex(/^\d+$/)])
  .transform(Number)
  .pipe(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER));
const float = z
  .union([z.number(), z.string().regex(/^-?\d+(\.\d+)?(e[-+]?\d+)?$/i)])
  .transform(Number)
  .pipe(z.number());
const nullableFloat = z.union([float, z.null()]).transform((v) => (v === null || Number.isNaN(v) ? null : v));
const moneyText = z.union([z.string(), z.number()]).transform((value, ctx) => {
  // A number means the client did not get the text the query asked for; refuse rather than round.
  const parsed = tryParseMoneyMinor(value, DECIMAL_18_2_MAX_MINOR);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: `money: ${parsed.reason}`, input: value });
    return z.NEVER;
  }
  return parsed.minor;
});
const optionalText = z.union([z.string(), z.null()]);

const FinancialRow = z.object({
  total_payments: moneyText,
  successful_payments: moneyText,
  failed_payments_count: count,
  active_subscriptions_count: count,
  subscription_cost_total: moneyText,
});

const DeviceRow = z.object({
  prosthetic_id: count,
  device_type: z.string(),
  total_active_hours: float,
  power_on_count: count,
  battery_health: z.string(),
  downtime_minutes: float,
  error_count: count,
  critical_error_count: count,
  status: z.string(),
});

const DateRow = z.object({ date: z.string(), ldap_username: optionalText, total: count });

const OverviewRow = z.object({
  first_date: optionalText,
  last_date: optionalText,
  days_with_data: count,
  total_movements: count,
  avg_response_time_ms: nullableFloat,
  avg_battery_level: nullableFloat,
  total_errors: count,
  uptime_hours: count,
  ldap_username: optionalText,
});

const HourRow = z.object({
  hour: z.string().regex(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}/),
  movements_count: count,
  avg_response_time: nullableFloat,
  avg_battery_level: nullableFloat,
  error_count: count,
  prosthesis_model: optionalText,
  ldap_username: optionalText,
});

const TypeRow = z.object({
  prosthesis_type: z.string(),
  events_count: count,
  total_duration: count,
  avg_amplitude: float,
  avg_frequency: float,
});

const UserRow = z.object({ name: z.string(), email: z.string(), ldap_username: optionalText.optional() });

/**
 * Rounds a measurement for display: two decimals, half away from zero, on the
 * decimal text of the number (so 1.005 rounds to 1.01 although 1.005 * 100 is 100.4999…).
 *
 * @example
 * ```ts
 * roundMeasure(1.005); // 1.01
 * ```
 */
export function roundMeasure(value: number): number {
  if (!Number.isFinite(value)) return value;
  const abs = Math.abs(value);
  // Below 1e-6 or from 1e15 up, String() uses exponents or the cents are gone anyway.
  if (abs < 1e-6) return 0;
  if (abs >= 1e15) return value;
  const shifted = Math.round(Number(`${abs}e2`));
  const result = Number(`${shifted}e-2`);
  return value < 0 && result !== 0 ? -result : result;
}

const STATUS_RANK: Record<DeviceStatus, number> = { healthy: 0, attention: 1, critical: 2 };

/**
 * The worst status of a user's devices (`critical` > `attention` > `healthy`);
 * `healthy` when there are none.
 *
 * @example
 * ```ts
 * worstStatus(['healthy', 'attention']); // 'attention'
 * ```
 */
export function worstStatus(statuses: Iterable<DeviceStatus>): DeviceStatus {
  let worst: DeviceStatus = 'healthy';
  for (const s of statuses) if (STATUS_RANK[s] > STATUS_RANK[worst]) worst = s;
  return worst;
}

/**
 * builds `GET /reports/user/{user_id}?month=` from the rows of
 * {@link userMonthlyFinancialQuery} (zero or one) and {@link userMonthlyDevicesQuery}.
 * A month without rows is a well-formed report of zeros with no devices.
 *
 * @example
 * ```ts
 * assembleUserMonthlyReport({ userId: 1, month: '2024-01', financial: [], devices: [] }).financial.total_payments; // '0.00'
 * ```
 */
export function assembleUserMonthlyReport(input: {
  readonly userId: number;
  readonly month: string;
  readonly financial: readonly unknown[];
  readonly devices: readonly unknown[];
}): UserMonthlyReport {
  const report = 'user monthly report';
  if (input.financial.length > 1) {
    throw new ReportAssemblyError(report, [
      {
        path: 'financial',
        message: `expected at most one mart row for the month, got ${input.financial.length}`,
      },
    ]);
  }
  const finance =
    input.financial[0] === undefined
      ? undefined
      : decode(FinancialRow, input.financial[0], report, 'financial');
  const devices = input.devices
    .map((row, i) => decode(DeviceRow, row, report, `devices.${i}`))
    .sort((a, b) => a.prosthetic_id - b.prosthetic_id);
  return validate(UserMonthlyReport, report, {
    period: input.month,
    user_id: input.userId,
    financial: {
      total_payments: minorToMoney(finance?.total_payments ?? 0n),
      successful_payments: minorToMoney(finance?.successful_payments ?? 0n),
      failed_payments_count: finance?.failed_payments_count ?? 0,
      active_subscriptions: finance?.active_subscriptions_count ?? 0,
      monthly_cost: minorToMoney(finance?.subscription_cost_total ?? 0n),
    },
    devices: devices.map((d) => ({
      prosthetic_id: d.prosthetic_id,
      device_type: d.device_type,
      usage_hours: roundMeasure(d.total_active_hours),
      power_on_count: d.power_on_count,
      battery_health: d.battery_health,
      downtime_minutes: roundMeasure(d.downtime_minutes),
      errors: d.error_count + d.critical_error_count,
    })),
    status: worstStatus(devices.map((d) => d.status as DeviceStatus)),
  });
}

/**
 * `GET /api/reports`: from the rows of {@link reportDatesQuery}.
 *
 * @example
 * ```ts
 * assembleReportDates({ rows: [], user: 'ivan.petrov' }); // { reports: [], total: 0, user: 'ivan.petrov' }
 * ```
 */
export function assembleReportDates(input: {
  readonly rows: readonly unknown[];
  readonly user: string;
}): ReportDates {
  const report = 'report dates';
  const rows = input.rows.map((row, i) => decode(DateRow, row, report, `rows.${i}`));
  return validate(ReportDates, report, {
    reports: rows.map((r) => ({ date: r.date })),
    total: rows[0]?.total ?? 0,
    user: rows.find((r) => r.ldap_username)?.ldap_username ?? input.user,
  });
}

/**
 * `GET /api/reports/summary`: from the single row of {@link reportsOverviewQuery}.
 *
 * @example
 * ```ts
 * assembleReportsOverview({ rows: [], user: 'ivan.petrov' }).days_with_data; // 0
 * ```
 */
export function assembleReportsOverview(input: {
  readonly rows: readonly unknown[];
  readonly user: string;
}): ReportsOverview {
  const report = 'reports overview';
  const row = input.rows[0] === undefined ? undefined : decode(OverviewRow, input.rows[0], report, 'rows.0');
  const empty = row === undefined || row.uptime_hours === 0;
  return validate(ReportsOverview, report, {
    user: row?.ldap_username || input.user,
    first_date: empty ? null : row.first_date,
    last_date: empty ? null : row.last_date,
    days_with_data: empty ? 0 : row.days_with_data,
    summary: {
      total_movements: empty ? 0 : row.total_movements,
      avg_response_time_ms:
        empty || row.avg_response_time_ms === null ? null : roundMeasure(row.avg_response_time_ms),
      avg_battery_level: empty || row.avg_battery_level === null ? null : roundMeasure(row.avg_battery_level),
      total_errors: empty ? 0 : row.total_errors,
      uptime_hours: empty ? 0 : row.uptime_hours,
    },
  });
}

/**
 * `GET /api/reports/{date}`: from the hourly rows of
 * {@link dailyReportQuery}. The summary is computed from those same rows, so
 * its totals always equal the sums of `hourly_data`; the averages are means of
 * the hourly means (the mart keeps no per-hour sample counts).
 *
 * @example
 * ```ts
 * assembleDailyReport({ date: '2024-01-15', rows: [], user: 'ivan.petrov' }).hourly_data; // []
 * ```
 */
export function assembleDailyReport(input: {
  readonly date: string;
  readonly rows: readonly unknown[];
  readonly user: string;
}): DailyReport {
  const report = 'daily report';
  const rows = input.rows.map((row, i) => decode(HourRow, row, report, `rows.${i}`));
  const mean = (values: (number | null)[]) => {
    const present = values.filter((v): v is number => v !== null);
    return present.length === 0 ? null : roundMeasure(present.reduce((a, b) => a + b, 0) / present.length);
  };
  const lastModel = [...rows].reverse().find((r) => r.prosthesis_model)?.prosthesis_model ?? null;
  return validate(DailyReport, report, {
    date: input.date,
    user: rows.find((r) => r.ldap_username)?.ldap_username ?? input.user,
    prosthesis_model: lastModel,
    summary: {
      total_movements: rows.reduce((a, r) => a + r.movements_count, 0),
      avg_response_time_ms: mean(rows.map((r) => r.avg_response_time)),
      avg_battery_level: mean(rows.map((r) => r.avg_battery_level)),
      total_errors: rows.reduce((a, r) => a + r.error_count, 0),
      uptime_hours: rows.length,
    },
    hourly_data: rows.map((r) => ({
      hour: `${r.hour.slice(0, 10)}T${r.hour.slice(11, 19)}Z`,
      movements_count: r.movements_count,
      avg_response_time: r.avg_response_time === null ? null : roundMeasure(r.avg_response_time),
      battery_level: r.avg_battery_level === null ? null : roundMeasure(r.avg_battery_level),
      error_count: r.error_count,
    })),
  });
}

/**
 * `POST /report`: from the user row of {@link reportUserQuery} and
 * the per-type rows of {@link telemetryByProsthesisTypeQuery}. Totals are the
 * sums of the per-type rows (and the DTO schema checks it).
 *
 * @example
 * ```ts
 * assembleTelemetryReport({ user: [{ name: 'Ivan', email: 'i@x.ru' }], rows: [] })?.total_events; // 0
 * ```
 */
export function assembleTelemetryReport(input: {
  readonly user: readonly unknown[];
  readonly rows: readonly unknown[];
}): TelemetryReport | undefined {
  const report = 'telemetry report';
  if (input.user[0] === undefined) return undefined;
  const user = decode(UserRow, input.user[0], report, 'user');
  const rows = input.rows.map((row, i) => decode(TypeRow, row, report, `prosthesis_stats.${i}`));
  return validate(TelemetryReport, report, {
    user_name: user.name,
    user_email: user.email,
    total_events: rows.reduce((a, r) => a + r.events_count, 0),
    total_duration: rows.reduce((a, r) => a + r.total_duration, 0),
    prosthesis_stats: rows.map((r) => ({
      prosthesis_type: r.prosthesis_type,
      events_count: r.events_count,
      total_duration: r.total_duration,
      avg_amplitude: roundMeasure(r.avg_amplitude),
      avg_frequency: roundMeasure(r.avg_frequency),
    })),
  });
}

function decode<S extends z.ZodType>(schema: S, row: unknown, report: string, at: string): z.output<S> {
  const result = schema.safeParse(row);
  if (!result.success) {
    throw new ReportAssemblyError(
      report,
      result.error.issues.map((i) => ({ path: [at, ...i.path.map(String)].join('.'), message: i.message })),
      { cause: result.error },
    );
  }
  return result.data;
}

function validate<S extends z.ZodType>(schema: S, report: string, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ReportAssemblyError(
      report,
      result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
      { cause: result.error },
    );
  }
  return result.data;
}
