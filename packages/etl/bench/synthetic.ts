/**
 * Fast, deterministic bench data: sorted device events and battery samples
 * for many prostheses, built with arithmetic (no PRNG objects), so a few
 * million rows take well under a second to make.
 */
import type { BatteryMetric, DeviceEvent, Payment, Prosthetic, Subscription, User } from '@bionicpro/models';

const TYPES = ['power_on', 'calibration', 'movement', 'power_off', 'warning', 'charging_started'] as const;

export interface BenchData {
  users: User[];
  prosthetics: Prosthetic[];
  subscriptions: Subscription[];
  payments: Payment[];
  deviceEvents: DeviceEvent[];
  batteryMetrics: BatteryMetric[];
}

const uuid = (prefix: string, n: number) => `${prefix}-0000-4000-8000-${String(n).padStart(12, '0')}`;

export function benchData(options: {
  prostheses: number;
  rowsPerTable: number;
  monthStart: number;
}): BenchData {
  const { prostheses, rowsPerTable, monthStart } = options;
  const users: User[] = [];
  const prosthetics: Prosthetic[] = [];
  const subscriptions: Subscription[] = [];
  const payments: Payment[] = [];
  const created = new Date(monthStart - 86_400_000 * 200);
  for (let p = 1; p <= prostheses; p += 1) {
    users.push({
      id: p,
      user_uuid: uuid('11111111', p),
      name: `User ${p}`,
      email: `u${p}@example.ru`,
      age: null,
      gender: null,
      country: null,
      address: null,
      phone: null,
      ldap_username: null,
      registered_at: created,
      updated_at: created,
    });
    prosthetics.push({
      id: p,
      user_id: p,
      prosthetic_uuid: uuid('22222222', p),
      device_type: 'left_arm',
      serial_number: `SN${p}`,
      chip_id: `C${p}`,
      model: 'BionicPRO X2',
      purchase_date: '2023-01-01',
      warranty_end_date: '2025-01-01',
      is_active: true,
      created_at: created,
      updated_at: created,
    });
    subscriptions.push({
      id: p,
      user_id: p,
      subscription_type: 'basic',
      start_date: '2023-01-01',
      end_date: p % 5 === 0 ? '2023-06-01' : null,
      is_active: true,
      monthly_cost: '2999.00',
      created_at: created,
      updated_at: created,
    });
    for (let k = 0; k < 30; k += 1) {
      const at = new Date(monthStart + k * 86_400_000 + p * 1000);
      payments.push({
        id: p * 100 + k,
        user_id: p,
        subscription_id: p,
        payment_date: at,
        amount: `${(p % 50) + 1}.${String(k % 100).padStart(2, '0')}`,
        payment_method: 'card',
        status: k % 7 === 0 ? 'failed' : k % 11 === 0 ? 'pending' : 'success',
        description: null,
        created_at: at,
      });
    }
  }
  const perProsthesis = Math.floor(rowsPerTable / prostheses);
  const step = Math.floor((28 * 86_400_000) / perProsthesis);
  const deviceEvents: DeviceEvent[] = new Array(perProsthesis * prostheses);
  const batteryMetrics: BatteryMetric[] = new Array(perProsthesis * prostheses);
  let i = 0;
  for (let p = 1; p <= prostheses; p += 1) {
    for (let k = 0; k < perProsthesis; k += 1) {
      const at = new Date(monthStart + k * step + p);
      const type = TYPES[k % TYPES.length]!;
      deviceEvents[i] = {
        id: String(i + 1),
        prosthetic_id: p,
        event_type: type,
        event_timestamp: at,
        event_value: null,
        severity:
          k % 101 === 0 ? 'critical' : k % 13 === 0 ? 'error' : type === 'warning' ? 'warning' : 'info',
        response_time_ms: k % 3 === 0 ? 20 + (k % 50) : null,
        created_at: at,
      };
      const level = 50 + 49 * Math.sin(k / 40);
      batteryMetrics[i] = {
        id: String(i + 1),
        prosthetic_id: p,
        metric_timestamp: new Date(monthStart + k * step + p + 7),
        charge_level: Math.max(level, 0),
        current_ma: Math.cos(k / 40) * 150,
        is_charging: Math.cos(k / 40) > 0,
        created_at: at,
      };
      i += 1;
    }
  }
  return { users, prosthetics, subscriptions, payments, deviceEvents, batteryMetrics };
}
