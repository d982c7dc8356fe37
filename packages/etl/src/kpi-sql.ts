import { columnsOf, DELETED_COLUMN, type Month, qualifiedTableName, tables } from '@bionicpro/models';
import type { MonthPeriod } from './period.js';
import { resolvePeriod } from './prosthetic-monthly-metrics.js';
import type { ReportWindow } from './telemetry-report.js';

/**
 * A compiled ClickHouse statement: SQL text with `{name:Type}` placeholders and
 * the values to bind. Nothing is spliced into the text except validated
 * identifiers (database and table names).
 */
export interface CompiledQuery {
  readonly query: string;
  readonly query_params: Readonly<Record<string, unknown>>;
}

/** Where the raw copies of the OLTP tables and the marts live. */
export interface KpiSqlOptions {
  /** Database of the raw tables (users, device_events, …); default: the client's database. */
  readonly rawDatabase?: string;
  /** Database of the mart; default: the client's database. */
  readonly martDatabase?: string;
  /** Table to insert into instead of the mart itself (a staging table). */
  readonly targetTable?: string;
  /** Value of `last_updated` (default: now). */
  readonly lastUpdated?: Date;
}

/** `YYYY-MM-DD HH:MM:SS.mmm`, the text form ClickHouse parses for `DateTime64(3, 'UTC')` parameters. */
export function clickhouseTimestamp(instant: Date | number): string {
  const iso = new Date(instant).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

function raw(options: KpiSqlOptions, table: keyof typeof tables): string {
  return qualifiedTableName(table, options.rawDatabase);
}

/** Current rows of a raw ReplacingMergeTree table (both the batch ETL and the CDC sink write them). */
function current(options: KpiSqlOptions, table: keyof typeof tables, columns: string, where = ''): string {
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
    last_updated: clickhouseTimestamp(options.lastUpdated ?? new Date()),
  };
}

const START = "{start:DateTime64(3, 'UTC')}";
const END = "{end:DateTime64(3, 'UTC')}";
const LAST_UPDATED = "{last_updated:DateTime64(3, 'UTC')}";
const MS = (expr: string) => `toUnixTimestamp64Milli(${expr})`;

/**
 * `INSERT INTO report_user_monthly_metrics SELECT …` computing SPEC §3's
 * finance KPIs for one month inside ClickHouse from the raw `users`,
 * `subscriptions` and `payments` tables, with exactly the semantics of
 * {@link userMonthlyMetrics} (Decimal sums, subscriptions active on the
 * month's last day, users registered before the month's end or active in it).
 *
 * @example
 * ```ts
 * import { userMonthlyMetricsSql } from '@bionicpro/etl';
 * const { query, query_params } = userMonthlyMetricsSql('2024-01', { rawDatabase: 'raw', martDatabase: 'reports' });
 * await client.command({ query, query_params });
 * ```
 */
export function userMonthlyMetricsSql(
  month: string | Month | MonthPeriod,
  options: KpiSqlOptions = {},
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
 * `INSERT INTO report_prosthetic_monthly_metrics SELECT …`: SPEC §3's
 * engineering KPIs for one month inside ClickHouse, with exactly the semantics
 * of {@link prostheticMonthlyMetrics}:
 *
 * - sessions: power events in `(event_timestamp, id)` order, each power_on
 *   lasting to the next power event (`leadInFrame`) or, for the last one, to the
 *   prosthesis's last device event; the last power event before the month
 *   supplies a session open at its start; every session is clipped to the month;
 * - battery: each discharging sample is matched to the power state in force at
 *   its instant (`ASOF JOIN`), and is active when that state is on and a device
 *   event follows it;
 * - charge cycles: decisive samples (< 50 % or > 95 %), the last one before the
 *   month included, counting a high one right after a low one;
 * - downtime: each critical event (in the month, or before it and after the
 *   last power_on) to the next power_on at or after it (`ASOF JOIN`), else to
 *   the month's end, clipped to the month.
 *
 * @example
 * ```ts
 * import { prostheticMonthlyMetricsSql } from '@bionicpro/etl';
 * const { query, query_params } = prostheticMonthlyMetricsSql('2024-01', { rawDatabase: 'raw' });
 * ```
 */
export function prostheticMonthlyMetricsSql(
  month: string | Month | MonthPeriod,
  options: KpiSqlOptions = {},
): CompiledQuery {
  const period = resolvePeriod(month);
  const dev = current(
    options,
    'device_events',
    'prosthetic_id, event_timestamp AS ts, id, event_type, severity',
  );
  const bat = current(
    options,
    'battery_metrics',
    'prosthetic_id, metric_timestamp AS ts, id, charge_level, current_ma, is_charging',
  );
  const query = `${target(options, 'report_prosthetic_monthly_metrics')}
WITH
  dev AS ${dev},
  counts AS (
    SELECT prosthetic_id,
      countIf(event_type = 'power_on') AS c_on,
      countIf(event_type = 'power_off') AS c_off,
      countIf(severity = 'warning') AS c_warning,
      countIf(severity = 'error') AS c_error,
      countIf(severity = 'critical') AS c_critical
    FROM dev WHERE ts >= ${START} AND ts < ${END}
    GROUP BY prosthetic_id
  ),
  last_event AS (
    SELECT prosthetic_id, max(ts) AS last_ts FROM dev WHERE ts >= ${START} GROUP BY prosthetic_id
  ),
  power AS (
    SELECT prosthetic_id, ts, id, event_type = 'power_on' AS is_on
    FROM dev WHERE event_type IN ('power_on', 'power_off') AND ts >= ${START} AND ts < ${END}
    UNION ALL
    SELECT prosthetic_id, max_key.1 AS ts, max_key.2 AS id, max_key.3 AS is_on
    FROM (
      SELECT prosthetic_id, max(tuple(ts, id, event_type = 'power_on')) AS max_key
      FROM dev WHERE event_type IN ('power_on', 'power_off') AND ts < ${START}
      GROUP BY prosthetic_id
    )
  ),
  sessions AS (
    SELECT prosthetic_id,
      sum(greatest(0, least(${MS('session_end')}, ${MS(END)}) - greatest(${MS('ts')}, ${MS(START)}))) AS active_ms
    FROM (
      SELECT s.prosthetic_id, s.ts, s.is_on,
        ifNull(s.next_ts, l.last_ts) AS session_end
      FROM (
        SELECT prosthetic_id, ts, is_on,
          leadInFrame(toNullable(ts)) OVER (
            PARTITION BY prosthetic_id ORDER BY ts, id ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING
          ) AS next_ts
        FROM power
      ) AS s
      LEFT JOIN last_event AS l ON l.prosthetic_id = s.prosthetic_id
      WHERE s.is_on AND l.prosthetic_id != 0
    )
    GROUP BY prosthetic_id
  ),
  power_state AS (
    SELECT prosthetic_id, ts, argMax(is_on, id) AS on_after FROM power GROUP BY prosthetic_id, ts
  ),
  samples AS (
    SELECT b.prosthetic_id AS prosthetic_id, b.current_ma AS current_ma, b.is_charging AS is_charging,
      ps.on_after AND b.ts < l.last_ts AS in_session
    FROM (SELECT * FROM ${bat} WHERE ts >= ${START} AND ts < ${END}) AS b
    ASOF LEFT JOIN power_state AS ps ON ps.prosthetic_id = b.prosthetic_id AND b.ts >= ps.ts
    LEFT JOIN last_event AS l ON l.prosthetic_id = b.prosthetic_id
  ),
  battery AS (
    SELECT prosthetic_id,
      countIf(is_charging) AS n_charge, sumIf(current_ma, is_charging) AS s_charge,
      countIf(current_ma < 0 AND in_session) AS n_active, sumIf(-current_ma, current_ma < 0 AND in_session) AS s_active,
      countIf(current_ma < 0 AND NOT in_session) AS n_idle, sumIf(-current_ma, current_ma < 0 AND NOT in_session) AS s_idle
    FROM samples GROUP BY prosthetic_id
  ),
  decisive AS (
    SELECT prosthetic_id, ts, id, charge_level FROM ${bat}
    WHERE (charge_level < 50 OR charge_level > 95) AND ts >= ${START} AND ts < ${END}
    UNION ALL
    SELECT prosthetic_id, k.1, k.2, k.3 FROM (
      SELECT prosthetic_id, max(tuple(ts, id, charge_level)) AS k FROM ${bat}
      WHERE (charge_level < 50 OR charge_level > 95) AND ts < ${START}
      GROUP BY prosthetic_id
    )
  ),
  cycles AS (
    SELECT prosthetic_id, countIf(ts >= ${START} AND charge_level > 95 AND ifNull(previous < 50, 0)) AS c_cycles
    FROM (
      SELECT prosthetic_id, ts, charge_level,
        lagInFrame(toNullable(charge_level)) OVER (
          PARTITION BY prosthetic_id ORDER BY ts, id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW
        ) AS previous
      FROM decisive
    )
    GROUP BY prosthetic_id
  ),
  last_on_before AS (
    SELECT prosthetic_id, max(ts) AS on_ts FROM dev WHERE event_type = 'power_on' AND ts < ${START} GROUP BY prosthetic_id
  ),
  criticals AS (
    SELECT prosthetic_id, ts FROM dev WHERE severity = 'critical' AND ts >= ${START} AND ts < ${END}
    UNION ALL
    SELECT d.prosthetic_id, d.ts FROM dev AS d
    LEFT JOIN last_on_before AS o ON o.prosthetic_id = d.prosthetic_id
    WHERE d.severity = 'critical' AND d.ts < ${START} AND (o.prosthetic_id = 0 OR d.ts > o.on_ts)
  ),
  power_ons AS (
    SELECT prosthetic_id, ts FROM dev WHERE event_type = 'power_on' AND ts >= ${START} AND ts < ${END}
  ),
  downtime AS (
    SELECT c.prosthetic_id AS prosthetic_id,
      sum(greatest(0,
        least(if(o.prosthetic_id != 0 AND o.ts >= c.ts, ${MS('o.ts')}, ${MS(END)}), ${MS(END)})
        - greatest(${MS('c.ts')}, ${MS(START)}))) AS downtime_ms
    FROM criticals AS c
    ASOF LEFT JOIN power_ons AS o ON o.prosthetic_id = c.prosthetic_id AND c.ts <= o.ts
    GROUP BY c.prosthetic_id
  ),
  stats AS (
    SELECT p.user_id AS s_user_id, p.id AS s_prosthetic_id, u.user_uuid AS s_user_uuid,
      p.prosthetic_uuid AS s_prosthetic_uuid, p.device_type AS s_device_type,
      c.c_on AS s_on, c.c_off AS s_off, c.c_warning AS s_warning, c.c_error AS s_error, c.c_critical AS s_critical,
      se.active_ms AS s_active_ms, dt.downtime_ms AS s_downtime_ms, cy.c_cycles AS s_cycles,
      b.n_charge AS s_n_charge, b.s_charge AS s_sum_charge,
      b.n_active AS s_n_active, b.s_active AS s_sum_active, b.n_idle AS s_n_idle, b.s_idle AS s_sum_idle
    FROM ${current(options, 'prosthetics', 'id, user_id, prosthetic_uuid, device_type, created_at')} AS p
    INNER JOIN ${current(options, 'users', 'id, user_uuid')} AS u ON u.id = p.user_id
    LEFT JOIN counts AS c ON c.prosthetic_id = p.id
    LEFT JOIN sessions AS se ON se.prosthetic_id = p.id
    LEFT JOIN battery AS b ON b.prosthetic_id = p.id
    LEFT JOIN cycles AS cy ON cy.prosthetic_id = p.id
    LEFT JOIN downtime AS dt ON dt.prosthetic_id = p.id
    WHERE p.created_at < ${END} OR c.prosthetic_id != 0 OR b.prosthetic_id != 0
  )
SELECT
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
  return { query, query_params: monthParams(period, options) };
}

/**
 * `INSERT INTO user_prosthesis_stats SELECT …`: SPEC §3's hourly mart for one
 * month inside ClickHouse, with exactly the semantics of
 * {@link userProsthesisHourlyStats}.
 *
 * @example
 * ```ts
 * import { userProsthesisHourlyStatsSql } from '@bionicpro/etl';
 * const { query, query_params } = userProsthesisHourlyStatsSql('2024-01', { rawDatabase: 'raw' });
 * ```
 */
export function userProsthesisHourlyStatsSql(
  month: string | Month | MonthPeriod,
  options: KpiSqlOptions = {},
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
 * `SELECT` of the seed-004 per-prosthesis-type report rows (SPEC §4 `POST
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
  if (window.start_ts) {
    where.push("event_timestamp >= {start_ts:DateTime64(3, 'UTC')}");
    params.start_ts = clickhouseTimestamp(window.start_ts);
  }
  if (window.end_ts) {
    where.push("event_timestamp <= {end_ts:DateTime64(3, 'UTC')}");
    params.end_ts = clickhouseTimestamp(window.end_ts);
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
