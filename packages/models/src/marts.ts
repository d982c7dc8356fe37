import { z } from 'zod';
import { optionalColumn } from './crm.js';
import { BatteryHealth, DeviceStatus, DeviceType } from './enums.js';
import { withColumnType } from './column-types.js';
import { CalendarDate, Count, Float64, HourStart, Id, MoneyTotal, Text, Timestamp, Uuid } from './scalars.js';

const Ratio = withColumnType(Float64.min(0), { pg: 'double precision', ch: 'Float64' });
const Percent = withColumnType(Float64.min(0).max(100), { pg: 'double precision', ch: 'Float64' });

/**
 * report_user_monthly_metrics (docs/kpis.md): finance KPIs of one user in
 * one UTC month. `report_date` is the first day of the month.
 */
export const UserMonthlyMetrics = z.object({
  user_id: Id,
  report_date: CalendarDate,
  user_uuid: Uuid,
  /** Σ amount of payments with status success or failed. */
  total_payments: MoneyTotal,
  /** Σ amount of payments with status success. */
  successful_payments: MoneyTotal,
  failed_payments_count: Count,
  pending_payments_count: Count,
  /** Subscriptions active on the month's last day. */
  active_subscriptions_count: Count,
  /** Σ monthly_cost of those subscriptions. */
  subscription_cost_total: MoneyTotal,
  /** successful_payments / total_payments; null when total is 0. */
  payment_success_rate: optionalColumn(Ratio),
  /** subscription_cost_total × 12. */
  arr: MoneyTotal,
  last_updated: Timestamp,
});
export type UserMonthlyMetrics = z.infer<typeof UserMonthlyMetrics>;

/** report_prosthetic_monthly_metrics (docs/kpis.md): engineering KPIs of one prosthesis in one month. */
export const ProstheticMonthlyMetrics = z.object({
  user_id: Id,
  prosthetic_id: Id,
  report_date: CalendarDate,
  user_uuid: Uuid,
  prosthetic_uuid: Uuid,
  device_type: DeviceType,
  power_on_count: Count,
  power_off_count: Count,
  total_active_hours: Ratio,
  /** Mean |current_ma| of discharging samples inside active sessions (mA). */
  avg_discharge_rate_active: optionalColumn(Float64),
  /** Mean |current_ma| of discharging samples outside sessions (mA). */
  avg_discharge_rate_idle: optionalColumn(Float64),
  /** Mean current_ma of samples taken while charging (mA). */
  avg_charge_rate: optionalColumn(Float64),
  charge_cycles: Count,
  warning_count: Count,
  error_count: Count,
  critical_error_count: Count,
  downtime_minutes: Ratio,
  /** total_active_hours / days in month. */
  daily_usage_hours: Ratio,
  /** 100 − (errors + criticals) / power_on_count × 100, clamped to [0, 100]; null without power-ons. */
  reliability_pct: optionalColumn(Percent),
  battery_health: BatteryHealth,
  status: DeviceStatus,
  last_updated: Timestamp,
});
export type ProstheticMonthlyMetrics = z.infer<typeof ProstheticMonthlyMetrics>;

/**
 * user_prosthesis_stats (docs/kpis.md): one row per user and UTC hour.
 * The prosthesis fields describe the user's active prosthesis with the lowest id.
 */
export const UserProsthesisHourlyStats = z.object({
  user_id: Id,
  date: CalendarDate,
  hour: HourStart,
  user_uuid: Uuid,
  prosthetic_id: optionalColumn(Id),
  chip_id: optionalColumn(Text),
  ldap_username: optionalColumn(Text),
  customer_name: Text,
  customer_email: Text,
  prosthesis_model: optionalColumn(Text),
  /** EMG telemetry events in the hour. */
  movements_count: Count,
  /** Mean response_time_ms of device events that carry one; null when none. */
  avg_response_time: optionalColumn(Float64),
  /** Mean charge_level of battery samples; null when none. */
  avg_battery_level: optionalColumn(Float64),
  /** Device events of severity error or critical. */
  error_count: Count,
  /** error_count / movements_count; null when no movements. */
  error_rate: optionalColumn(Ratio),
  last_updated: Timestamp,
});
export type UserProsthesisHourlyStats = z.infer<typeof UserProsthesisHourlyStats>;
