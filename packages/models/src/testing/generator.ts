import type { Payment, Prosthetic, Subscription, SupportTicket, User } from '../crm.js';
import { InvalidArgumentError } from '../errors.js';
import {
  SUBSCRIPTION_LIST_PRICES,
  type DeviceType,
  type ProsthesisType,
  type SubscriptionType,
} from '../enums.js';
import type { BatteryMetric, DeviceEvent, TelemetryEvent } from '../telemetry.js';
import { formatCalendarDate, type Month, monthRange, monthsBetween, parseMonth } from '../timestamp.js';
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

/** Counter of the text ids of one generated table (`'1'`, `'2'`, …). */
class RowIds {
  private last = 0;
  next(): string {
    this.last += 1;
    return String(this.last);
  }
}

/** The generated period in epoch milliseconds, shared by every entity generator. */
interface Calendar {
  readonly seed: number;
  readonly periodStart: number;
  readonly periodEnd: number;
  /** Whole days in [periodStart, periodEnd). */
  readonly days: number;
  readonly months: readonly Month[];
}

/** What the telemetry streams read: the calendar, the prostheses and the scale options. */
interface TelemetryContext extends Calendar {
  readonly opts: Required<DatasetOptions>;
  readonly prosthetics: readonly ProstheticProfile[];
  readonly prostheticsByUser: ReadonlyMap<number, readonly ProstheticProfile[]>;
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
  const opts = resolveOptions(options);
  const calendar = datasetCalendar(opts);
  const { users, prosthetics } = generateOwners(calendar, opts);
  const subscriptions = generateSubscriptions(calendar, users);
  const context: TelemetryContext = {
    ...calendar,
    opts,
    prosthetics,
    prostheticsByUser: groupByUser(prosthetics),
  };
  return {
    options: opts,
    period: { start: new Date(calendar.periodStart), end: new Date(calendar.periodEnd) },
    users,
    prosthetics: prosthetics.map((p) => p.row),
    subscriptions,
    payments: generatePayments(calendar, subscriptions),
    supportTickets: generateSupportTickets(calendar, prosthetics),
    telemetryEvents: () => telemetryEvents(context, users),
    deviceEvents: () => deviceEvents(context),
    batteryMetrics: () => batteryMetrics(context),
  };
}

function resolveOptions(options: DatasetOptions): Required<DatasetOptions> {
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
    throw new InvalidArgumentError('users', 'users must be a non-negative integer');
  if (!Number.isInteger(opts.months) || opts.months < 1)
    throw new InvalidArgumentError('months', 'months must be a positive integer');
  if (opts.prosthesesPerUser < 1)
    throw new InvalidArgumentError('prosthesesPerUser', 'prosthesesPerUser must be at least 1');
  return opts;
}

function datasetCalendar(opts: Required<DatasetOptions>): Calendar {
  const first = parseMonth(opts.start);
  const lastMonth = {
    year: first.year + Math.floor((first.month - 1 + opts.months - 1) / 12),
    month: ((first.month - 1 + opts.months - 1) % 12) + 1,
  };
  const periodStart = monthRange(first).start.getTime();
  const periodEnd = monthRange(lastMonth).end.getTime();
  return {
    seed: opts.seed,
    periodStart,
    periodEnd,
    days: Math.round((periodEnd - periodStart) / DAY),
    months: monthsBetween(first, lastMonth),
  };
}

function groupByUser(prosthetics: readonly ProstheticProfile[]): Map<number, ProstheticProfile[]> {
  const byUser = new Map<number, ProstheticProfile[]>();
  for (const profile of prosthetics) {
    const list = byUser.get(profile.row.user_id) ?? [];
    list.push(profile);
    byUser.set(profile.row.user_id, list);
  }
  return byUser;
}

// ---------------------------------------------------------------------------
// CRM tables

/** Users and their prostheses; prosthesis ids run across users in user order. */
function generateOwners(
  calendar: Calendar,
  opts: Required<DatasetOptions>,
): { users: User[]; prosthetics: ProstheticProfile[] } {
  const users: User[] = [];
  const prosthetics: ProstheticProfile[] = [];
  for (let uid = 1; uid <= opts.users; uid += 1) {
    const r = new Random(calendar.seed, Stream.User, uid);
    const user = generateUser(r, uid, calendar.periodStart);
    users.push(user);
    const extra = opts.prosthesesPerUser - 1;
    const count = 1 + Math.floor(extra) + (r.chance(extra - Math.floor(extra)) ? 1 : 0);
    for (let k = 0; k < count; k += 1) {
      prosthetics.push(generateProsthetic(calendar.seed, prosthetics.length + 1, user));
    }
  }
  return { users, prosthetics };
}

function generateUser(r: Random, uid: number, periodStart: number): User {
  const firstName = r.pick(FIRST_NAMES);
  const lastName = r.pick(LAST_NAMES);
  const login = `${firstName}.${lastName}${uid}`.toLowerCase();
  const registered = periodStart - r.int(30, 720) * DAY - r.int(0, DAY - 1);
  return {
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
  };
}

function generateProsthetic(seed: number, pid: number, owner: User): ProstheticProfile {
  const p = new Random(seed, Stream.Prosthetic, pid);
  const deviceType = p.pick(DEVICE_TYPES);
  const purchase = owner.registered_at.getTime() + p.int(1, 20) * DAY;
  const isArm = deviceType.endsWith('arm');
  return {
    prosthesisType: isArm ? (p.chance(0.5) ? 'hand' : 'arm') : 'leg',
    row: {
      id: pid,
      user_id: owner.id,
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
  };
}

/** One plan per user, some ending in the period and half of those followed by an upgrade. */
function generateSubscriptions(calendar: Calendar, users: readonly User[]): Subscription[] {
  const subscriptions: Subscription[] = [];
  for (const user of users) {
    const r = new Random(calendar.seed, Stream.Subscription, user.id);
    const type = weightedPlan(r);
    const startMs = calendar.periodStart + r.int(-180, Math.max(0, calendar.days - 10)) * DAY;
    const endsInPeriod = r.chance(0.2);
    const endMs = endsInPeriod ? Math.min(calendar.periodEnd - DAY, startMs + r.int(5, 60) * DAY) : undefined;
    const ended = endMs !== undefined && endMs > startMs;
    subscriptions.push({
      id: subscriptions.length + 1,
      subscription_type: type,
      start_date: formatCalendarDate(startMs),
      end_date: ended ? formatCalendarDate(endMs) : null,
      is_active: !ended,
      monthly_cost: SUBSCRIPTION_LIST_PRICES[type],
      user_id: user.id,
      created_at: new Date(startMs),
      updated_at: new Date(endMs ?? startMs),
    });
    if (ended && r.chance(0.5)) subscriptions.push(upgradeOf(subscriptions.length + 1, user.id, type, endMs));
  }
  return subscriptions;
}

function upgradeOf(id: number, userId: number, from: SubscriptionType, endedMs: number): Subscription {
  const upgrade: SubscriptionType = from === 'basic' ? 'premium' : 'enterprise';
  const nextStart = endedMs + DAY;
  return {
    id,
    subscription_type: upgrade,
    start_date: formatCalendarDate(nextStart),
    end_date: null,
    is_active: true,
    monthly_cost: SUBSCRIPTION_LIST_PRICES[upgrade],
    user_id: userId,
    created_at: new Date(nextStart),
    updated_at: new Date(nextStart),
  };
}

/** Payments in the order they were drawn; {@link generatePayments} sorts and renumbers them. */
class PaymentLedger {
  readonly payments: Payment[] = [];

  add(sub: Subscription, r: Random, at: number, status: Payment['status'], firstDay: string): void {
    this.payments.push({
      id: this.payments.length + 1,
      user_id: sub.user_id,
      subscription_id: sub.id,
      payment_date: new Date(at),
      amount: sub.monthly_cost,
      payment_method: r.pick(['card', 'card', 'bank_transfer', 'paypal'] as const),
      status,
      description: `${sub.subscription_type} subscription ${firstDay.slice(0, 7)}`,
      created_at: new Date(at),
    });
  }
}

/** One payment per subscription and month it covers (a failed one retried), in time order. */
function generatePayments(calendar: Calendar, subscriptions: readonly Subscription[]): Payment[] {
  const ledger = new PaymentLedger();
  for (const sub of subscriptions) {
    const r = new Random(calendar.seed, Stream.Payment, sub.id);
    calendar.months.forEach((month, index) => {
      monthPayments(ledger, sub, r, month, index === calendar.months.length - 1);
    });
  }
  const payments = ledger.payments;
  payments.sort((a, b) => a.payment_date.getTime() - b.payment_date.getTime() || a.id - b.id);
  payments.forEach((payment, index) => {
    payment.id = index + 1;
  });
  return payments;
}

function monthPayments(
  ledger: PaymentLedger,
  sub: Subscription,
  r: Random,
  month: Month,
  isLast: boolean,
): void {
  const range = monthRange(month);
  if (sub.start_date > range.lastDay || (sub.end_date !== null && sub.end_date < range.firstDay)) return;
  const from = Math.max(range.start.getTime(), Date.parse(`${sub.start_date}T00:00:00Z`));
  const when = Math.min(from + r.int(0, 5) * DAY + r.int(0, DAY - 1), range.end.getTime() - HOUR);
  const roll = r.next();
  if (roll < 0.1) {
    ledger.add(sub, r, when, 'failed', range.firstDay);
    const retry = when + r.int(1, 3) * DAY;
    if (retry < range.end.getTime()) ledger.add(sub, r, retry, 'success', range.firstDay);
  } else if (roll < 0.15 && isLast) {
    ledger.add(sub, r, when, 'pending', range.firstDay);
  } else {
    ledger.add(sub, r, when, 'success', range.firstDay);
  }
}

/** About three prostheses in ten get a ticket. */
function generateSupportTickets(
  calendar: Calendar,
  prosthetics: readonly ProstheticProfile[],
): SupportTicket[] {
  const { seed, periodStart, periodEnd } = calendar;
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
  return supportTickets;
}

// ---------------------------------------------------------------------------
// Telemetry streams

function planOf(context: Calendar, prostheticId: number, day: number): DayPlan {
  return dayPlan(context.seed, prostheticId, day, context.periodStart, context.periodEnd);
}

/** A span of one day in which one of the user's prostheses was powered on. */
interface EmgWindow {
  start: number;
  end: number;
  profile: ProstheticProfile;
}

/** EMG events user by user, day by day, spread uniformly over the user's powered-on time. */
function* telemetryEvents(context: TelemetryContext, users: readonly User[]): Generator<TelemetryEvent> {
  const ids = new RowIds();
  for (const user of users) {
    const owned = context.prostheticsByUser.get(user.id) ?? [];
    const r = new Random(context.seed, Stream.Emg, user.id);
    for (let day = 0; day < context.days; day += 1) {
      const windows = emgWindows(context, owned, day);
      const emg = EmgDay.draw(r, windows, context.opts.eventsPerDay);
      if (emg === undefined) continue;
      for (let i = 0; i < emg.count; i += 1) yield emg.event(i, ids, user.id);
    }
  }
}

function emgWindows(context: Calendar, owned: readonly ProstheticProfile[], day: number): EmgWindow[] {
  const windows: EmgWindow[] = [];
  for (const profile of owned) {
    for (const s of planOf(context, profile.row.id, day).sessions) {
      const end = s.critical ?? s.end;
      if (end > s.start) windows.push({ start: s.start, end, profile });
    }
  }
  windows.sort((a, b) => a.start - b.start);
  return windows;
}

/**
 * One user's EMG events of one day: their times are drawn as sorted offsets into
 * the concatenated windows, then walked back to a window and a time, in order.
 */
class EmgDay {
  /** Index of the window the walk has reached. */
  private window = 0;
  /** Length of the windows before {@link window}. */
  private before = 0;

  private constructor(
    private readonly r: Random,
    private readonly windows: readonly EmgWindow[],
    private readonly offsets: Float64Array,
  ) {}

  /** Draws the day's event count and offsets; undefined when the user's prostheses were never on. */
  static draw(r: Random, windows: readonly EmgWindow[], eventsPerDay: number): EmgDay | undefined {
    const total = windows.reduce((sum, w) => sum + (w.end - w.start), 0);
    if (total === 0 || eventsPerDay === 0) return undefined;
    const count = Math.max(0, Math.round(eventsPerDay * r.float(0.8, 1.2)));
    const offsets = new Float64Array(count);
    for (let i = 0; i < count; i += 1) offsets[i] = r.next() * total;
    offsets.sort();
    return new EmgDay(r, windows, offsets);
  }

  get count(): number {
    return this.offsets.length;
  }

  /** The `i`-th event of the day; call with i = 0, 1, … in order. */
  event(i: number, ids: RowIds, userId: number): TelemetryEvent {
    const { r, windows } = this;
    let offset = this.offsets[i]! - this.before;
    while (
      offset >= windows[this.window]!.end - windows[this.window]!.start &&
      this.window < windows.length - 1
    ) {
      this.before += windows[this.window]!.end - windows[this.window]!.start;
      offset -= windows[this.window]!.end - windows[this.window]!.start;
      this.window += 1;
    }
    const window = windows[this.window]!;
    const at = Math.min(window.end - 1, Math.floor(window.start + offset));
    const type = window.profile.prosthesisType;
    return {
      id: ids.next(),
      event_uuid: r.uuid(),
      user_id: userId,
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

/** Device events of one prosthesis on one day, collected before they are sorted by time. */
class DeviceDayLog {
  readonly events: Omit<DeviceEvent, 'id' | 'created_at'>[] = [];

  constructor(private readonly prostheticId: number) {}

  push(
    at: number,
    event_type: DeviceEvent['event_type'],
    severity: DeviceEvent['severity'],
    event_value: string | null,
    response_time_ms: number | null = null,
  ): void {
    this.events.push({
      prosthetic_id: this.prostheticId,
      event_type,
      event_timestamp: new Date(at),
      event_value,
      severity,
      response_time_ms,
    });
  }
}

/** Device events prosthesis by prosthesis, day by day, each day in time order. */
function* deviceEvents(context: TelemetryContext): Generator<DeviceEvent> {
  const ids = new RowIds();
  for (const profile of context.prosthetics) {
    const pid = profile.row.id;
    for (let day = 0; day < context.days; day += 1) {
      const r = new Random(context.seed, Stream.DeviceDay, pid, day);
      const log = new DeviceDayLog(pid);
      logDeviceDay(log, r, planOf(context, pid, day), context.opts.deviceEventsPerDay);
      log.events.sort((a, b) => a.event_timestamp.getTime() - b.event_timestamp.getTime());
      for (const event of log.events) {
        yield {
          id: ids.next(),
          ...event,
          created_at: new Date(event.event_timestamp.getTime() + r.int(50, 5000)),
        };
      }
    }
  }
}

function logDeviceDay(log: DeviceDayLog, r: Random, plan: DayPlan, deviceEventsPerDay: number): void {
  const sessionLength = plan.sessions.reduce((sum, s) => sum + ((s.critical ?? s.end) - s.start), 0);
  for (const s of plan.sessions) {
    const share = sessionLength > 0 ? ((s.critical ?? s.end) - s.start) / sessionLength : 0;
    logSession(log, r, s, Math.round(deviceEventsPerDay * share));
  }
  if (plan.charge) {
    log.push(plan.charge.start, 'charging_started', 'info', `${r.int(800, 1400)}mA`);
    log.push(plan.charge.end, 'charging_stopped', 'info', 'battery_100%');
  }
  if (r.chance(0.01) && plan.charge)
    log.push(plan.charge.start + 10 * MINUTE, 'firmware_update', 'info', '2.4.1');
}

/** Power on, `movements` grips, occasional warnings, faults and calibrations, then power off or a critical fault. */
function logSession(log: DeviceDayLog, r: Random, s: Session, movements: number): void {
  const end = s.critical ?? s.end;
  log.push(s.start, 'power_on', 'info', `battery_${r.int(40, 100)}%`, r.int(20, 80));
  for (let i = 0; i < movements; i += 1) {
    log.push(
      s.start + 1 + Math.floor(r.next() * (end - s.start - 2)),
      'movement',
      'info',
      'grip',
      r.int(15, 120),
    );
  }
  if (r.chance(0.15))
    log.push(s.start + Math.floor(r.next() * (end - s.start)), 'warning', 'warning', 'high_temperature');
  if (r.chance(0.06))
    log.push(
      s.start + Math.floor(r.next() * (end - s.start)),
      'error',
      'error',
      'motor_fault',
      r.int(100, 400),
    );
  if (r.chance(0.03))
    log.push(s.start + Math.floor(r.next() * (end - s.start)), 'calibration', 'info', 'auto');
  if (s.critical !== undefined) log.push(s.critical, 'error', 'critical', 'motor_failure');
  else if (s.closed) log.push(s.end, 'power_off', 'info', `battery_${r.int(5, 90)}%`);
}

/** The charge state of one prosthesis' battery between samples. */
class BatteryPack {
  /** Percent, 0–100. */
  private level: number;
  /** The previous day's plan: its charge window may run past midnight. */
  private previous: DayPlan | undefined;

  constructor(
    private readonly r: Random,
    /** Milliseconds between samples. */
    private readonly step: number,
  ) {
    this.level = r.float(60, 100);
  }

  /** Remembers the plan of the day just sampled: its charge window may run past midnight. */
  endDay(plan: DayPlan): void {
    this.previous = plan;
  }

  /** One sample at `at`, a moment of the day planned by `plan`. */
  sample(ids: RowIds, pid: number, at: number, plan: DayPlan): BatteryMetric {
    const r = this.r;
    const active = plan.sessions.some((s) => at >= s.start && at < (s.critical ?? s.end));
    const charging = [plan.charge, this.previous?.charge].some(
      (c) => c !== undefined && at >= c.start && at < c.end,
    );
    let current: number;
    if (charging) current = this.level >= 99.5 ? r.float(20, 60) : r.float(900, 1400);
    else if (active) current = -r.float(350, 600);
    else current = -r.float(15, 40);
    // 2000 mAh pack: percent change over one step.
    this.level = Math.min(100, Math.max(0, this.level + ((current * (this.step / HOUR)) / 2000) * 100));
    return {
      id: ids.next(),
      prosthetic_id: pid,
      metric_timestamp: new Date(at),
      charge_level: Math.round(this.level * 100) / 100,
      current_ma: Math.round(current * 10) / 10,
      is_charging: charging,
      created_at: new Date(at + r.int(10, 3000)),
    };
  }
}

/** Battery samples prosthesis by prosthesis, at a fixed step. */
function* batteryMetrics(context: TelemetryContext): Generator<BatteryMetric> {
  const ids = new RowIds();
  const samples = context.opts.batterySamplesPerDay;
  const step = DAY / samples;
  for (const profile of context.prosthetics) {
    const pid = profile.row.id;
    const pack = new BatteryPack(new Random(context.seed, Stream.Battery, pid), step);
    for (let day = 0; day < context.days; day += 1) {
      const plan = planOf(context, pid, day);
      const dayStart = context.periodStart + day * DAY;
      // Samples sit at the middle of each step.
      for (let k = 0; k < samples; k += 1)
        yield pack.sample(ids, pid, Math.floor(dayStart + k * step + step / 2), plan);
      pack.endDay(plan);
    }
  }
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
