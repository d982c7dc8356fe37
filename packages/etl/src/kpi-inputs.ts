import type {
  BatteryMetric,
  DeviceEvent,
  Payment,
  Prosthetic,
  Subscription,
  TelemetryEvent,
  User,
} from '@bionicpro/models';

/**
 * The columns each KPI reads. The transforms accept full model rows, or leaner
 * objects with just these fields (rows read from a file, a cursor that selects
 * fewer columns). `event_type`/`severity` are plain strings so that event types
 * a newer firmware sends pass through (they count as nothing in particular).
 */
export type UserRow = Pick<User, 'id' | 'user_uuid' | 'name' | 'email' | 'ldap_username' | 'registered_at'>;
export type ProstheticRow = Pick<
  Prosthetic,
  'id' | 'user_id' | 'prosthetic_uuid' | 'device_type' | 'chip_id' | 'model' | 'is_active' | 'created_at'
>;
export type SubscriptionRow = Pick<
  Subscription,
  'id' | 'user_id' | 'start_date' | 'end_date' | 'monthly_cost'
>;
export type PaymentRow = Pick<Payment, 'id' | 'user_id' | 'payment_date' | 'amount' | 'status'>;
export type DeviceEventRow = Pick<
  DeviceEvent,
  'id' | 'prosthetic_id' | 'event_timestamp' | 'response_time_ms'
> & {
  readonly event_type: DeviceEvent['event_type'] | (string & {});
  readonly severity: DeviceEvent['severity'] | (string & {});
};
export type BatteryMetricRow = Pick<
  BatteryMetric,
  'id' | 'prosthetic_id' | 'metric_timestamp' | 'charge_level' | 'current_ma' | 'is_charging'
>;
export type TelemetryEventRow = Pick<
  TelemetryEvent,
  | 'id'
  | 'user_id'
  | 'prosthesis_type'
  | 'signal_frequency'
  | 'signal_duration'
  | 'signal_amplitude'
  | 'event_timestamp'
>;
