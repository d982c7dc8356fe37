/**
 * Independent reference computations for the report tests: straightforward
 * loops over the raw generated rows, written from docs/reports.md without using
 * the package's queries or assembly code. Mart rows computed here are
 * inserted into chDB; reports computed here are what the package must return.
 */
import type {
  DeviceEvent,
  Payment,
  Prosthetic,
  ProstheticMonthlyMetrics,
  Subscription,
  TelemetryEvent,
  User,
  UserMonthlyMetrics,
  UserProsthesisHourlyStats,
} from '@bionicpro/models';

const HOUR = 3_600_000;

export interface RawData {
  users: User[];
  prosthetics: Prosthetic[];
  subscriptions: Subscription[];
  payments: Payment[];
  telemetry: TelemetryEvent[];
  device: DeviceEvent[];
  battery: { prosthetic_id: number; metric_timestamp: Date; charge_level: number }[];
}

export function monthBounds(month: string): {
  start: number;
  end: number;
  firstDay: string;
  lastDay: string;
  days: number;
} {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const start = Date.UTC(y, m - 1, 1);
  const end = Date.UTC(y, m, 1);
  const days = Math.round((end - start) / 86_400_000);
  return {
    start,
    end,
    firstDay: `${month}-01`,
    lastDay: `${month}-${String(days).padStart(2, '0')}`,
    days,
  };
}

const cents = (s: string) => Math.round(Number(s) * 100);
const money = (c: number) => `${Math.trunc(c / 100)}.${String(Math.abs(c) % 100).padStart(2, '0')}`;

export function userMonthlyMart(data: RawData, month: string, now: Date): UserMonthlyMetrics[] {
  const b = monthBounds(month);
  return data.users.map((u) => {
    let total = 0;
    let ok = 0;
    let failed = 0;
    let pending = 0;
    for (const p of data.payments) {
      const t = p.payment_date.getTime();
      if (p.user_id !== u.id || t < b.start || t >= b.end) continue;
      if (p.status === 'success') {
        total += cents(p.amount);
        ok += cents(p.amount);
      } else if (p.status === 'failed') {
        total += cents(p.amount);
        failed += 1;
      } else pending += 1;
    }
    let subs = 0;
    let cost = 0;
    for (const s of data.subscriptions) {
      if (s.user_id !== u.id) continue;
      if (s.start_date <= b.lastDay && (s.end_date === null || s.end_date >= b.lastDay)) {
        subs += 1;
        cost += cents(s.monthly_cost);
      }
    }
    return {
      user_id: u.id,
      report_date: b.firstDay,
      user_uuid: u.user_uuid,
      total_payments: money(total),
      successful_payments: money(ok),
      failed_payments_count: failed,
      pending_payments_count: pending,
      active_subscriptions_count: subs,
      subscription_cost_total: money(cost),
      payment_success_rate: total === 0 ? null : ok / total,
      arr: money(cost * 12),
      last_updated: now,
    };
  });
}

export function prostheticMonthlyMart(data: RawData, month: string, now: Date): ProstheticMonthlyMetrics[] {
  const b = monthBounds(month);
  const users = new Map(data.users.map((u) => [u.id, u]));
  return data.prosthetics.map((p) => {
    const events = data.device
      .filter((e) => e.prosthetic_id === p.id)
      .sort(
        (x, y) =>
          x.event_timestamp.getTime() - y.event_timestamp.getTime() ||
          (BigInt(x.id) < BigInt(y.id) ? -1 : BigInt(x.id) > BigInt(y.id) ? 1 : 0),
      );
    const inMonth = events.filter(
      (e) => e.event_timestamp.getTime() >= b.start && e.event_timestamp.getTime() < b.end,
    );
    const lastSeen = events.length ? (events[events.length - 1] as DeviceEvent).event_timestamp.getTime() : 0;
    // Sessions power_on → power_off (or next power_on), open ones closed at min(month end, last event).
    let activeMs = 0;
    let open: number | null = null;
    const close = (from: number, to: number) => {
      activeMs += Math.max(0, Math.min(to, b.end) - Math.max(from, b.start));
    };
    for (const e of events) {
      const t = e.event_timestamp.getTime();
      if (e.event_type === 'power_on') {
        if (open !== null) close(open, t);
        open = t;
      } else if (e.event_type === 'power_off' && open !== null) {
        close(open, t);
        open = null;
      }
    }
    if (open !== null) {
      const openMonthEnd = Date.UTC(new Date(open).getUTCFullYear(), new Date(open).getUTCMonth() + 1, 1);
      close(open, Math.min(openMonthEnd, lastSeen));
    }
    let downtime = 0;
    for (const e of inMonth) {
      if (e.severity !== 'critical') continue;
      const t = e.event_timestamp.getTime();
      const next = events.find((x) => x.event_type === 'power_on' && x.event_timestamp.getTime() > t);
      const until = Math.min(next ? next.event_timestamp.getTime() : b.end, b.end);
      downtime += (until - t) / 60_000;
    }
    let cycles = 0;
    let armed = false;
    const samples = data.battery
      .filter((s) => s.prosthetic_id === p.id)
      .filter((s) => s.metric_timestamp.getTime() >= b.start && s.metric_timestamp.getTime() < b.end)
      .sort((x, y) => x.metric_timestamp.getTime() - y.metric_timestamp.getTime());
    for (const s of samples) {
      if (s.charge_level < 50) armed = true;
      else if (armed && s.charge_level > 95) {
        cycles += 1;
        armed = false;
      }
    }
    const on = inMonth.filter((e) => e.event_type === 'power_on').length;
    const errors = inMonth.filter((e) => e.severity === 'error').length;
    const criticals = inMonth.filter((e) => e.severity === 'critical').length;
    const reliability = on === 0 ? null : Math.min(100, Math.max(0, 100 - ((errors + criticals) / on) * 100));
    const hours = activeMs / HOUR;
    return {
      user_id: p.user_id,
      prosthetic_id: p.id,
      report_date: b.firstDay,
      user_uuid: (users.get(p.user_id) as User).user_uuid,
      prosthetic_uuid: p.prosthetic_uuid,
      device_type: p.device_type,
      power_on_count: on,
      power_off_count: inMonth.filter((e) => e.event_type === 'power_off').length,
      total_active_hours: hours,
      avg_discharge_rate_active: null,
      avg_discharge_rate_idle: null,
      avg_charge_rate: null,
      charge_cycles: cycles,
      warning_count: inMonth.filter((e) => e.severity === 'warning').length,
      error_count: errors,
      critical_error_count: criticals,
      downtime_minutes: downtime,
      daily_usage_hours: hours / b.days,
      reliability_pct: reliability,
      battery_health: cycles < 3 ? 'good' : 'worn',
      status:
        criticals > 0
          ? 'critical'
          : (reliability !== null && reliability < 99) || downtime > 0
            ? 'attention'
            : 'healthy',
      last_updated: now,
    };
  });
}

export function hourlyMart(data: RawData, now: Date): UserProsthesisHourlyStats[] {
  const owner = new Map(data.prosthetics.map((p) => [p.id, p.user_id]));
  const byKey = new Map<
    string,
    { user: number; hour: number; moves: number; rt: number[]; battery: number[]; errors: number }
  >();
  const slot = (user: number, t: Date) => {
    const hour = Math.floor(t.getTime() / HOUR) * HOUR;
    const key = `${user}:${hour}`;
    let s = byKey.get(key);
    if (!s) {
      s = { user, hour, moves: 0, rt: [], battery: [], errors: 0 };
      byKey.set(key, s);
    }
    return s;
  };
  for (const e of data.telemetry) slot(e.user_id, e.event_timestamp).moves += 1;
  for (const e of data.device) {
    const s = slot(owner.get(e.prosthetic_id) as number, e.event_timestamp);
    if (e.response_time_ms !== null) s.rt.push(e.response_time_ms);
    if (e.severity === 'error' || e.severity === 'critical') s.errors += 1;
  }
  for (const m of data.battery)
    slot(owner.get(m.prosthetic_id) as number, m.metric_timestamp).battery.push(m.charge_level);
  const users = new Map(data.users.map((u) => [u.id, u]));
  const firstActive = new Map<number, Prosthetic>();
  for (const p of [...data.prosthetics].sort((a, b) => a.id - b.id)) {
    if (p.is_active && !firstActive.has(p.user_id)) firstActive.set(p.user_id, p);
  }
  const mean = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
  return [...byKey.values()].map((s) => {
    const u = users.get(s.user) as User;
    const p = firstActive.get(s.user);
    return {
      user_id: s.user,
      date: new Date(s.hour).toISOString().slice(0, 10),
      hour: new Date(s.hour),
      user_uuid: u.user_uuid,
      prosthetic_id: p?.id ?? null,
      chip_id: p?.chip_id ?? null,
      ldap_username: u.ldap_username,
      customer_name: u.name,
      customer_email: u.email,
      prosthesis_model: p?.model ?? null,
      movements_count: s.moves,
      avg_response_time: mean(s.rt),
      avg_battery_level: mean(s.battery),
      error_count: s.errors,
      error_rate: s.moves === 0 ? null : s.errors / s.moves,
      last_updated: now,
    };
  });
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export function expectedUserMonthlyReport(
  userId: number,
  month: string,
  finance: UserMonthlyMetrics[],
  devices: ProstheticMonthlyMetrics[],
) {
  const f = finance.find((r) => r.user_id === userId && r.report_date === `${month}-01`);
  const mine = devices
    .filter((d) => d.user_id === userId && d.report_date === `${month}-01`)
    .sort((a, b) => a.prosthetic_id - b.prosthetic_id);
  const rank = { healthy: 0, attention: 1, critical: 2 } as const;
  return {
    period: month,
    user_id: userId,
    financial: {
      total_payments: f?.total_payments ?? '0.00',
      successful_payments: f?.successful_payments ?? '0.00',
      failed_payments_count: f?.failed_payments_count ?? 0,
      active_subscriptions: f?.active_subscriptions_count ?? 0,
      monthly_cost: f?.subscription_cost_total ?? '0.00',
    },
    devices: mine.map((d) => ({
      prosthetic_id: d.prosthetic_id,
      device_type: d.device_type,
      usage_hours: round2(d.total_active_hours),
      power_on_count: d.power_on_count,
      battery_health: d.battery_health,
      downtime_minutes: round2(d.downtime_minutes),
      errors: d.error_count + d.critical_error_count,
    })),
    status: mine.reduce<'healthy' | 'attention' | 'critical'>(
      (w, d) => (rank[d.status] > rank[w] ? d.status : w),
      'healthy',
    ),
  };
}

export function expectedTelemetryReport(data: RawData, userId: number, start?: Date, end?: Date) {
  const u = data.users.find((x) => x.id === userId) as User;
  const groups = new Map<string, TelemetryEvent[]>();
  for (const e of data.telemetry) {
    const t = e.event_timestamp.getTime();
    if (e.user_id !== userId) continue;
    if (start && t < start.getTime()) continue;
    if (end && t > end.getTime()) continue;
    groups.set(e.prosthesis_type, [...(groups.get(e.prosthesis_type) ?? []), e]);
  }
  const stats = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([type, es]) => ({
      prosthesis_type: type,
      events_count: es.length,
      total_duration: es.reduce((a, e) => a + e.signal_duration, 0),
      avg_amplitude: es.reduce((a, e) => a + e.signal_amplitude, 0) / es.length,
      avg_frequency: es.reduce((a, e) => a + e.signal_frequency, 0) / es.length,
    }));
  return {
    user_name: u.name,
    user_email: u.email,
    total_events: stats.reduce((a, s) => a + s.events_count, 0),
    total_duration: stats.reduce((a, s) => a + s.total_duration, 0),
    prosthesis_stats: stats,
  };
}

export function expectedDailyReport(hourly: UserProsthesisHourlyStats[], userId: number, date: string) {
  const rows = hourly
    .filter((r) => r.user_id === userId && r.date === date)
    .sort((a, b) => a.hour.getTime() - b.hour.getTime());
  const meanOf = (xs: (number | null)[]) => {
    const p = xs.filter((x): x is number => x !== null);
    return p.length === 0 ? null : p.reduce((a, b) => a + b, 0) / p.length;
  };
  return {
    rows,
    total_movements: rows.reduce((a, r) => a + r.movements_count, 0),
    total_errors: rows.reduce((a, r) => a + r.error_count, 0),
    avg_response_time_ms: meanOf(rows.map((r) => r.avg_response_time)),
    avg_battery_level: meanOf(rows.map((r) => r.avg_battery_level)),
    uptime_hours: rows.length,
  };
}
