import type {
  BatteryMetric,
  DeviceEvent,
  Payment,
  Prosthetic,
  Subscription,
  TelemetryEvent,
  User,
} from '@bionicpro/models';

/** Hand-written fixture rows: only what a test cares about is spelled out. */
const at = (ts: string) => new Date(ts);
const uuid = (n: number, prefix = '00000000') => `${prefix}-0000-4000-8000-${String(n).padStart(12, '0')}`;

export function user(id: number, overrides: Partial<User> = {}): User {
  return {
    id,
    user_uuid: uuid(id, '11111111'),
    name: `User ${id}`,
    email: `user${id}@example.ru`,
    age: null,
    gender: null,
    country: null,
    address: null,
    phone: null,
    ldap_username: `user${id}`,
    registered_at: at('2023-01-01T00:00:00Z'),
    updated_at: at('2023-01-01T00:00:00Z'),
    ...overrides,
  };
}

export function prosthetic(id: number, userId: number, overrides: Partial<Prosthetic> = {}): Prosthetic {
  return {
    id,
    user_id: userId,
    prosthetic_uuid: uuid(id, '22222222'),
    device_type: 'left_arm',
    serial_number: `SN-${id}`,
    chip_id: `CHIP-${id}`,
    model: 'BionicPRO X2',
    purchase_date: '2023-01-15',
    warranty_end_date: '2025-01-15',
    is_active: true,
    created_at: at('2023-01-15T00:00:00Z'),
    updated_at: at('2023-01-15T00:00:00Z'),
    ...overrides,
  };
}

export function device(
  id: number,
  prostheticId: number,
  type: DeviceEvent['event_type'],
  ts: string,
  overrides: Partial<DeviceEvent> = {},
): DeviceEvent {
  return {
    id: String(id),
    prosthetic_id: prostheticId,
    event_type: type,
    event_timestamp: at(ts),
    event_value: null,
    severity: type === 'error' ? 'error' : type === 'warning' ? 'warning' : 'info',
    response_time_ms: null,
    created_at: at(ts),
    ...overrides,
  };
}

export function battery(
  id: number,
  prostheticId: number,
  ts: string,
  level: number,
  current: number,
  charging = current > 0,
): BatteryMetric {
  return {
    id: String(id),
    prosthetic_id: prostheticId,
    metric_timestamp: at(ts),
    charge_level: level,
    current_ma: current,
    is_charging: charging,
    created_at: at(ts),
  };
}

export function subscription(
  id: number,
  userId: number,
  overrides: Partial<Subscription> = {},
): Subscription {
  return {
    id,
    user_id: userId,
    subscription_type: 'basic',
    start_date: '2023-06-01',
    end_date: null,
    is_active: true,
    monthly_cost: '2999.00',
    created_at: at('2023-06-01T00:00:00Z'),
    updated_at: at('2023-06-01T00:00:00Z'),
    ...overrides,
  };
}

export function payment(
  id: number,
  userId: number,
  ts: string,
  amount: string,
  status: Payment['status'],
  overrides: Partial<Payment> = {},
): Payment {
  return {
    id,
    user_id: userId,
    subscription_id: null,
    payment_date: at(ts),
    amount,
    payment_method: 'card',
    status,
    description: null,
    created_at: at(ts),
    ...overrides,
  };
}

export function emg(
  id: number,
  userId: number,
  ts: string,
  overrides: Partial<TelemetryEvent> = {},
): TelemetryEvent {
  return {
    id: String(id),
    event_uuid: uuid(id, '33333333'),
    user_id: userId,
    prosthetic_id: null,
    prosthesis_type: 'hand',
    muscle_group: 'flexor',
    signal_frequency: 180,
    signal_duration: 1000,
    signal_amplitude: 2.5,
    event_timestamp: at(ts),
    saved_ts: at(ts),
    ...overrides,
  };
}
