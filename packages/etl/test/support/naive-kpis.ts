/**
 * A deliberately naive reference for the KPIs of docs/kpis.md: whole tables in
 * memory, explicit session interval lists, linear scans for "the next
 * power_on", the decisive-sample formulation of charge cycles. Written apart
 * from the streaming transforms so that property tests compare two
 * independent readings of the spec.
 */
import type {
  BatteryMetric,
  DeviceEvent,
  Payment,
  Prosthetic,
  Subscription,
  TelemetryEvent,
  User,
} from '@bionicpro/models';
import { monthRange, parseMonth, sumMoney } from '@bionicpro/models';

const firstById = <T extends { id: number | string }>(rows: T[]): T[] => {
  const map = new Map<number | string, T>();
  for (const row of rows) if (!map.has(row.id)) map.set(row.id, row);
  return [...map.values()];
};

/** Order of 64-bit ids (decimal text) through BigInt, independent of the library's comparator. */
const byBigId = (a: { id: string }, b: { id: string }) =>
  BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0;

const overlap = (a: number, b: number, s: number, e: number) => Math.max(0, Math.min(b, e) - Math.max(a, s));

function range(month: string) {
  const r = monthRange(parseMonth(month));
  return { S: r.start.getTime(), E: r.end.getTime(), first: r.firstDay, last: r.lastDay, days: r.days };
}

export function naiveProstheticMonthly(
  data: {
    users: User[];
    prosthetics: Prosthetic[];
    deviceEvents: DeviceEvent[];
    batteryMetrics: BatteryMetric[];
  },
  month: string,
) {
  const { S, E, first, days } = range(month);
  const devices = firstById(data.deviceEvents);
  const samples = firstById(data.batteryMetrics);
  const out = [];
  for (const p of firstById(data.prosthetics).sort((a, b) => a.id - b.id)) {
    const u = data.users.find((x) => x.id === p.user_id);
    if (!u) continue;
    const evs = devices
      .filter((e) => e.prosthetic_id === p.id)
      .sort((a, b) => a.event_timestamp.getTime() - b.event_timestamp.getTime() || byBigId(a, b));
    const bats = samples
      .filter((b) => b.prosthetic_id === p.id)
      .sort((a, b) => a.metric_timestamp.getTime() - b.metric_timestamp.getTime() || byBigId(a, b));
    const ts = (e: DeviceEvent) => e.event_timestamp.getTime();
    const inMonth = (t: number) => t >= S && t < E;
    const monthEvs = evs.filter((e) => inMonth(ts(e)));
    const monthBats = bats.filter((b) => inMonth(b.metric_timestamp.getTime()));
    if (monthEvs.length === 0 && monthBats.length === 0 && p.created_at.getTime() >= E) continue;

    const sessions: [number, number][] = [];
    let open: number | null = null;
    for (const e of evs) {
      if (e.event_type === 'power_on') {
        if (open !== null) sessions.push([open, ts(e)]);
        open = ts(e);
      } else if (e.event_type === 'power_off' && open !== null) {
        sessions.push([open, ts(e)]);
        open = null;
      }
    }
    if (open !== null) sessions.push([open, ts(evs[evs.length - 1]!)]);
    const activeMs = sessions.reduce((sum, [a, b]) => sum + overlap(a, b, S, E), 0);
    const inside = (t: number) => sessions.some(([a, b]) => a <= t && t < b);

    let downtimeMs = 0;
    for (const c of evs.filter((e) => e.severity === 'critical')) {
      const ons = evs.filter((e) => e.event_type === 'power_on' && ts(e) >= ts(c)).map(ts);
      const end = ons.length > 0 ? Math.min(...ons) : E;
      downtimeMs += overlap(ts(c), end, S, E);
    }

    const decisive = bats.filter((b) => b.charge_level < 50 || b.charge_level > 95);
    let cycles = 0;
    for (let i = 1; i < decisive.length; i += 1) {
      if (
        decisive[i]!.charge_level > 95 &&
        decisive[i - 1]!.charge_level < 50 &&
        inMonth(decisive[i]!.metric_timestamp.getTime())
      ) {
        cycles += 1;
      }
    }
    const mean = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
    const discharging = monthBats.filter((b) => b.current_ma < 0);
    const count = (pred: (e: DeviceEvent) => boolean) => monthEvs.filter(pred).length;
    const powerOn = count((e) => e.event_type === 'power_on');
    const errors = count((e) => e.severity === 'error');
    const criticals = count((e) => e.severity === 'critical');
    const hours = activeMs / 3_600_000;
    const downtime = downtimeMs / 60_000;
    const reliability =
      powerOn === 0 ? null : Math.min(100, Math.max(0, 100 - ((errors + criticals) / powerOn) * 100));
    out.push({
      user_id: p.user_id,
      prosthetic_id: p.id,
      report_date: first,
      user_uuid: u.user_uuid,
      prosthetic_uuid: p.prosthetic_uuid,
      device_type: p.device_type,
      power_on_count: powerOn,
      power_off_count: count((e) => e.event_type === 'power_off'),
      total_active_hours: hours,
      avg_discharge_rate_active: mean(
        discharging.filter((b) => inside(b.metric_timestamp.getTime())).map((b) => -b.current_ma),
      ),
      avg_discharge_rate_idle: mean(
        discharging.filter((b) => !inside(b.metric_timestamp.getTime())).map((b) => -b.current_ma),
      ),
      avg_charge_rate: mean(monthBats.filter((b) => b.is_charging).map((b) => b.current_ma)),
      charge_cycles: cycles,
      warning_count: count((e) => e.severity === 'warning'),
      error_count: errors,
      critical_error_count: criticals,
      downtime_minutes: downtime,
      daily_usage_hours: hours / days,
      reliability_pct: reliability,
      battery_health: cycles < 3 ? 'good' : 'worn',
      status:
        criticals > 0
          ? 'critical'
          : (reliability !== null && reliability < 99) || downtime > 0
            ? 'attention'
            : 'healthy',
    });
  }
  return out;
}

export function naiveUserMonthly(
  data: { users: User[]; subscriptions: Subscription[]; payments: Payment[] },
  month: string,
) {
  const { S, E, first, last } = range(month);
  const payments = firstById(data.payments);
  const subscriptions = firstById(data.subscriptions);
  const out = [];
  for (const u of firstById(data.users).sort((a, b) => a.id - b.id)) {
    const mine = payments.filter(
      (p) => p.user_id === u.id && p.payment_date.getTime() >= S && p.payment_date.getTime() < E,
    );
    const subs = subscriptions.filter(
      (s) => s.user_id === u.id && s.start_date <= last && (s.end_date === null || s.end_date >= last),
    );
    if (mine.length === 0 && subs.length === 0 && u.registered_at.getTime() >= E) continue;
    const total = sumMoney(mine.filter((p) => p.status !== 'pending').map((p) => p.amount));
    const successful = sumMoney(mine.filter((p) => p.status === 'success').map((p) => p.amount));
    const cost = sumMoney(subs.map((s) => s.monthly_cost));
    out.push({
      user_id: u.id,
      report_date: first,
      user_uuid: u.user_uuid,
      total_payments: total,
      successful_payments: successful,
      failed_payments_count: mine.filter((p) => p.status === 'failed').length,
      pending_payments_count: mine.filter((p) => p.status === 'pending').length,
      active_subscriptions_count: subs.length,
      subscription_cost_total: cost,
      payment_success_rate: Number(total) === 0 ? null : Number(successful) / Number(total),
      arr: sumMoney(Array.from({ length: 12 }, () => cost)),
    });
  }
  return out;
}

export function naiveHourly(
  data: {
    users: User[];
    prosthetics: Prosthetic[];
    telemetryEvents: TelemetryEvent[];
    deviceEvents: DeviceEvent[];
    batteryMetrics: BatteryMetric[];
  },
  month: string,
) {
  const { S, E } = range(month);
  const hourOf = (d: Date) => Math.floor(d.getTime() / 3_600_000) * 3_600_000;
  const owner = (pid: number) => data.prosthetics.find((p) => p.id === pid)?.user_id;
  const emgs = firstById(data.telemetryEvents);
  const devs = firstById(data.deviceEvents);
  const bats = firstById(data.batteryMetrics);
  const keys = new Set<string>();
  const inMonth = (d: Date) => d.getTime() >= S && d.getTime() < E;
  for (const e of emgs) if (inMonth(e.event_timestamp)) keys.add(`${e.user_id}:${hourOf(e.event_timestamp)}`);
  for (const e of devs) {
    const u = owner(e.prosthetic_id);
    if (u !== undefined && inMonth(e.event_timestamp)) keys.add(`${u}:${hourOf(e.event_timestamp)}`);
  }
  for (const b of bats) {
    const u = owner(b.prosthetic_id);
    if (u !== undefined && inMonth(b.metric_timestamp)) keys.add(`${u}:${hourOf(b.metric_timestamp)}`);
  }
  const rows = [];
  for (const key of keys) {
    const [userId, hour] = key.split(':').map(Number) as [number, number];
    const u = data.users.find((x) => x.id === userId);
    if (!u) continue;
    const primary = data.prosthetics
      .filter((p) => p.user_id === userId && p.is_active)
      .sort((a, b) => a.id - b.id)[0];
    const movements = emgs.filter((e) => e.user_id === userId && hourOf(e.event_timestamp) === hour).length;
    const myDevs = devs.filter(
      (e) => owner(e.prosthetic_id) === userId && hourOf(e.event_timestamp) === hour,
    );
    const myBats = bats.filter(
      (b) => owner(b.prosthetic_id) === userId && hourOf(b.metric_timestamp) === hour,
    );
    const responses = myDevs.filter((e) => e.response_time_ms !== null).map((e) => e.response_time_ms!);
    const errors = myDevs.filter((e) => e.severity === 'error' || e.severity === 'critical').length;
    rows.push({
      user_id: userId,
      date: new Date(hour).toISOString().slice(0, 10),
      hour: new Date(hour),
      user_uuid: u.user_uuid,
      prosthetic_id: primary?.id ?? null,
      chip_id: primary?.chip_id ?? null,
      ldap_username: u.ldap_username,
      customer_name: u.name,
      customer_email: u.email,
      prosthesis_model: primary?.model ?? null,
      movements_count: movements,
      avg_response_time: responses.length ? responses.reduce((a, b) => a + b, 0) / responses.length : null,
      avg_battery_level: myBats.length
        ? myBats.reduce((a, b) => a + b.charge_level, 0) / myBats.length
        : null,
      error_count: errors,
      error_rate: movements === 0 ? null : errors / movements,
    });
  }
  return rows.sort((a, b) => a.user_id - b.user_id || a.hour.getTime() - b.hour.getTime());
}
