import {
  columnsOf,
  DELETED_COLUMN,
  type Month,
  qualifiedTableName,
  tables,
  InvalidArgumentError,
  type MonthPeriod,
  resolvePeriod,
  type CompiledQuery,
  windowFromInclusive,
} from '@bionicpro/models';
import { clickhouseTimestamp } from './clickhouse-values.js';
import type { ReportWindow } from './telemetry-report.js';

/** Where the raw copies of the OLTP tables and the marts live. */
export interface KpiSqlOptions {
  /** Database of the raw tables (users, device_events, …); default: the client's database. */
  readonly rawDatabase?: string;
  /** Database of the mart; default: the client's database. */
  readonly martDatabase?: string;
  /** Table to insert into instead of the mart itself (a staging table). */
  readonly targetTable?: string;
  /**
   * Value of `last_updated`: the run's clock, read once at the edge (`runMonthlyJob`, the CLI)
   * and passed in, so compiling a statement never reads the clock.
   */
  readonly lastUpdated: Date;
}

/**
 * One slice of a mart's rows: the entities whose id satisfies `id % count = index`.
 * The slices of `index` 0 … `count - 1` together are the whole mart, each row in
 * exactly one slice; building a month slice by slice bounds the engine's working
 * memory by the slice instead of the month.
 */
export interface KpiShard {
  readonly count: number;
  readonly index: number;
}

/** Options of {@link prostheticMonthlyMetricsSql}. */
export interface ProstheticKpiSqlOptions extends KpiSqlOptions {
  /** Compute only the prostheses with `prosthetic_id % count = index` (default: all). */
  readonly shard?: KpiShard;
}

/** Rejects a shard that is not `0 <= index < count` with integer values. */
export function assertShard(shard: KpiShard): void {
  if (!Number.isSafeInteger(shard.count) || shard.count < 1) {
    throw new InvalidArgumentError(
      'shard',
      `shard.count must be an integer >= 1, got ${JSON.stringify(shard.count)}`,
    );
  }
  if (!Number.isSafeInteger(shard.index) || shard.index < 0 || shard.index >= shard.count) {
    throw new InvalidArgumentError(
      'shard',
      `shard.index must be an integer in [0, ${shard.count - 1}], got ${JSON.stringify(shard.index)}`,
    );
  }
}

function raw(options: Pick<KpiSqlOptions, 'rawDatabase'>, table: keyof typeof tables): string {
  return qualifiedTableName(table, options.rawDatabase);
}

/** Current rows of a raw ReplacingMergeTree table (both the batch ETL and the CDC sink write them). */
function current(
  options: Pick<KpiSqlOptions, 'rawDatabase'>,
  table: keyof typeof tables,
  columns: string,
  where = '',
): string {
  return `(SELECT ${columns} FROM ${raw(options, table)} FINAL WHERE ${DELETED_COLUMN} = 0${where ? ` AND ${where}` : ''})`;
}

function target(options: KpiSqlOptions, mart: keyof typeof tables): string {
  const name = qualifiedTableName(options.targetTable ?? mart, options.martDatabase);
  const columns = columnsOf(tables[mart]).map((c) => c.name);
  return `INSERT INTO ${name} (${columns.join(', ')})`;
}

function monthParams(period: MonthPeriod, options: KpiSqlOptions) {
  return {
    start: clickhouseTimestamp(period.startMs),
    end: clickhouseTimestamp(period.endMs),
    first_day: period.firstDay,
    last_day: period.lastDay,
    days: period.days,
    last_updated: clickhouseTimestamp(options.lastUpdated),
  };
}

const START = "{start:DateTime64(3, 'UTC')}";
const END = "{end:DateTime64(3, 'UTC')}";
const LAST_UPDATED = "{last_updated:DateTime64(3, 'UTC')}";

/**
 * `INSERT INTO report_user_monthly_metrics SELECT …` computing docs/kpis.md's
 * finance KPIs for one month inside ClickHouse from the raw `users`,
 * `subscriptions` and `payments` tables, with exactly the semantics of
 * {@link userMonthlyMetrics} (Decimal sums, subscriptions active on the
 * month's last day, users registered before the month's end or active in it).
 *
 * @example
 * ```ts
 * import { userMonthlyMetricsSql } from '@bionicpro/etl';
 * const { query, query_params } = userMonthlyMetricsSql('2024-01', {
 *   rawDatabase: 'raw',
 *   martDatabase: 'reports',
 *   lastUpdated: new Date(), // the run's clock, read once by the caller
 * });
 * await client.command({ query, query_params });
 * ```
 */
export function userMonthlyMetricsSql(
  month: string | Month | MonthPeriod,
  options: KpiSqlOptions,
): CompiledQuery {
  const period = resolvePeriod(month);
  const query = `${target(options, 'report_user_monthly_metrics')}
WITH
  pay AS (
    SELECT user_id,
      sumIf(amount, status IN ('success', 'failed')) AS total,
      sumIf(amount, status = 'success') AS successful,
      countIf(status = 'failed') AS failed,
      countIf(status = 'pending') AS pending
    FROM ${current(options, 'payments', 'user_id, amount, status, payment_date', `payment_date >= ${START} AND payment_date < ${END}`)}
    GROUP BY user_id
  ),
  subs AS (
    SELECT user_id, count() AS active, sum(monthly_cost) AS cost
    FROM ${current(options, 'subscriptions', 'user_id, start_date, end_date, monthly_cost', '')}
    WHERE start_date <= {last_day:Date} AND (end_date IS NULL OR end_date >= {last_day:Date})
    GROUP BY user_id
  )
SELECT
  u.id,
  {first_day:Date},
  u.user_uuid,
  p.total,
  p.successful,
  p.failed,
  p.pending,
  s.active,
  s.cost,
  if(p.total = 0, NULL, toInt64(p.successful * 100) / toInt64(p.total * 100)),
  s.cost * 12,
  ${LAST_UPDATED}
FROM ${current(options, 'users', 'id, user_uuid, registered_at')} AS u
LEFT JOIN pay AS p ON p.user_id = u.id
LEFT JOIN subs AS s ON s.user_id = u.id
WHERE u.registered_at < ${END} OR p.user_id != 0 OR s.user_id != 0
SETTINGS join_use_nulls = 0`;
  return { query, query_params: monthParams(period, options) };
}

/**
 * `(timestamp, id)` order of one prosthesis's rows, cheaply: each row is an
 * `Int64` key `ms * 2 + flag` (ms relative to the month's start), `sorted` as
 * plain numbers; only when two rows of one instant carry different flags does
 * the id decide, and then (rarely) the keys are sorted again by `(ms, id)`.
 */
const inIdOrder = (sorted: string, keys: string, ids: string) =>
  `if(arrayExists((d, k) -> d = 1 AND bitAnd(k, 1) = 1, arrayDifference(${sorted}), ${sorted}),
        arraySort((k, i) -> (intDiv(k - bitAnd(k, 1), 2), i), ${keys}, ${ids}), ${sorted})`;

/** Reads of the raw device and battery rows, limited to the shard (the primary key starts with prosthetic_id). */
interface ProstheticReads {
  readonly inShard: (column: string, where?: string) => string;
  readonly devices: (where: string) => string;
  readonly batteries: (where: string) => string;
}

function prostheticReads(options: ProstheticKpiSqlOptions): ProstheticReads {
  const inShard = (column: string, where = '') => {
    const filter = options.shard ? `${column} % {shard_count:UInt64} = {shard_index:UInt64}` : '';
    return [where, filter].filter(Boolean).join(' AND ');
  };
  return {
    inShard,
    devices: (where) =>
      current(
        options,
        'device_events',
        'prosthetic_id, toUnixTimestamp64Milli(event_timestamp) - {start_ms:Int64} AS r, id, event_type, severity',
        inShard('prosthetic_id', where),
      ),
    batteries: (where) =>
      current(
        options,
        'battery_metrics',
        'prosthetic_id, toUnixTimestamp64Milli(metric_timestamp) - {start_ms:Int64} AS r, id, charge_level, current_ma, is_charging',
        inShard('prosthetic_id', where),
      ),
  };
}

const IS_POWER = "event_type IN ('power_on', 'power_off')";
const IS_ON = "event_type = 'power_on'";
const IS_DECISIVE = '(charge_level < 50 OR charge_level > 95)';
/** The month's length in ms; instants `r` are ms from the month's start. */
const MONTH_MS = '{month_ms:Int64}';

/** `dev_month`: Per prosthesis, the month's device events: counts by type and severity, the last instant, the power instants (key `ms * 2`, `+ 1` for power_on) with their ids, the critical events. */
function devMonthCte(reads: ProstheticReads): string {
  return `dev_month AS (
    SELECT prosthetic_id AS d_id,
      countIf(${IS_ON}) AS d_on,
      countIf(event_type = 'power_off') AS d_off,
      countIf(severity = 'warning') AS d_warning,
      countIf(severity = 'error') AS d_error,
      countIf(severity = 'critical') AS d_critical,
      max(r) AS d_last,
      groupArrayIf(r * 2 + (${IS_ON}), ${IS_POWER}) AS d_power_keys,
      groupArrayIf(id, ${IS_POWER}) AS d_power_ids,
      groupArrayIf(r, severity = 'critical') AS d_criticals
    FROM ${reads.devices(`event_timestamp >= ${START} AND event_timestamp < ${END}`)}
    GROUP BY prosthetic_id
  )`;
}

/** `dev_before`: Per prosthesis, the device events before the month: the last power instant (carried into the month) and the critical events still pending after the last power_on. */
function devBeforeCte(reads: ProstheticReads): string {
  return `dev_before AS (
    SELECT prosthetic_id AS db_id,
      countIf(${IS_POWER}) AS db_powers,
      argMaxIf(r * 2 + (${IS_ON}), (r, id), ${IS_POWER}) AS db_power_key,
      countIf(${IS_ON}) AS db_ons,
      maxIf(r, ${IS_ON}) AS db_last_on,
      -- critical events after the last power_on: their downtime runs into the month
      arrayCount(c -> db_ons = 0 OR c > db_last_on, groupArrayIf(r, severity = 'critical')) AS db_pending
    FROM ${reads.devices(`event_timestamp < ${START}`)}
    GROUP BY prosthetic_id
  )`;
}

/** `dev_after`: The prostheses with device events after the month (their last event seen is the month's end). */
function devAfterCte(reads: ProstheticReads): string {
  return `dev_after AS (
    SELECT DISTINCT prosthetic_id AS da_id FROM ${reads.devices(`event_timestamp >= ${END}`)}
  )`;
}

/** `bat_month`: Per prosthesis, the month's battery samples: charging count and sum, the discharging samples (key `ms * 4 + 3`) and the decisive samples (key `ms * 2`, `+ 1` above 95 %) with their ids. */
function batMonthCte(reads: ProstheticReads): string {
  return `bat_month AS (
    SELECT prosthetic_id AS b_id,
      countIf(is_charging) AS b_n_charge,
      sumIf(current_ma, is_charging) AS b_s_charge,
      groupArrayIf(r * 4 + 3, current_ma < 0) AS b_discharge_keys,
      groupArrayIf(-current_ma, current_ma < 0) AS b_discharge_values,
      groupArrayIf(r * 2 + (charge_level > 95), ${IS_DECISIVE}) AS b_decisive_keys,
      groupArrayIf(id, ${IS_DECISIVE}) AS b_decisive_ids
    FROM ${reads.batteries(`metric_timestamp >= ${START} AND metric_timestamp < ${END}`)}
    GROUP BY prosthetic_id
  )`;
}

/** `bat_before`: Per prosthesis, whether the last decisive sample before the month was above 95 %. */
function batBeforeCte(reads: ProstheticReads): string {
  return `bat_before AS (
    SELECT prosthetic_id AS bb_id, argMax(charge_level > 95, (r, id)) AS bb_high
    FROM ${reads.batteries(`metric_timestamp < ${START} AND ${IS_DECISIVE}`)}
    GROUP BY prosthetic_id
  )`;
}

/** `joined`: One row per current prosthesis of a current user (created before the month's end or seen in it) with its device and battery aggregates and the carried states. */
function joinedCte(options: KpiSqlOptions, reads: ProstheticReads): string {
  return `joined AS (
    SELECT p.user_id AS s_user_id, p.id AS s_prosthetic_id, u.user_uuid AS s_user_uuid,
      p.prosthetic_uuid AS s_prosthetic_uuid, p.device_type AS s_device_type,
      d_on AS s_on, d_off AS s_off, d_warning AS s_warning, d_error AS s_error, d_critical AS s_critical,
      b_n_charge AS s_n_charge, b_s_charge AS s_sum_charge,
      -- the last device event seen, or the month's end when the prosthesis has later events
      if(da_id != 0, ${MONTH_MS}, if(d_id != 0, d_last, 0)) AS last_seen,
      d_power_keys, d_power_ids, arraySort(d_power_keys) AS d_power_sorted,
      if(db_powers > 0, [db_power_key], []) AS carried_power,
      d_criticals, db_pending, b_discharge_keys, b_discharge_values,
      b_decisive_keys, b_decisive_ids, arraySort(b_decisive_keys) AS b_decisive_sorted,
      if(bb_id != 0, [toInt64(bb_high)], []) AS carried_high
    FROM ${current(options, 'prosthetics', 'id, user_id, prosthetic_uuid, device_type, created_at', reads.inShard('id'))} AS p
    INNER JOIN ${current(options, 'users', 'id, user_uuid')} AS u ON u.id = p.user_id
    LEFT JOIN dev_month AS d ON d_id = p.id
    LEFT JOIN dev_before AS db ON db_id = p.id
    LEFT JOIN dev_after AS da ON da_id = p.id
    LEFT JOIN bat_month AS b ON b_id = p.id
    LEFT JOIN bat_before AS bb ON bb_id = p.id
    WHERE p.created_at < ${END} OR d_id != 0 OR b_id != 0
  )`;
}

/** `ordered`: The power events and decisive samples in `(timestamp, id)` order, the carried one first, and the discharging values in time order. */
function orderedCte(): string {
  return `ordered AS (
    SELECT *,
      -- the power events in (timestamp, id) order, the last one before the month first
      arrayConcat(carried_power, ${inIdOrder('d_power_sorted', 'd_power_keys', 'd_power_ids')}) AS power_keys,
      arrayMap(k -> intDiv(k - bitAnd(k, 1), 2), power_keys) AS power_t,
      arrayMap(k -> bitAnd(k, 1), power_keys) AS power_on,
      -- decisive samples in (timestamp, id) order, the last one before the month first: 1 above 95 %
      arrayConcat(carried_high, arrayMap(k -> bitAnd(k, 1), ${inIdOrder('b_decisive_sorted', 'b_decisive_keys', 'b_decisive_ids')})) AS high,
      -- samples in time order (they usually arrive so)
      if(arrayAll((a, b) -> a <= b, arrayPopBack(b_discharge_keys), arrayPopFront(b_discharge_keys)),
        b_discharge_values, arraySort((v, k) -> k, b_discharge_values, b_discharge_keys)) AS discharge_values
    FROM joined
  )`;
}

/** `timeline`: Active time from the power timeline, the power state in force at each discharging sample, and the downtime keys (critical events `ms * 2`, power_ons `ms * 2 + 1`). */
function timelineCte(): string {
  return `timeline AS (
    SELECT *,
      arraySum((t, next, on) -> if(on = 1, greatest(0, least(next, ${MONTH_MS}) - greatest(t, 0)), 0),
        power_t, arrayPopFront(arrayPushBack(power_t, last_seen)), power_on) AS s_active_ms,
      -- the state after each power instant (ms * 4, + 1 when off), a power_off at the last event
      -- seen (ms * 4 + 2) and the discharging samples (ms * 4 + 3), in order
      arraySort(arrayConcat(
        arrayFilter((k, t, next) -> t != next, arrayMap((t, on) -> t * 4 + 1 - on, power_t, power_on),
          power_t, arrayPopFront(arrayPushBack(power_t, power_t[-1] + 1))),
        [last_seen * 4 + 2], b_discharge_keys)) AS merged,
      -- per sample (in time order): the state in force is on
      arrayMap(k -> bitAnd(k, 3) = 0,
        arrayFilter((f, k) -> bitAnd(k, 3) = 3, arrayFill(k -> bitAnd(k, 3) != 3, merged), merged)) AS active,
      arraySort(arrayConcat(
        arrayMap(t -> t * 2, d_criticals),
        arrayWithConstant(db_pending, toInt64(0)),
        arrayMap(t -> t * 2 + 1, arrayFilter((t, on) -> on = 1 AND t >= 0, power_t, power_on)))) AS downtime_keys
    FROM ordered
  )`;
}

/** `stats`: The per-prosthesis sums: active and idle discharge, charge cycles, downtime. */
function statsCte(): string {
  return `stats AS (
    SELECT *,
      arrayCount(a -> a, active) AS s_n_active,
      arraySum((v, a) -> if(a, v, 0), discharge_values, active) AS s_sum_active,
      length(active) - s_n_active AS s_n_idle,
      arraySum((v, a) -> if(a, 0, v), discharge_values, active) AS s_sum_idle,
      arrayCount((h, previous) -> h = 1 AND previous = 0, high, arrayPopBack(arrayPushFront(high, 1))) AS s_cycles,
      arraySum((k, next) -> if(bitAnd(k, 1) = 0, if(bitAnd(next, 1) = 1, intDiv(next, 2), ${MONTH_MS}) - intDiv(k, 2), 0),
        downtime_keys, arrayReverseFill(k -> bitAnd(k, 1) = 1, downtime_keys)) AS s_downtime_ms
    FROM timeline
  )`;
}

/** The mart's columns from `stats`, in the table's order. */
const PROSTHETIC_SELECT = `SELECT
  s_user_id,
  s_prosthetic_id,
  {first_day:Date},
  s_user_uuid,
  s_prosthetic_uuid,
  s_device_type,
  s_on,
  s_off,
  s_active_ms / 3600000,
  if(s_n_active = 0, NULL, s_sum_active / s_n_active),
  if(s_n_idle = 0, NULL, s_sum_idle / s_n_idle),
  if(s_n_charge = 0, NULL, s_sum_charge / s_n_charge),
  s_cycles,
  s_warning,
  s_error,
  s_critical,
  s_downtime_ms / 60000,
  (s_active_ms / 3600000) / {days:UInt32},
  if(s_on = 0, NULL, greatest(0, least(100, 100 - ((s_error + s_critical) / s_on) * 100))) AS s_reliability,
  if(s_cycles < 3, 'good', 'worn'),
  multiIf(
    s_critical > 0, 'critical',
    (s_reliability IS NOT NULL AND s_reliability < 99) OR s_downtime_ms > 0, 'attention',
    'healthy'),
  ${LAST_UPDATED}
FROM stats
SETTINGS join_use_nulls = 0`;

/**
 * `INSERT INTO report_prosthetic_monthly_metrics SELECT …`: docs/kpis.md's
 * engineering KPIs for one month inside ClickHouse, with exactly the semantics
 * of {@link prostheticMonthlyMetrics}.
 *
 * Each raw table is read once for the month (plus small aggregates of the rows
 * before and after it, for context) and folded per prosthesis into numeric
 * arrays; the sequential rules are array functions per prosthesis instead of
 * window functions, `ASOF` joins or repeated `FINAL` scans. Times are
 * milliseconds relative to the month's start.
 *
 * - sessions: the power events in `(timestamp, id)` order, the last one before
 *   the month first; each lasts to the next one or, for the last, to the
 *   prosthesis's last device event (the month's end when later events exist);
 *   power_on spans are clipped to the month and summed;
 * - battery: the power state after each power instant (key `ms * 4`, `+ 1`
 *   when off), a power_off at the last device event (`ms * 4 + 2`) and the
 *   month's discharging samples (`ms * 4 + 3`) are sorted together and
 *   `arrayFill` carries the state onto each sample (a sample at a power_on
 *   instant is inside, at a power_off instant outside, after the last device
 *   event outside);
 * - `id` serves only to order rows of one instant (see `inIdOrder`); reading
 *   it is about a quarter of the query's time on the bench data.
 * - charge cycles: decisive samples (< 50 % or > 95 %) in `(timestamp, id)`
 *   order, the last one before the month first, counting a high one right
 *   after a low one;
 * - downtime: the month's critical events (key `ms * 2`; those before the month
 *   after its last power_on count from the month's start) and power_ons
 *   (`ms * 2 + 1`) sorted together; `arrayReverseFill` gives each critical
 *   event the next power_on at or after it, else the month's end.
 *
 * The arrays of all prostheses are held at once, so the engine's working
 * memory grows with the month's device and battery rows (about 50 MB per
 * million on chDB). `shard` computes one slice of the prostheses; inserting
 * the slices `0 … count - 1` one after another into the same table gives the
 * same rows with a fraction of the memory ({@link runMonthlyJob} does so
 * when the month has more than `pushdownShardRows` rows).
 *
 * @example
 * ```ts
 * import { prostheticMonthlyMetricsSql } from '@bionicpro/etl';
 * const lastUpdated = new Date(); // the run's clock, read once by the caller
 * const { query, query_params } = prostheticMonthlyMetricsSql('2024-01', { rawDatabase: 'raw', lastUpdated });
 * // the same month in four slices
 * for (let index = 0; index < 4; index += 1) {
 *   await client.command(prostheticMonthlyMetricsSql('2024-01', { rawDatabase: 'raw', lastUpdated, shard: { count: 4, index } }));
 * }
 * ```
 */
export function prostheticMonthlyMetricsSql(
  month: string | Month | MonthPeriod,
  options: ProstheticKpiSqlOptions,
): CompiledQuery {
  const period = resolvePeriod(month);
  if (options.shard) assertShard(options.shard);
  const reads = prostheticReads(options);
  const ctes = [
    devMonthCte(reads),
    devBeforeCte(reads),
    devAfterCte(reads),
    batMonthCte(reads),
    batBeforeCte(reads),
    joinedCte(options, reads),
    orderedCte(),
    timelineCte(),
    statsCte(),
  ];
  const query = `${target(options, 'report_prosthetic_monthly_metrics')}
WITH
  ${ctes.join(',\n  ')}
${PROSTHETIC_SELECT}`;
  return {
    query,
    query_params: {
      ...monthParams(period, options),
      start_ms: period.startMs,
      month_ms: period.endMs - period.startMs,
      ...(options.shard ? { shard_count: options.shard.count, shard_index: options.shard.index } : {}),
    },
  };
}

/**
 * `INSERT INTO user_prosthesis_stats SELECT …`: docs/kpis.md's hourly mart for one
 * month inside ClickHouse, with exactly the semantics of
 * {@link userProsthesisHourlyStats}.
 *
 * @example
 * ```ts
 * import { userProsthesisHourlyStatsSql } from '@bionicpro/etl';
 * const { query, query_params } = userProsthesisHourlyStatsSql('2024-01', { rawDatabase: 'raw', lastUpdated: new Date() });
 * ```
 */
export function userProsthesisHourlyStatsSql(
  month: string | Month | MonthPeriod,
  options: KpiSqlOptions,
): CompiledQuery {
  const period = resolvePeriod(month);
  const inMonth = (column: string) => `${column} >= ${START} AND ${column} < ${END}`;
  const pros = current(options, 'prosthetics', 'id, user_id, chip_id, model, is_active');
  const query = `${target(options, 'user_prosthesis_stats')}
WITH
  pros AS ${pros},
  facts AS (
    SELECT user_id, toStartOfHour(event_timestamp) AS hour, 1 AS movement,
      CAST(NULL AS Nullable(Float64)) AS response, 0 AS is_error, CAST(NULL AS Nullable(Float64)) AS level
    FROM ${current(options, 'telemetry_events', 'user_id, event_timestamp', inMonth('event_timestamp'))}
    UNION ALL
    SELECT p.user_id, toStartOfHour(d.event_timestamp), 0, CAST(d.response_time_ms AS Nullable(Float64)),
      d.severity IN ('error', 'critical'), CAST(NULL AS Nullable(Float64))
    FROM ${current(options, 'device_events', 'prosthetic_id, event_timestamp, response_time_ms, severity', inMonth('event_timestamp'))} AS d
    INNER JOIN pros AS p ON p.id = d.prosthetic_id
    UNION ALL
    SELECT p.user_id, toStartOfHour(b.metric_timestamp), 0, CAST(NULL AS Nullable(Float64)), 0,
      CAST(b.charge_level AS Nullable(Float64))
    FROM ${current(options, 'battery_metrics', 'prosthetic_id, metric_timestamp, charge_level', inMonth('metric_timestamp'))} AS b
    INNER JOIN pros AS p ON p.id = b.prosthetic_id
  ),
  hours AS (
    SELECT user_id AS h_user_id, hour AS h_hour, sum(movement) AS h_movements, avg(response) AS h_response,
      avg(level) AS h_level, sum(is_error) AS h_errors
    FROM facts GROUP BY user_id, hour
  ),
  primary_prosthetic AS (
    SELECT user_id AS pp_user_id, min(tuple(id, chip_id, model)) AS pp FROM pros WHERE is_active GROUP BY user_id
  )
SELECT
  h_user_id,
  toDate(h_hour, 'UTC'),
  h_hour,
  u.user_uuid,
  if(pp_user_id = 0, NULL, pp.1),
  if(pp_user_id = 0, NULL, pp.2),
  u.ldap_username,
  u.name,
  u.email,
  if(pp_user_id = 0, NULL, pp.3),
  h_movements,
  h_response,
  h_level,
  h_errors,
  if(h_movements = 0, NULL, h_errors / h_movements),
  ${LAST_UPDATED}
FROM hours
INNER JOIN ${current(options, 'users', 'id, user_uuid, ldap_username, name, email')} AS u ON u.id = h_user_id
LEFT JOIN primary_prosthetic ON pp_user_id = h_user_id
SETTINGS join_use_nulls = 0`;
  return { query, query_params: monthParams(period, options) };
}

/** One row of {@link telemetryReportSql}: a user's totals for one prosthesis type. */
export interface TelemetryReportSqlRow {
  readonly user_id: number;
  readonly user_name: string;
  readonly user_email: string;
  readonly prosthesis_type: string;
  readonly events_count: number | string;
  readonly total_duration: number | string;
  readonly avg_amplitude: number;
  readonly avg_frequency: number;
}

/**
 * `SELECT` of the EMG per-prosthesis-type report rows (docs/reports.md `POST
 * /report`) from the raw `telemetry_events` and `users`, optionally for one
 * user and an inclusive window; events of users that no longer exist are left
 * out. Assemble the reports with {@link telemetryReportsFromRows}.
 *
 * @example
 * ```ts
 * import { telemetryReportSql } from '@bionicpro/etl';
 * const q = telemetryReportSql({ start_ts: new Date('2026-01-01T00:00:00Z') }, { rawDatabase: 'raw', userId: 512 });
 * ```
 */
export function telemetryReportSql(
  window: ReportWindow = {},
  options: Pick<KpiSqlOptions, 'rawDatabase'> & { readonly userId?: number } = {},
): CompiledQuery {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  // The API's inclusive window, converted at this edge to the half-open [start, end).
  const { start, end } = windowFromInclusive(window.start_ts, window.end_ts);
  if (start) {
    where.push("event_timestamp >= {start_ts:DateTime64(3, 'UTC')}");
    params.start_ts = clickhouseTimestamp(start);
  }
  if (end) {
    where.push("event_timestamp < {end_ts:DateTime64(3, 'UTC')}");
    params.end_ts = clickhouseTimestamp(end);
  }
  if (options.userId !== undefined) {
    where.push('user_id = {user_id:Int32}');
    params.user_id = options.userId;
  }
  const events = current(
    options,
    'telemetry_events',
    'user_id, prosthesis_type, signal_duration, signal_amplitude, signal_frequency, event_timestamp',
    where.join(' AND '),
  );
  const query = `SELECT e.user_id AS user_id, u.name AS user_name, u.email AS user_email,
  e.prosthesis_type AS prosthesis_type, count() AS events_count, sum(e.signal_duration) AS total_duration,
  avg(e.signal_amplitude) AS avg_amplitude, avg(e.signal_frequency) AS avg_frequency
FROM ${events} AS e
INNER JOIN ${current(options, 'users', 'id, name, email')} AS u ON u.id = e.user_id
GROUP BY e.user_id, u.name, u.email, e.prosthesis_type
ORDER BY user_id, prosthesis_type`;
  return { query, query_params: params };
}

/** Folds {@link telemetryReportSql} rows (ordered by user and type) into one report per user. */
export function telemetryReportsFromRows(rows: Iterable<TelemetryReportSqlRow>) {
  const out: import('./telemetry-report.js').UserTelemetryReport[] = [];
  for (const row of rows) {
    let report = out[out.length - 1];
    if (report === undefined || report.user_id !== row.user_id) {
      report = {
        user_id: row.user_id,
        user_name: row.user_name,
        user_email: row.user_email,
        total_events: 0,
        total_duration: 0,
        prosthesis_stats: [],
      };
      out.push(report);
    }
    const events = Number(row.events_count);
    const duration = Number(row.total_duration);
    const mutable = report as { total_events: number; total_duration: number; prosthesis_stats: unknown[] };
    mutable.total_events += events;
    mutable.total_duration += duration;
    mutable.prosthesis_stats.push({
      prosthesis_type: row.prosthesis_type,
      events_count: events,
      total_duration: duration,
      avg_amplitude: row.avg_amplitude,
      avg_frequency: row.avg_frequency,
    });
  }
  return out;
}
