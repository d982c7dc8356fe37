import { z } from 'zod';
import { BatteryHealth, DeviceStatus, DeviceType, ProsthesisType } from './enums.js';
import { Count, Float64, Id, MoneyTotal, Timestamp } from './scalars.js';

const MonthText = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected a month YYYY-MM');
const DateText = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD');

/** Query of `GET /reports/user/{user_id}?month=YYYY-MM`. */
export const UserMonthlyReportQuery = z.strictObject({
  user_id: z.coerce.number().int().min(1),
  month: MonthText,
});
export type UserMonthlyReportQuery = z.infer<typeof UserMonthlyReportQuery>;

/** One device of the monthly user report. */
export const UserMonthlyReportDevice = z.object({
  prosthetic_id: Id,
  device_type: DeviceType,
  usage_hours: Float64.min(0),
  power_on_count: Count,
  battery_health: BatteryHealth,
  downtime_minutes: Float64.min(0),
  /** error_count + critical_error_count. */
  errors: Count,
});
export type UserMonthlyReportDevice = z.infer<typeof UserMonthlyReportDevice>;

/** Response of `GET /reports/user/{user_id}?month=YYYY-MM` (docs/reports.md). Money as strings. */
export const UserMonthlyReport = z.object({
  period: MonthText,
  user_id: Id,
  financial: z.object({
    total_payments: MoneyTotal,
    successful_payments: MoneyTotal,
    failed_payments_count: Count,
    active_subscriptions: Count,
    monthly_cost: MoneyTotal,
  }),
  devices: z.array(UserMonthlyReportDevice),
  /** The worst device status; `healthy` when there are no devices. */
  status: DeviceStatus,
});
export type UserMonthlyReport = z.infer<typeof UserMonthlyReport>;

/** Response of `GET /api/reports`: dates with data for the caller, newest first, at most 30. */
export const ReportDates = z.object({
  reports: z.array(z.object({ date: DateText })).max(30),
  total: Count,
  user: z.string(),
});
export type ReportDates = z.infer<typeof ReportDates>;

/** Summary block of a daily report. */
export const ReportSummary = z.object({
  total_movements: Count,
  avg_response_time_ms: Float64.nullable(),
  avg_battery_level: Float64.nullable(),
  total_errors: Count,
  /** Hours of the day with any telemetry. */
  uptime_hours: Count,
});
export type ReportSummary = z.infer<typeof ReportSummary>;

/** Response of `GET /api/reports/summary`: the caller's totals over the dates that have data. */
export const ReportsOverview = z.object({
  user: z.string(),
  first_date: DateText.nullable(),
  last_date: DateText.nullable(),
  days_with_data: Count,
  summary: ReportSummary,
});
export type ReportsOverview = z.infer<typeof ReportsOverview>;

/** One hour of a daily report. */
export const HourlyReportRow = z.object({
  hour: z.string(),
  movements_count: Count,
  avg_response_time: Float64.nullable(),
  battery_level: Float64.nullable(),
  error_count: Count,
});
export type HourlyReportRow = z.infer<typeof HourlyReportRow>;

/** Response of `GET /api/reports/{date}` (docs/reports.md). */
export const DailyReport = z.object({
  date: DateText,
  user: z.string(),
  prosthesis_model: z.string().nullable(),
  summary: ReportSummary,
  hourly_data: z.array(HourlyReportRow),
});
export type DailyReport = z.infer<typeof DailyReport>;

/** Body of `POST /report`. */
export const TelemetryReportRequest = z.strictObject({
  user_id: z.number().int().min(1),
  start_ts: Timestamp.optional(),
  end_ts: Timestamp.optional(),
});
export type TelemetryReportRequest = z.infer<typeof TelemetryReportRequest>;

/** Per-prosthesis-type block of the EMG report. */
export const ProsthesisTypeStats = z.object({
  prosthesis_type: ProsthesisType,
  events_count: Count,
  /** Σ signal_duration, ms. */
  total_duration: Count,
  avg_amplitude: Float64,
  avg_frequency: Float64,
});
export type ProsthesisTypeStats = z.infer<typeof ProsthesisTypeStats>;

/** Response of `POST /report` (docs/reports.md). Totals equal the sums of the per-type rows. */
export const TelemetryReport = z
  .object({
    user_name: z.string(),
    user_email: z.string(),
    total_events: Count,
    total_duration: Count,
    prosthesis_stats: z.array(ProsthesisTypeStats),
  })
  .superRefine((report, ctx) => {
    const events = report.prosthesis_stats.reduce((sum, row) => sum + row.events_count, 0);
    const duration = report.prosthesis_stats.reduce((sum, row) => sum + row.total_duration, 0);
    if (events !== report.total_events)
      ctx.addIssue({
        code: 'custom',
        path: ['total_events'],
        message: `must equal the sum of events_count (${events})`,
      });
    if (duration !== report.total_duration)
      ctx.addIssue({
        code: 'custom',
        path: ['total_duration'],
        message: `must equal the sum of total_duration (${duration})`,
      });
  });
export type TelemetryReport = z.infer<typeof TelemetryReport>;
