import type { Payment, Prosthetic, Subscription, SupportTicket, User } from '../crm.js';
import {
  SUBSCRIPTION_LIST_PRICES,
  type DeviceType,
  type ProsthesisType,
  type SubscriptionType,
} from '../enums.js';
import type { BatteryMetric, DeviceEvent, TelemetryEvent } from '../telemetry.js';
import { formatCalendarDate, monthRange, monthsBetween, parseMonth } from '../timestamp.js';
import { Random } from './prng.js';

/** Scale and shape of a synthetic dataset. Same options → same rows, byte for byte. */
export interface DatasetOptions {
  readonly seed: number;
  readonly users: number;
  /** Average prostheses per user (at least one each); default 1.25. */
  readonly prosthesesPerUser?: number;
  /** First month, `YYYY-MM` (UTC); default `2024-01`. */
  readonly start?: string;
  /** Number of months; default 1. */
  readonly months?: number;
  /** EMG telemetry events per user per day; default 100. */
  readonly eventsPerDay?: number;
  /** Informational device events with a response time per prosthesis per day (besides power, charging, faults); default 8. */
  readonly deviceEventsPerDay?: number;
  /** Battery samples per prosthesis per day; default 48 (every 30 minutes). */
  readonly batterySamplesPerDay?: number;
}

/**
 * A synthetic, internally consistent BionicPRO dataset. CRM tables are small
 * arrays; the three telemetry tables are lazy iterables that stream rows (memory
 * does not grow with their length), prosthesis by prosthesis (EMG: user by user),
 * each in time order.
 */
export interface Dataset {
  readonly options: Required<DatasetOptions>;
  /** [start, end) of the generated period. */
  readonly period: { readonly start: Date; readonly end: Date };
  readonly users: User[];
  readonly prosthetics: Prosthetic[];
  readonly subscriptions: Subscription[];
  readonly payments: Payment[];
  readonly supportTickets: SupportTicket[];
  telemetryEvents(): Iterable<TelemetryEvent>;
  deviceEvents(): Iterable<DeviceEvent>;
  batteryMetrics(): Iterable<BatteryMetric>;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY = 24 * HOUR;

const FIRST_NAMES = [
  'Ivan',
  'Anna',
  'Pavel',
  'Olga',
  'Sergey',
  'Maria',
  'Dmitry',
  'Elena',
  'Alexey',
  'Natalia',
  'Igor',
  'Svetlana',
];
const LAST_NAMES = [
  'Petrov',
  'Ivanova',
  'Smirnov',
  'Kuznetsova',
  'Popov',
  'Volkova',
  'Sokolov',
  'Morozova',
  'Lebedev',
  'Kozlova',
];
const CITIES = ['Moscow', 'Saint Petersburg', 'Kazan', 'Novosibirsk', 'Yekaterinburg'];
const MODELS = ['BionicPRO X1', 'BionicPRO X2', 'BionicHand Pro X1', 'BionicLeg Flex'];
const DEVICE_TYPES: readonly DeviceType[] = ['left_arm', 'right_arm', 'left_leg', 'right_leg'];
const MUSCLES: Record<ProsthesisType, readonly string[]> = {
  arm: ['biceps', 'triceps', 'deltoid'],
  hand: ['flexor', 'extensor', 'thenar'],
  leg: ['quadriceps', 'hamstring', 'gastrocnemius'],
};

/** Streams of the per-entity PRNG. */
enum Stream {
  User = 1,
  Prosthetic = 2,
  Day = 3,
  DeviceDay = 4,
  Battery = 5,
  Emg = 6,
  Subscription = 7,
  Payment = 8,
  Ticket = 9,
}

interface Session {
  start: number;
  end: number;
  /** False when no power_off is sent (the next power_on closes it). */
  closed: boolean;
  /** Time of a critical fault that ends the session, if any. */
  critical?: number;
}

interface DayPlan {
  sessions: Session[];
  charge?: { start: number; end: number };
}

interface ProstheticProfile {
  row: Prosthetic;
  prosthesisType: ProsthesisType;
}

/**
 * Generates a deterministic dataset.
 *
 * @example
 * ```ts
 * import { generateDataset } from '@bionicpro/models/testing';
 * const data = generateDataset({ seed: 42, users: 12, start: '2024-01', months: 2 });
 * let events = 0;
 * for (const _ of data.telemetryEvents()) events += 1;
 * ```
 */
export function generateDataset(options: DatasetOptions): Dataset {
  const opts: Required<DatasetOptions> = {
    prosthesesPerUser: 1.25,
    start: '2024-01',
    months: 1,
    eventsPerDay: 100,
    deviceEventsPerDay: 8,
    batterySamplesPerDay: 48,
    ...options,
  };
  if (!Number.isInteger(opts.users) || opts.users < 0)
    throw new RangeError('users must be a non-negative integer');
  if (!Number.isInteger(opts.months) || opts.months < 1)
    throw new RangeError('months must be a positive integer');
  if (opts.prosthesesPerUser < 1) throw new RangeError('prosthesesPerUser must be at least 1');
  const first = parseMonth(opts.start);
  const lastMonth = {
    year: first.year + Math.floor((first.month - 1 + opts.months - 1) / 12),
    month: ((first.month - 1 + opts.months - 1) % 12) + 1,
  };
  const months = monthsBetween(first, lastMonth);
  const periodStart = monthRange(first).start.getTime();
  const periodEnd = monthRange(lastMonth).end.getTime();
  const days = Math.round((periodEnd - periodStart) / DAY);
  const seed = opts.seed;

  const users: User[] = [];
  const prosthetics: ProstheticProfile[] = [];
  for (let uid = 1; uid <= opts.users; uid += 1) {
    const r = new Random(seed, Stream.User, uid);
    const firstName = r.pick(FIRST_NAMES);
    const lastName = r.pick(LAST_NAMES);
    const login = `${firstName}.${lastName}${uid}`.toLowerCase();
    const registered = periodStart - r.int(30, 720) * DAY - r.int(0, DAY - 1);
    users.push({
      id: uid,
      user_uuid: r.uuid(),
      name: `${firstName} ${lastName}`,
      email: `${login}@example.ru`,
      age: r.chance(0.9) ? r.int(18, 80) : null,
      gender: r.chance(0.9) ? (firstName.endsWith('a') ? 'female' : 'male') : null,
      country: 'RU',
      address: r.chance(0.8) ? `${r.pick(CITIES)}, ${r.int(1, 200)} Lenina st.` : null,
      phone: r.chance(0.8) ? `+7${r.int(900_000_0000, 999_999_9999)}` : null,
      ldap_username: login,
      registered_at: new Date(registered),
      updated_at: new Date(registered + r.int(0, 30) * DAY),
    });
    const extra = opts.prosthesesPerUser - 1;
    const count = 1 + Math.floor(extra) + (r.chance(extra - Math.floor(extra)) ? 1 : 0);
    for (let k = 0; k < count; k += 1) {
      const pid = prosthetics.length + 1;
      const p = new Random(seed, Stream.Prosthetic, pid);
      const deviceType = p.pick(DEVICE_TYPES);
      const purchase = registered + p.int(1, 20) * DAY;
      const isArm = deviceType.endsWith('arm');
      prosthetics.push({
        prosthesisType: isArm ? (p.chance(0.5) ? 'hand' : 'arm') : 'leg',
        row: {
          id: pid,
          user_id: uid,
          prosthetic_uuid: p.uuid(),
          device_type: deviceType,
          serial_number: `BP-${String(pid).padStart(7, '0')}`,
          chip_id: `CHIP-${p.uint32().toString(16).padStart(8, '0')}-${pid}`,
          model: isArm ? p.pick(MODELS.slice(0, 3)) : 'BionicLeg Flex',
          purchase_date: formatCalendarDate(purchase),
          warranty_end_date: formatCalendarDate(purchase + 2 * 365 * DAY),
          is_active: true,
          created_at: new Date(purchase),
          updated_at: new Date(purchase),
        },
      });
    }
  }

  const subscriptions: Subscription[] = [];
  for (const user of users) {
    const r = new Random(seed, Stream.Subscription, user.id);
    const type = weightedPlan(r);
    const startMs = periodStart + r.int(-180, Math.max(0, days - 10)) * DAY;
    const endsInPeriod = r.chance(0.2);
    const endMs = endsInPeriod ? Math.min(periodEnd - DAY, startMs + r.int(5, 60) * DAY) : undefined;
    const base = {
      user_id: user.id,
      created_at: new Date(startMs),
      updated_at: new Date(endMs ?? startMs),
    };
    const ended = endMs !== undefined && endMs > startMs;
    subscriptions.push({
      id: subscriptions.length + 1,
      subscription_type: type,
      start_date: formatCalendarDate(startMs),
      end_date: ended ? formatCalendarDate(endMs) : null,
      is_active: !ended,
      monthly_cost: SUBSCRIPTION_LIST_PRICES[type],
      ...base,
    });
    if (ended && r.chance(0.5)) {
      const upgrade: SubscriptionType = type === 'basic' ? 'premium' : 'enterprise';
      const nextStart = endMs + DAY;
      subscriptions.push({
        id: subscriptions.length + 1,
        subscription_type: upgrade,
        start_date: formatCalendarDate(nextStart),
        end_date: null,
        is_active: true,
        monthly_cost: SUBSCRIPTION_LIST_PRICES[upgrade],
        user_id: user.id,
        created_at: new Date(nextStart),
        updated_at: new Date(nextStart),
      });
    }
  }

  const payments: Payment[] = [];
  for (const sub of subscriptions) {
    const r = new Random(seed, Stream.Payment, sub.id);
    months.forEach((month, index) => {
      const range = monthRange(month);
      if (sub.start_date > range.lastDay || (sub.end_date !== null && sub.end_date < range.firstDay)) return;
      const from = Math.max(range.start.getTime(), Date.parse(`${sub.start_date}T00:00:00Z`));
      const when = Math.min(from + r.int(0, 5) * DAY + r.int(0, DAY - 1), range.end.getTime() - HOUR);
      const roll = r.next();
      const isLast = index === months.length - 1;
      const add = (at: number, status: Payment['status']) =>
        payments.push({
          id: payments.length + 1,
          user_id: sub.user_id,
          subscription_id: sub.id,
          payment_date: new Date(at),
          amount: sub.monthly_cost,
          payment_method: r.pick(['card', 'card', 'bank_transfer', 'paypal'] as const),
          status,
          description: `${sub.subscription_type} subscription ${range.firstDay.slice(0, 7)}`,
          created_at: new Date(at),
        });
      if (roll < 0.1) {
        add(when, 'failed');
        const retry = when + r.int(1, 3) * DAY;
        if (retry < range.end.getTime()) add(retry, 'success');
      } else if (roll < 0.15 && isLast) {
        add(when, 'pending');
      } else {
        add(when, 'success');
      }
    });
  }
  payments.sort((a, b) => a.payment_date.getTime() - b.payment_date.getTime() || a.id - b.id);
  payments.forEach((payment, index) => {
    payment.id = index + 1;
  });

  const supportTickets: SupportTicket[] = [];
  for (const profile of prosthetics) {
    const r = new Random(seed, Stream.Ticket, profile.row.id);
    if (!r.chance(0.3)) continue;
    const created = periodStart + r.int(0, (periodEnd - periodStart) / MINUTE - 1) * MINUTE;
    const status = r.pick(['open', 'in_progress', 'resolved', 'closed'] as const);
    const resolved = status === 'resolved' || status === 'closed' ? created + r.int(1, 72) * HOUR : null;
    supportTickets.push({
      id: supportTickets.length + 1,
      user_id: profile.row.user_id,
      prosthetic_id: profile.row.id,
      title: r.pick(['Grip weakens', 'Battery drains fast', 'Calibration drift', 'Motor noise']),
      description: 'Reported by the owner through the mobile app.',
      status,
      created_at: new Date(created),
      updated_at: new Date(resolved ?? created),
      resolved_at: resolved === null ? null : new Date(resolved),
    });
  }

  const planOf = (prostheticId: number, day: number): DayPlan =>
    dayPlan(seed, prostheticId, day, periodStart, periodEnd);
  const byUser = new Map<number, ProstheticProfile[]>();
  for (const profile of prosthetics) {
    const list = byUser.get(profile.row.user_id) ?? [];
    list.push(profile);
    byUser.set(profile.row.user_id, list);
  }

  return {
    options: opts,
    period: { start: new Date(periodStart), end: new Date(periodEnd) },
    users,
    prosthetics: prosthetics.map((p) => p.row),
    subscriptions,
    payments,
    supportTickets,
    *telemetryEvents() {
      let id = 0;
      for (const user of users) {
        const owned = byUser.get(user.id) ?? [];
        const r = new Random(seed, Stream.Emg, user.id);
        for (let day = 0; day < days; day += 1) {
          const windows: { start: number; end: number; profile: ProstheticProfile }[] = [];
          for (const profile of owned) {
            for (const s of planOf(profile.row.id, day).sessions) {
              const end = s.critical ?? s.end;
              if (end > s.start) windows.push({ start: s.start, end, profile });
            }
          }
          windows.sort((a, b) => a.start - b.start);
          const total = windows.reduce((sum, w) => sum + (w.end - w.start), 0);
          if (total === 0 || opts.eventsPerDay === 0) continue;
          const count = Math.max(0, Math.round(opts.eventsPerDay * r.float(0.8, 1.2)));
          const offsets = new Float64Array(count);
          for (let i = 0; i < count; i += 1) offsets[i] = r.next() * total;
          offsets.sort();
          let w = 0;
          let before = 0;
          for (let i = 0; i < count; i += 1) {
            let offset = offsets[i]! - before;
            while (offset >= windows[w]!.end - windows[w]!.start && w < windows.length - 1) {
              before += windows[w]!.end - windows[w]!.start;
              offset -= windows[w]!.end - windows[w]!.start;
              w += 1;
            }
            const window = windows[w]!;
            const at = Math.min(window.end - 1, Math.floor(window.start + offset));
            const type = window.profile.prosthesisType;
            id += 1;
            yield {
              id: String(id),
              event_uuid: r.uuid(),
              user_id: user.id,
              prosthetic_id: window.profile.row.id,
              prosthesis_type: type,
              muscle_group: r.pick(MUSCLES[type]),
              signal_frequency: r.int(50, 500),
              signal_duration: r.int(100, 5000),
              signal_amplitude: Math.round(r.float(0.5, 5) * 1000) / 1000,
              event_timestamp: new Date(at),
              saved_ts: new Date(at + r.int(5, 2000)),
            };
          }
        }
      }
    },
    *deviceEvents() {
      let id = 0;
      for (const profile of prosthetics) {
        const pid = profile.row.id;
        for (let day = 0; day < days; day += 1) {
          const r = new Random(seed, Stream.DeviceDay, pid, day);
          const plan = planOf(pid, day);
          const events: Omit<DeviceEvent, 'id' | 'created_at'>[] = [];
          const push = (
            at: number,
            event_type: DeviceEvent['event_type'],
            severity: DeviceEvent['severity'],
            event_value: string | null,
            response_time_ms: number | null = null,
          ) =>
            events.push({
              prosthetic_id: pid,
              event_type,
              event_timestamp: new Date(at),
              event_value,
              severity,
              response_time_ms,
            });
          const sessionLength = plan.sessions.reduce((sum, s) => sum + ((s.critical ?? s.end) - s.start), 0);
          for (const s of plan.sessions) {
            const end = s.critical ?? s.end;
            push(s.start, 'power_on', 'info', `battery_${r.int(40, 100)}%`, r.int(20, 80));
            const share = sessionLength > 0 ? (end - s.start) / sessionLength : 0;
            const n = Math.round(opts.deviceEventsPerDay * share);
            for (let i = 0; i < n; i += 1) {
              push(
                s.start + 1 + Math.floor(r.next() * (end - s.start - 2)),
                'movement',
                'info',
                'grip',
                r.int(15, 120),
              );
            }
            if (r.chance(0.15))
              push(
                s.start + Math.floor(r.next() * (end - s.start)),
                'warning',
                'warning',
                'high_temperature',
              );
            if (r.chance(0.06))
              push(
                s.start + Math.floor(r.next() * (end - s.start)),
                'error',
                'error',
                'motor_fault',
                r.int(100, 400),
              );
            if (r.chance(0.03))
              push(s.start + Math.floor(r.next() * (end - s.start)), 'calibration', 'info', 'auto');
            if (s.critical !== undefined) push(s.critical, 'error', 'critical', 'motor_failure');
            else if (s.closed) push(s.end, 'power_off', 'info', `battery_${r.int(5, 90)}%`);
          }
          if (plan.charge) {
            push(plan.charge.start, 'charging_started', 'info', `${r.int(800, 1400)}mA`);
            push(plan.charge.end, 'charging_stopped', 'info', 'battery_100%');
          }
          if (r.chance(0.01) && plan.charge)
            push(plan.charge.start + 10 * MINUTE, 'firmware_update', 'info', '2.4.1');
          events.sort((a, b) => a.event_timestamp.getTime() - b.event_timestamp.getTime());
          for (const event of events) {
            id += 1;
            yield {
              id: String(id),
              ...event,
              created_at: new Date(event.event_timestamp.getTime() + r.int(50, 5000)),
            };
          }
        }
      }
    },
    *batteryMetrics() {
      let id = 0;
      const step = DAY / opts.batterySamplesPerDay;
      for (const profile of prosthetics) {
        const pid = profile.row.id;
        const r = new Random(seed, Stream.Battery, pid);
        let level = r.float(60, 100);
        let previous: DayPlan | undefined;
        for (let day = 0; day < days; day += 1) {
          const plan = planOf(pid, day);
          const dayStart = periodStart + day * DAY;
          for (let k = 0; k < opts.batterySamplesPerDay; k += 1) {
            const at = Math.floor(dayStart + k * step + step / 2);
            const active = plan.sessions.some((s) => at >= s.start && at < (s.critical ?? s.end));
            const charging = [plan.charge, previous?.charge].some(
              (c) => c !== undefined && at >= c.start && at < c.end,
            );
            let current: number;
            if (charging) current = level >= 99.5 ? r.float(20, 60) : r.float(900, 1400);
            else if (active) current = -r.float(350, 600);
            else current = -r.float(15, 40);
            // 2000 mAh pack: percent change over one step.
            level = Math.min(100, Math.max(0, level + ((current * (step / HOUR)) / 2000) * 100));
            id += 1;
            yield {
              id: String(id),
              prosthetic_id: pid,
              metric_timestamp: new Date(at),
              charge_level: Math.round(level * 100) / 100,
              current_ma: Math.round(current * 10) / 10,
              is_charging: charging,
              created_at: new Date(at + r.int(10, 3000)),
            };
          }
          previous = plan;
        }
      }
    },
  };
}

function weightedPlan(r: Random): SubscriptionType {
  const roll = r.next();
  return roll < 0.5 ? 'basic' : roll < 0.85 ? 'premium' : 'enterprise';
}

/** The sessions and charging window of one prosthesis on one day (shared by device events, battery and EMG). */
function dayPlan(
  seed: number,
  prostheticId: number,
  day: number,
  periodStart: number,
  periodEnd: number,
): DayPlan {
  const r = new Random(seed, Stream.Day, prostheticId, day);
  const dayStart = periodStart + day * DAY;
  const count = r.int(1, 3);
  const slot = (16 * HOUR) / count;
  const sessions: Session[] = [];
  for (let i = 0; i < count; i += 1) {
    const slotStart = dayStart + 6 * HOUR + i * slot;
    const start = slotStart + Math.floor(r.next() * (slot / 3));
    const longest = Math.min(5 * HOUR, slotStart + slot - start - 5 * MINUTE);
    const end = start + 20 * MINUTE + Math.floor(r.next() * Math.max(0, longest - 20 * MINUTE));
    const session: Session = { start, end, closed: !r.chance(0.03) };
    if (r.chance(0.01)) {
      session.critical = start + Math.floor(r.next() * (end - start));
      sessions.push(session);
      break; // a critical fault ends the day: recovery is the next power_on
    }
    sessions.push(session);
  }
  const plan: DayPlan = { sessions };
  if (r.chance(0.8)) {
    const start = dayStart + 22 * HOUR + 30 * MINUTE + Math.floor(r.next() * HOUR);
    const end = Math.min(start + 2 * HOUR + Math.floor(r.next() * 4 * HOUR), periodEnd - MINUTE);
    if (end > start) plan.charge = { start, end };
  }
  return plan;
}
