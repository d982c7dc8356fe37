import { z } from 'zod';
import { DeviceType, PaymentMethod, PaymentStatus, SubscriptionType, TicketStatus } from './enums.js';
import { withColumnType } from './column-types.js';
import {
  Bool,
  CalendarDate,
  Email,
  Id,
  Int32,
  Money,
  RequiredText,
  Text,
  Timestamp,
  Uuid,
} from './scalars.js';

/** An optional column: absent or null in input, `null` in output. */
export function optionalColumn<T extends z.ZodType>(schema: T) {
  return schema.nullable().default(null);
}

const Age = withColumnType(
  Int32.min(0, 'age cannot be negative').max(150, 'age above 150 is not plausible'),
  {
    pg: 'smallint',
    ch: 'UInt8',
  },
);

const userProfile = {
  name: RequiredText,
  email: Email,
  age: optionalColumn(Age),
  gender: optionalColumn(Text),
  country: optionalColumn(Text),
  address: optionalColumn(Text),
  phone: optionalColumn(Text),
  /** Keycloak `preferred_username`. */
  ldap_username: optionalColumn(Text),
};

/**
 * What a client sends to create a user. Strict: server-owned fields
 * (`id`, `user_uuid`, `registered_at`, `updated_at`) are refused, not ignored.
 *
 * @example
 * ```ts
 * import { IncomingUser } from '@bionicpro/models';
 * IncomingUser.parse({ name: 'Ivan Petrov', email: 'ivan@example.ru' }).age; // null
 * ```
 */
export const IncomingUser = z.strictObject(userProfile);
export type IncomingUser = z.infer<typeof IncomingUser>;
export type IncomingUserInput = z.input<typeof IncomingUser>;

/** A stored CRM user (crm_db.users). Extends {@link IncomingUser} with server-set fields. */
export const User = z.object({
  id: Id,
  /** The Keycloak subject (`sub`). */
  user_uuid: Uuid,
  ...userProfile,
  /** Set by the server when the row is written; never sent by a client. */
  registered_at: Timestamp,
  updated_at: Timestamp,
});
export type User = z.infer<typeof User>;

/** crm_db.prosthetics. */
export const Prosthetic = z.object({
  id: Id,
  user_id: Id,
  prosthetic_uuid: Uuid,
  device_type: DeviceType,
  serial_number: RequiredText,
  chip_id: RequiredText,
  /** e.g. "BionicPRO X2". */
  model: RequiredText,
  purchase_date: CalendarDate,
  warranty_end_date: CalendarDate,
  is_active: Bool,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Prosthetic = z.infer<typeof Prosthetic>;

/** crm_db.subscriptions. `end_date` is null while the subscription is open. */
export const Subscription = z.object({
  id: Id,
  user_id: Id,
  subscription_type: SubscriptionType,
  start_date: CalendarDate,
  end_date: optionalColumn(CalendarDate),
  is_active: Bool,
  monthly_cost: Money,
  created_at: Timestamp,
  updated_at: Timestamp,
});
export type Subscription = z.infer<typeof Subscription>;

/** crm_db.payments. */
export const Payment = z.object({
  id: Id,
  user_id: Id,
  subscription_id: optionalColumn(Id),
  payment_date: Timestamp,
  amount: Money,
  payment_method: PaymentMethod,
  status: PaymentStatus,
  description: optionalColumn(Text),
  created_at: Timestamp,
});
export type Payment = z.infer<typeof Payment>;

/** crm_db.support_tickets. */
export const SupportTicket = z.object({
  id: Id,
  user_id: Id,
  prosthetic_id: optionalColumn(Id),
  title: RequiredText,
  description: Text,
  status: TicketStatus,
  created_at: Timestamp,
  updated_at: Timestamp,
  resolved_at: optionalColumn(Timestamp),
});
export type SupportTicket = z.infer<typeof SupportTicket>;
