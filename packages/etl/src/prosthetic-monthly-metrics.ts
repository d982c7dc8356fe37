import {
  compareInt64Text,
  type Int64Text,
  type ProstheticMonthlyMetrics,
  type MonthPeriod,
  resolvePeriod,
} from '@bionicpro/models';
import type { BatteryMetricRow, DeviceEventRow, ProstheticRow, UserRow } from './kpi-inputs.js';
import type { MonthlyTransformOptions } from './monthly-transform-options.js';
import { ProstheticMonthState } from './prosthetic-month-state.js';
import { collectRows, firstById, type RowSource } from './row-source.js';
import { AsyncSortedCursor, SortedCursor } from './sorted-cursor.js';

/** Order the streamed telemetry tables must be in for `order: 'sorted'`. */
export const DEVICE_EVENT_ORDER = '(prosthetic_id, event_timestamp, id)';
export const BATTERY_METRIC_ORDER = '(prosthetic_id, metric_timestamp, id)';

/** Inputs of {@link prostheticMonthlyMetrics}. */
export interface ProstheticMonthlyInput<S extends 'sync' | 'async' = 'sync'> {
  readonly users: S extends 'sync'
    ? Iterable<Pick<UserRow, 'id' | 'user_uuid'>>
    : RowSource<Pick<UserRow, 'id' | 'user_uuid'>>;
  readonly prosthetics: S extends 'sync' ? Iterable<ProstheticRow> : RowSource<ProstheticRow>;
  /** Device events of the month plus context (see {@link prostheticMonthlyMetrics}). */
  readonly deviceEvents: S extends 'sync' ? Iterable<DeviceEventRow> : RowSource<DeviceEventRow>;
  readonly batteryMetrics: S extends 'sync' ? Iterable<BatteryMetricRow> : RowSource<BatteryMetricRow>;
}

const deviceEntity = (row: DeviceEventRow) => row.prosthetic_id;
const deviceTs = (row: DeviceEventRow) => row.event_timestamp.getTime();
const batteryEntity = (row: BatteryMetricRow) => row.prosthetic_id;
const batteryTs = (row: BatteryMetricRow) => row.metric_timestamp.getTime();
const rowId = (row: { readonly id: Int64Text }) => row.id;
/** Table, expected order, entity, timestamp and id of each cursor (sync or async). */
const DEVICE_CURSOR = ['device_events', DEVICE_EVENT_ORDER, deviceEntity, deviceTs, rowId] as const;
const BATTERY_CURSOR = ['battery_metrics', BATTERY_METRIC_ORDER, batteryEntity, batteryTs, rowId] as const;

/**
 * report_prosthetic_monthly_metrics (docs/kpis.md): engineering KPIs of
 * every prosthesis for one UTC month.
 *
 * - Sessions run from a power_on to the next power_off in event-time order
 *   `(event_timestamp, id)`; a second power_on closes the first session at
 *   itself; a session still open at the end of the data closes at the last
 *   device event seen for that prosthesis or the month's end, whichever is
 *   earlier; a session crossing a month boundary counts only its part inside.
 * - Battery averages use the month's samples; a discharging sample is
 *   "active" when a session covers its instant.
 * - Charge cycles use hysteresis (below 50 % arms, above 95 % counts and disarms).
 * - Downtime: for each critical event, the minutes to the next power_on (or the
 *   month's end), clipped to the month and summed per critical event.
 *
 * Rows from outside the month are context, never counted: give the month's
 * rows plus, per prosthesis, the last power event before the month, the
 * critical events since the last power_on before it, the last decisive battery
 * sample (< 50 % or > 95 %) before it and any one device event at or after its
 * end (`extractProstheticMonthRows` selects exactly these). A prosthesis gets a
 * row when it was created before the month's end or has rows inside the month,
 * and its user exists.
 *
 * Complexity: `order: 'sorted'` (device events and battery samples each sorted
 * by `(prosthetic_id, timestamp, id)`) streams in O(n) time with constant
 * memory per prosthesis; `order: 'any'` deduplicates by id and sorts: O(n log n)
 * time, O(n) memory. A row repeated with the same id counts once.
 *
 * @example
 * ```ts
 * import { prostheticMonthlyMetrics } from '@bionicpro/etl';
 * const rows = prostheticMonthlyMetrics(
 *   { users, prosthetics, deviceEvents, batteryMetrics },
 *   { month: '2024-01', order: 'sorted', lastUpdated: new Date('2024-02-01T03:00:00Z') },
 * );
 * ```
 */
export function prostheticMonthlyMetrics(
  input: ProstheticMonthlyInput<'sync'>,
  options: MonthlyTransformOptions,
): ProstheticMonthlyMetrics[] {
  const period = resolvePeriod(options.month);
  const order = options.order ?? 'any';
  const devices =
    order === 'sorted' ? input.deviceEvents : sortTelemetry(input.deviceEvents, deviceEntity, deviceTs);
  const battery =
    order === 'sorted' ? input.batteryMetrics : sortTelemetry(input.batteryMetrics, batteryEntity, batteryTs);
  const dev = new SortedCursor(devices[Symbol.iterator](), ...DEVICE_CURSOR);
  const bat = new SortedCursor(battery[Symbol.iterator](), ...BATTERY_CURSOR);
  const states = new Map<number, ProstheticMonthState>();
  dev.advance();
  bat.advance();
  while (dev.row !== undefined || bat.row !== undefined) {
    const id = Math.min(dev.entity, bat.entity);
    const state = new ProstheticMonthState(period.startMs, period.endMs);
    for (;;) {
      const devHere = dev.entity === id;
      const batHere = bat.entity === id;
      if (devHere && (!batHere || dev.ts <= bat.ts)) {
        state.device(dev.row as DeviceEventRow);
        dev.advance();
      } else if (batHere) {
        state.battery(bat.row as BatteryMetricRow);
        bat.advance();
      } else {
        break;
      }
    }
    states.set(id, state.finish());
  }
  return buildRows(input.users, input.prosthetics, states, period, options.lastUpdated);
}

/**
 * {@link prostheticMonthlyMetrics} for async sources (a database cursor, a file
 * reader): the same streaming and the same results.
 */
export async function prostheticMonthlyMetricsAsync(
  input: ProstheticMonthlyInput<'async'>,
  options: MonthlyTransformOptions,
): Promise<ProstheticMonthlyMetrics[]> {
  const order = options.order ?? 'any';
  if (order === 'any') {
    return prostheticMonthlyMetrics(
      {
        users: await collectRows(input.users),
        prosthetics: await collectRows(input.prosthetics),
        deviceEvents: await collectRows(input.deviceEvents),
        batteryMetrics: await collectRows(input.batteryMetrics),
      },
      options,
    );
  }
  const period = resolvePeriod(options.month);
  const [users, prosthetics] = [await collectRows(input.users), await collectRows(input.prosthetics)];
  // The loop of prostheticMonthlyMetrics with awaited cursors, a copy on purpose: the sync loop is the
  // transform's hot path, awaiting its cursors would cost a microtask per row, and a merge function
  // shared by both cursor kinds measured slower there.
  const dev = new AsyncSortedCursor(input.deviceEvents, ...DEVICE_CURSOR);
  const bat = new AsyncSortedCursor(input.batteryMetrics, ...BATTERY_CURSOR);
  const states = new Map<number, ProstheticMonthState>();
  await dev.advance();
  await bat.advance();
  while (dev.row !== undefined || bat.row !== undefined) {
    const id = Math.min(dev.entity, bat.entity);
    const state = new ProstheticMonthState(period.startMs, period.endMs);
    for (;;) {
      const devHere = dev.entity === id;
      const batHere = bat.entity === id;
      if (devHere && (!batHere || dev.ts <= bat.ts)) {
        state.device(dev.row as DeviceEventRow);
        await dev.advance();
      } else if (batHere) {
        state.battery(bat.row as BatteryMetricRow);
        await bat.advance();
      } else {
        break;
      }
    }
    states.set(id, state.finish());
  }
  return buildRows(users, prosthetics, states, period, options.lastUpdated);
}

/** Deduplicates by id (first copy wins) and sorts by (entity, timestamp, id). */
function sortTelemetry<T extends { readonly id: Int64Text }>(
  rows: Iterable<T>,
  entityOf: (row: T) => number,
  tsOf: (row: T) => number,
): T[] {
  const unique = firstById(rows);
  const keyed = unique.map((row) => ({ row, entity: entityOf(row), ts: tsOf(row) }));
  keyed.sort((a, b) => a.entity - b.entity || a.ts - b.ts || compareInt64Text(a.row.id, b.row.id));
  return keyed.map((k) => k.row);
}

const EMPTY_STATE = (period: MonthPeriod) => new ProstheticMonthState(period.startMs, period.endMs).finish();

function buildRows(
  users: Iterable<Pick<UserRow, 'id' | 'user_uuid'>>,
  prosthetics: Iterable<ProstheticRow>,
  states: ReadonlyMap<number, ProstheticMonthState>,
  period: MonthPeriod,
  lastUpdated: Date,
): ProstheticMonthlyMetrics[] {
  const uuidByUser = new Map<number, string>();
  for (const user of users) if (!uuidByUser.has(user.id)) uuidByUser.set(user.id, user.user_uuid);
  const out: ProstheticMonthlyMetrics[] = [];
  const sorted = firstById(prosthetics).sort((a, b) => a.id - b.id);
  for (const prosthetic of sorted) {
    const userUuid = uuidByUser.get(prosthetic.user_id);
    if (userUuid === undefined) continue;
    const state = states.get(prosthetic.id);
    const include = state?.activeInMonth === true || prosthetic.created_at.getTime() < period.endMs;
    if (!include) continue;
    out.push(metricsRow(prosthetic, userUuid, state ?? EMPTY_STATE(period), period, lastUpdated));
  }
  return out;
}

function metricsRow(
  prosthetic: ProstheticRow,
  userUuid: string,
  s: ProstheticMonthState,
  period: MonthPeriod,
  lastUpdated: Date,
): ProstheticMonthlyMetrics {
  const totalActiveHours = s.activeMs / 3_600_000;
  const downtimeMinutes = s.downtimeMs / 60_000;
  const reliability =
    s.powerOnCount === 0
      ? null
      : clampPercent(100 - ((s.errorCount + s.criticalCount) / s.powerOnCount) * 100);
  return {
    user_id: prosthetic.user_id,
    prosthetic_id: prosthetic.id,
    report_date: period.firstDay,
    user_uuid: userUuid,
    prosthetic_uuid: prosthetic.prosthetic_uuid,
    device_type: prosthetic.device_type,
    power_on_count: s.powerOnCount,
    power_off_count: s.powerOffCount,
    total_active_hours: totalActiveHours,
    avg_discharge_rate_active:
      s.activeDischargeSamples === 0 ? null : s.activeDischargeSum / s.activeDischargeSamples,
    avg_discharge_rate_idle:
      s.idleDischargeSamples === 0 ? null : s.idleDischargeSum / s.idleDischargeSamples,
    avg_charge_rate: s.chargeSamples === 0 ? null : s.chargeSum / s.chargeSamples,
    charge_cycles: s.chargeCycles,
    warning_count: s.warningCount,
    error_count: s.errorCount,
    critical_error_count: s.criticalCount,
    downtime_minutes: downtimeMinutes,
    daily_usage_hours: totalActiveHours / period.days,
    reliability_pct: reliability,
    battery_health: s.chargeCycles < 3 ? 'good' : 'worn',
    status:
      s.criticalCount > 0
        ? 'critical'
        : (reliability !== null && reliability < 99) || downtimeMinutes > 0
          ? 'attention'
          : 'healthy',
    last_updated: lastUpdated,
  };
}

function clampPercent(value: number): number {
  return value < 0 ? 0 : Math.min(value, 100);
}
