import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { optionalColumn } from './crm.js';
import { DeviceEventType, ProsthesisType, Severity } from './enums.js';
import { BigId, Bool, Float64, Id, Int32, RequiredText, Text, Timestamp, Uuid } from './scalars.js';
import { withColumnType } from './column-types.js';

const NonNegativeInt = withColumnType(Int32.min(0, 'must not be negative'), { pg: 'integer', ch: 'UInt32' });

/** Battery charge in percent, 0–100. */
export const ChargeLevel = withColumnType(Float64.min(0).max(100), { pg: 'double precision', ch: 'Float64' });

const emgSignal = {
  user_id: Id,
  prosthetic_id: optionalColumn(Id),
  prosthesis_type: ProsthesisType,
  muscle_group: RequiredText,
  /** Hz. */
  signal_frequency: NonNegativeInt,
  /** Milliseconds. */
  signal_duration: NonNegativeInt,
  signal_amplitude: Float64,
  /** When the signal was taken. */
  event_timestamp: Timestamp,
};

/**
 * An EMG signal event as a client sends it. `event_uuid` is
 * optional: the server generates one when absent ({@link withEventUuid}).
 */
export const IncomingTelemetryEvent = z.strictObject({
  event_uuid: Uuid.optional(),
  ...emgSignal,
});
export type IncomingTelemetryEvent = z.infer<typeof IncomingTelemetryEvent>;

/** A stored EMG event (telemetry_db.telemetry_events). */
export const TelemetryEvent = z.object({
  id: BigId,
  event_uuid: Uuid,
  ...emgSignal,
  /** When the server stored it. */
  saved_ts: Timestamp,
});
export type TelemetryEvent = z.infer<typeof TelemetryEvent>;

/**
 * The incoming event with its `event_uuid`, generated when the client sent none.
 *
 * @example
 * ```ts
 * import { IncomingTelemetryEvent, withEventUuid } from '@bionicpro/models';
 * const event = withEventUuid(IncomingTelemetryEvent.parse({
 *   user_id: 1, prosthesis_type: 'hand', muscle_group: 'flexor', signal_frequency: 180,
 *   signal_duration: 3000, signal_amplitude: 2.4, event_timestamp: '2024-01-15T08:00:00Z',
 * }));
 * event.event_uuid.length; // 36
 * ```
 */
export function withEventUuid(
  event: IncomingTelemetryEvent,
  generate: () => string = randomUUID,
): IncomingTelemetryEvent & { event_uuid: string } {
  return event.event_uuid === undefined
    ? { ...event, event_uuid: generate() }
    : { ...event, event_uuid: event.event_uuid };
}

/** A device event (telemetry_db.device_events; monthly user report calls it telemetry_events). */
export const DeviceEvent = z.object({
  id: BigId,
  prosthetic_id: Id,
  event_type: DeviceEventType,
  event_timestamp: Timestamp,
  /** e.g. `battery_85%`, `motor_fault`. */
  event_value: optionalColumn(Text),
  severity: Severity,
  response_time_ms: optionalColumn(NonNegativeInt),
  created_at: Timestamp,
});
export type DeviceEvent = z.infer<typeof DeviceEvent>;

/** A battery sample (telemetry_db.battery_metrics). `current_ma` > 0 charging, < 0 discharging. */
export const BatteryMetric = z.object({
  id: BigId,
  prosthetic_id: Id,
  metric_timestamp: Timestamp,
  charge_level: ChargeLevel,
  current_ma: Float64,
  is_charging: Bool,
  created_at: Timestamp,
});
export type BatteryMetric = z.infer<typeof BatteryMetric>;
