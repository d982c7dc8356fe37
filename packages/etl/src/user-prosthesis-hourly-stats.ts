import type { Int64Text, UserProsthesisHourlyStats } from '@bionicpro/models';
import type {
  BatteryMetricRow,
  DeviceEventRow,
  ProstheticRow,
  TelemetryEventRow,
  UserRow,
} from './kpi-inputs.js';
import type { MonthlyTransformOptions } from './monthly-transform-options.js';
import { collectRows, isAsyncIterable, type RowSource } from './row-source.js';
import { SortedCursor } from './sorted-cursor.js';
import { resolvePeriod } from '@bionicpro/models';

const HOUR_MS = 3_600_000;
/** Order of the EMG input for `order: 'sorted'`. */
export const TELEMETRY_EVENT_ORDER = '(user_id, event_timestamp, id)';

/** Inputs of {@link userProsthesisHourlyStats}. */
export interface HourlyStatsInput<S extends 'sync' | 'async' = 'sync'> {
  readonly users: S extends 'sync' ? Iterable<UserRow> : RowSource<UserRow>;
  readonly prosthetics: S extends 'sync' ? Iterable<ProstheticRow> : RowSource<ProstheticRow>;
  readonly telemetryEvents: S extends 'sync' ? Iterable<TelemetryEventRow> : RowSource<TelemetryEventRow>;
  readonly deviceEvents: S extends 'sync' ? Iterable<DeviceEventRow> : RowSource<DeviceEventRow>;
  readonly batteryMetrics: S extends 'sync' ? Iterable<BatteryMetricRow> : RowSource<BatteryMetricRow>;
}

interface HourTotals {
  userId: number;
  hourIndex: number;
  movements: number;
  responseSum: number;
  responseCount: number;
  batterySum: number;
  batteryCount: number;
  errors: number;
}

/**
 * Accumulates user_prosthesis_stats (docs/kpis.md) row by row; feed it
 * any number of rows from any table in any order, then call {@link result}.
 * Memory is O(user-hours with data), independent of the number of rows.
 * Deduplication is the caller's (see {@link userProsthesisHourlyStats}).
 */
export class HourlyStatsAccumulator {
  private readonly hours = new Map<number, HourTotals>();
  private readonly userOfProsthetic = new Map<number, number>();
  private readonly users = new Map<number, UserRow>();
  private readonly primaryProsthetic = new Map<number, ProstheticRow>();
  private readonly startMs: number;
  private readonly endMs: number;

  constructor(
    users: Iterable<UserRow>,
    prosthetics: Iterable<ProstheticRow>,
    private readonly options: MonthlyTransformOptions,
  ) {
    const period = resolvePeriod(options.month);
    this.startMs = period.startMs;
    this.endMs = period.endMs;
    for (const user of users) if (!this.users.has(user.id)) this.users.set(user.id, user);
    for (const p of prosthetics) {
      if (!this.userOfProsthetic.has(p.id)) this.userOfProsthetic.set(p.id, p.user_id);
      // The prosthesis fields of a row describe the user's active prosthesis with the lowest id.
      if (!p.is_active) continue;
      const current = this.primaryProsthetic.get(p.user_id);
      if (current === undefined || p.id < current.id) this.primaryProsthetic.set(p.user_id, p);
    }
  }

  private slot(userId: number, ms: number): HourTotals | undefined {
    if (ms < this.startMs || ms >= this.endMs || !this.users.has(userId)) return undefined;
    const hourIndex = Math.floor((ms - this.startMs) / HOUR_MS);
    const key = userId * 1024 + hourIndex;
    let totals = this.hours.get(key);
    if (totals === undefined) {
      totals = {
        userId,
        hourIndex,
        movements: 0,
        responseSum: 0,
        responseCount: 0,
        batterySum: 0,
        batteryCount: 0,
        errors: 0,
      };
      this.hours.set(key, totals);
    }
    return totals;
  }

  /** An EMG event: one movement in its hour. */
  telemetryEvent(event: TelemetryEventRow): void {
    const slot = this.slot(event.user_id, event.event_timestamp.getTime());
    if (slot) slot.movements += 1;
  }

  /** A device event: response time and errors (severity error or critical). */
  deviceEvent(event: DeviceEventRow): void {
    const userId = this.userOfProsthetic.get(event.prosthetic_id);
    if (userId === undefined) return;
    const slot = this.slot(userId, event.event_timestamp.getTime());
    if (!slot) return;
    if (event.response_time_ms !== null && event.response_time_ms !== undefined) {
      slot.responseSum += event.response_time_ms;
      slot.responseCount += 1;
    }
    if (event.severity === 'error' || event.severity === 'critical') slot.errors += 1;
  }

  /** A battery sample: its charge level. */
  batteryMetric(sample: BatteryMetricRow): void {
    const userId = this.userOfProsthetic.get(sample.prosthetic_id);
    if (userId === undefined) return;
    const slot = this.slot(userId, sample.metric_timestamp.getTime());
    if (!slot) return;
    slot.batterySum += sample.charge_level;
    slot.batteryCount += 1;
  }

  /** The mart rows, sorted by (user_id, hour). */
  result(): UserProsthesisHourlyStats[] {
    const lastUpdated = this.options.lastUpdated;
    const all = [...this.hours.values()].sort((a, b) => a.userId - b.userId || a.hourIndex - b.hourIndex);
    return all.map((h) => {
      const user = this.users.get(h.userId)!;
      const prosthetic = this.primaryProsthetic.get(h.userId);
      const hour = new Date(this.startMs + h.hourIndex * HOUR_MS);
      return {
        user_id: h.userId,
        date: hour.toISOString().slice(0, 10),
        hour,
        user_uuid: user.user_uuid,
        prosthetic_id: prosthetic?.id ?? null,
        chip_id: prosthetic?.chip_id ?? null,
        ldap_username: user.ldap_username ?? null,
        customer_name: user.name,
        customer_email: user.email,
        prosthesis_model: prosthetic?.model ?? null,
        movements_count: h.movements,
        avg_response_time: h.responseCount === 0 ? null : h.responseSum / h.responseCount,
        avg_battery_level: h.batteryCount === 0 ? null : h.batterySum / h.batteryCount,
        error_count: h.errors,
        error_rate: h.movements === 0 ? null : h.errors / h.movements,
        last_updated: lastUpdated,
      };
    });
  }
}

/**
 * user_prosthesis_stats (docs/kpis.md): one row per user and UTC hour of
 * the month that has any EMG event, device event or battery sample of the
 * user (device rows reach the user through `prosthetics.user_id`).
 * `movements_count` counts EMG events; `avg_response_time` averages device
 * events that carry `response_time_ms`; `avg_battery_level` averages battery
 * samples; `error_count` counts device events of severity error or critical;
 * `error_rate` = errors / movements, null without movements. The prosthesis
 * columns describe the user's active prosthesis with the lowest id.
 *
 * Rows repeated with the same id count once: with `order: 'sorted'` (EMG by
 * `(user_id, event_timestamp, id)`, device and battery by `(prosthetic_id,
 * timestamp, id)`) adjacent copies are skipped and memory is O(user-hours);
 * with `order: 'any'` ids are remembered, O(n) memory. O(n) time either way.
 *
 * @example
 * ```ts
 * import { userProsthesisHourlyStats } from '@bionicpro/etl';
 * const rows = userProsthesisHourlyStats(
 *   { users, prosthetics, telemetryEvents, deviceEvents, batteryMetrics },
 *   { month: '2024-01', lastUpdated: new Date('2024-02-01T03:00:00Z') },
 * );
 * ```
 */
export function userProsthesisHourlyStats(
  input: HourlyStatsInput<'sync'>,
  options: MonthlyTransformOptions,
): UserProsthesisHourlyStats[] {
  const acc = new HourlyStatsAccumulator(input.users, input.prosthetics, options);
  const sorted = options.order === 'sorted';
  const feeds = hourlyFeeds(acc);
  feed(input.telemetryEvents, sorted, feeds.telemetryEvents);
  feed(input.deviceEvents, sorted, feeds.deviceEvents);
  feed(input.batteryMetrics, sorted, feeds.batteryMetrics);
  return acc.result();
}

/** {@link userProsthesisHourlyStats} over async sources, streaming row by row. */
export async function userProsthesisHourlyStatsAsync(
  input: HourlyStatsInput<'async'>,
  options: MonthlyTransformOptions,
): Promise<UserProsthesisHourlyStats[]> {
  const acc = new HourlyStatsAccumulator(
    await collectRows(input.users),
    await collectRows(input.prosthetics),
    options,
  );
  const sorted = options.order === 'sorted';
  const feeds = hourlyFeeds(acc);
  await feedAsync(input.telemetryEvents, sorted, feeds.telemetryEvents);
  await feedAsync(input.deviceEvents, sorted, feeds.deviceEvents);
  await feedAsync(input.batteryMetrics, sorted, feeds.batteryMetrics);
  return acc.result();
}

/** One input table of the hourly mart: its sorted order (checked) and where its rows go. */
interface HourlyFeed<T extends { readonly id: Int64Text }> {
  readonly table: string;
  /** The order `order: 'sorted'` expects, as the error names it. */
  readonly expected: string;
  readonly entityOf: (row: T) => number;
  readonly tsOf: (row: T) => number;
  readonly visit: (row: T) => void;
}

function hourlyFeeds(acc: HourlyStatsAccumulator) {
  const telemetryEvents: HourlyFeed<TelemetryEventRow> = {
    table: 'telemetry_events',
    expected: TELEMETRY_EVENT_ORDER,
    entityOf: (r) => r.user_id,
    tsOf: (r) => r.event_timestamp.getTime(),
    visit: (r) => acc.telemetryEvent(r),
  };
  const deviceEvents: HourlyFeed<DeviceEventRow> = {
    table: 'device_events',
    expected: '(prosthetic_id, event_timestamp, id)',
    entityOf: (r) => r.prosthetic_id,
    tsOf: (r) => r.event_timestamp.getTime(),
    visit: (r) => acc.deviceEvent(r),
  };
  const batteryMetrics: HourlyFeed<BatteryMetricRow> = {
    table: 'battery_metrics',
    expected: '(prosthetic_id, metric_timestamp, id)',
    entityOf: (r) => r.prosthetic_id,
    tsOf: (r) => r.metric_timestamp.getTime(),
    visit: (r) => acc.batteryMetric(r),
  };
  return { telemetryEvents, deviceEvents, batteryMetrics };
}

function sortedCursor<T extends { readonly id: Int64Text }>(rows: Iterator<T>, spec: HourlyFeed<T>) {
  return new SortedCursor<T>(rows, spec.table, spec.expected, spec.entityOf, spec.tsOf, (r) => r.id);
}

/** Visits deduplicated rows: adjacent-copy skipping with an order check when sorted, an id set otherwise. */
function feed<T extends { readonly id: Int64Text }>(
  rows: Iterable<T>,
  sorted: boolean,
  spec: HourlyFeed<T>,
): void {
  if (sorted) {
    const cursor = sortedCursor(rows[Symbol.iterator](), spec);
    for (cursor.advance(); cursor.row !== undefined; cursor.advance()) spec.visit(cursor.row);
    return;
  }
  const seen = new Set<Int64Text>();
  for (const row of rows) {
    if (seen.has(row.id)) continue;
    seen.add(row.id);
    spec.visit(row);
  }
}

async function feedAsync<T extends { readonly id: Int64Text }>(
  rows: RowSource<T>,
  sorted: boolean,
  spec: HourlyFeed<T>,
): Promise<void> {
  if (!isAsyncIterable(rows)) {
    feed(rows, sorted, spec);
    return;
  }
  const check = sortedCursor<T>({ next: () => ({ done: true, value: undefined }) }, spec);
  const seen = sorted ? undefined : new Set<Int64Text>();
  for await (const row of rows) {
    check.index += 1;
    if (seen) {
      if (seen.has(row.id)) continue;
      seen.add(row.id);
    } else if (!check.accept(row)) {
      continue;
    }
    spec.visit(row);
  }
}
