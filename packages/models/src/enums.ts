import { z } from 'zod';

/** Where a prosthesis is worn (crm.prosthetics.device_type). */
export const DeviceType = z.enum(['left_arm', 'right_arm', 'left_leg', 'right_leg']);
export type DeviceType = z.infer<typeof DeviceType>;

/** Subscription plans (docs/data-contract.md). */
export const SubscriptionType = z.enum(['basic', 'premium', 'enterprise']);
export type SubscriptionType = z.infer<typeof SubscriptionType>;

/** List prices a month, in RUB (docs/data-contract.md). */
export const SUBSCRIPTION_LIST_PRICES: Readonly<Record<SubscriptionType, string>> = {
  basic: '2999.00',
  premium: '5999.00',
  enterprise: '9999.00',
};

export const PaymentMethod = z.enum(['card', 'bank_transfer', 'paypal']);
export type PaymentMethod = z.infer<typeof PaymentMethod>;

export const PaymentStatus = z.enum(['success', 'failed', 'pending']);
export type PaymentStatus = z.infer<typeof PaymentStatus>;

export const TicketStatus = z.enum(['open', 'in_progress', 'resolved', 'closed']);
export type TicketStatus = z.infer<typeof TicketStatus>;

/** Prosthesis kind an EMG telemetry event comes from (telemetry_db.telemetry_events). */
export const ProsthesisType = z.enum(['arm', 'hand', 'leg']);
export type ProsthesisType = z.infer<typeof ProsthesisType>;

/**
 * Device event types known to this version. Readers that must accept types a
 * newer firmware sends use {@link lenientModel}.
 */
export const DeviceEventType = z.enum([
  'power_on',
  'power_off',
  'error',
  'warning',
  'charging_started',
  'charging_stopped',
  'calibration',
  'firmware_update',
  'battery_low',
  'movement',
]);
export type DeviceEventType = z.infer<typeof DeviceEventType>;

export const Severity = z.enum(['info', 'warning', 'error', 'critical']);
export type Severity = z.infer<typeof Severity>;

/** Battery wear derived from charge cycles (docs/kpis.md). */
export const BatteryHealth = z.enum(['good', 'worn']);
export type BatteryHealth = z.infer<typeof BatteryHealth>;

/** Device status derived in the prosthetic monthly mart (docs/kpis.md). */
export const DeviceStatus = z.enum(['healthy', 'attention', 'critical']);
export type DeviceStatus = z.infer<typeof DeviceStatus>;
