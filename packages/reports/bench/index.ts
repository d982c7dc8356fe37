/**
 * Report latency: the monthly user report and the EMG range
 * report served by @bionicpro/reports from embedded chDB (marts and raw
 * events), next to the same reports computed on the local PostgreSQL server
 * from the OLTP tables. The figure is the ratio of the two in this run.
 *
 *   pnpm --filter @bionicpro/reports bench
 *   BENCH_USERS=10000 BENCH_EVENTS=10000000 BENCH_ITERATIONS=500 PGHOST=127.0.0.1 …
 *
 * Data is generated inside each engine (chDB `numbers()`, PostgreSQL
 * `generate_series`) from the same formulas, so the EMG events of the
 * EMG report are identical in both, and the bench checks the two engines
 * agree before it times them. The monthly-user marts are synthetic (the ETL that
 * derives them from OLTP rows is another package), so that report is timed,
 * not compared.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clickhouseDdl, postgresDdl, tables } from '@bionicpro/models';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import pg from 'pg';
import {
  createReportService,
  parseTimeWindow,
  REPORT_QUERY_SETTINGS,
  type ReportTables,
  reportTables,
  runQuery,
  telemetryByProsthesisTypeQuery,
  trustedReportScope,
  unionAll,
  userMonthlyDevicesQuery,
  userMonthlyFinancialQuery,
} from '../src/index.js';
import { insertChdbUsers, percentiles } from './bench-data.js';

const USERS = Number(process.env['BENCH_USERS'] ?? 10_000);
const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 10_000_000);
const ITERATIONS = Number(process.env['BENCH_ITERATIONS'] ?? 500);
const PROSTHESES = Math.round(USERS * 1.5);
const MONTHS = 12;
const YEAR_START = '2025-01-01';
const SCHEMA = 'bionicpro_reports_bench';
const DB = 'reports';
// EMG report window: three months of the year.
const WINDOW = { start_ts: '2025-02-01T00:00:00Z', end_ts: '2025-04-30T23:59:59Z' };

const log = (...args: unknown[]) => console.log(...args);
const seconds = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

// Deterministic choice of users and months for the timed loops.
function* sample(seed: number): Generator<{ user: number; month: string }> {
  let x = seed;
  for (;;) {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    const user = 1 + (x % USERS);
    const month = `2025-${String(1 + (Math.floor(x / USERS) % MONTHS)).padStart(2, '0')}`;
    yield { user, month };
  }
}

async function time(label: string, run: (user: number, month: string) => Promise<unknown>) {
  const picks = sample(label.length * 7919);
  for (let i = 0; i < Math.min(50, ITERATIONS); i += 1) {
    const { user, month } = picks.next().value as { user: number; month: string };
    await run(user, month);
  }
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i += 1) {
    const { user, month } = picks.next().value as { user: number; month: string };
    const t0 = performance.now();
    await run(user, month);
    samples.push(performance.now() - t0);
  }
  return percentiles(samples);
}

/**
 * Variants of one query timed in the same loop, interleaved request by
 * request, so machine load hits every variant alike: the ratios between
 * them are the figure, not their absolute times.
 */
async function interleaved(variants: Record<string, (user: number, month: string) => Promise<unknown>>) {
  const names = Object.keys(variants);
  const samples = new Map<string, number[]>(names.map((n) => [n, []]));
  const picks = sample(4242);
  for (let i = 0; i < ITERATIONS + 30; i += 1) {
    const { user, month } = picks.next().value as { user: number; month: string };
    for (const name of names) {
      const t0 = performance.now();
      await (variants[name] as (user: number, month: string) => Promise<unknown>)(user, month);
      if (i >= 30) samples.get(name)?.push(performance.now() - t0);
    }
  }
  return names.map((name) => {
    return { name, ...percentiles(samples.get(name) as number[]) };
  });
}

/** The compiled query as this package sent it before the per-query tuning (for the A/B rows). */
const UNTUNED_SETTINGS = ' SETTINGS prefer_column_name_to_alias = 1';
function untuned(compiled: { query: string; query_params: Readonly<Record<string, unknown>> }) {
  return {
    query: compiled.query.replace(/ SETTINGS [^)]*$/, UNTUNED_SETTINGS),
    query_params: compiled.query_params,
  };
}

// The EMG event formula shared by both engines: n = 0 … EVENTS-1.
const emg = {
  user: (n: string) => `(1 + ${n} % ${USERS})`,
  k: (n: string) => `intDiv(${n}, ${USERS})`,
};
const SECONDS_PER_EVENT = Math.floor((365 * 86_400 - 3_600) / Math.max(1, Math.ceil(EVENTS / USERS)));

async function loadChdb(client: ReturnType<typeof createClient>) {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${DB}` });
  for (const table of [
    tables.users,
    tables.telemetry_events,
    tables.report_user_monthly_metrics,
    tables.report_prosthetic_monthly_metrics,
  ]) {
    await client.command({ query: clickhouseDdl(table, { database: DB }) });
  }
  await insertChdbUsers(client, DB, USERS);
  await client.command({
    query: `INSERT INTO ${DB}.telemetry_events
      (id, event_uuid, user_id, prosthetic_id, prosthesis_type, muscle_group, signal_frequency, signal_duration,
       signal_amplitude, event_timestamp, saved_ts, _version)
      SELECT number + 1, generateUUIDv4(), ${emg.user('number')}, NULL,
             ['arm', 'hand', 'leg'][1 + (${emg.k('number')} * 7 + number) % 3], 'biceps',
             50 + (number * 11) % 300, 100 + (number * 37) % 5000, ((number * 13) % 1000) / 100,
             toDateTime64('${YEAR_START} 00:00:00', 3, 'UTC')
               + toIntervalSecond(${emg.k('number')} * ${SECONDS_PER_EVENT} + ${emg.user('number')} % 3600),
             now64(3), 1
      FROM numbers(${EVENTS})`,
    clickhouse_settings: { max_insert_block_size: '1048576' },
  });
  await client.command({ query: `OPTIMIZE TABLE ${DB}.telemetry_events FINAL` });
  await client.command({
    query: `INSERT INTO ${DB}.report_user_monthly_metrics
      SELECT u AS user_id, addMonths(toDate('${YEAR_START}'), m) AS report_date, generateUUIDv4(),
             toDecimal128(if((u * 7 + m) % 10 = 0, 5998, 8997), 2), toDecimal128(5998, 2), (u * 7 + m) % 10 = 0 ? 0 : 1, 0,
             1, toDecimal128(2999, 2), 0.66, toDecimal128(35988, 2), now64(3)
      FROM (SELECT 1 + number % ${USERS} AS u, intDiv(number, ${USERS}) AS m FROM numbers(${USERS * MONTHS}))`,
  });
  await client.command({
    query: `INSERT INTO ${DB}.report_prosthetic_monthly_metrics
      SELECT 1 + (p - 1) % ${USERS}, p, addMonths(toDate('${YEAR_START}'), m), generateUUIDv4(), generateUUIDv4(),
             ['left_arm', 'right_arm', 'left_leg', 'right_leg'][1 + p % 4],
             20 + (p + m) % 15, 19 + (p + m) % 15, 100 + ((p * 31 + m) % 2000) / 10, NULL, NULL, NULL,
             (p + m) % 5, (p + m) % 3, (p + m) % 4, (p + m) % 13 = 0, if((p + m) % 13 = 0, 95.5, 0), 4.2,
             99, if((p + m) % 5 < 3, 'good', 'worn'), if((p + m) % 13 = 0, 'critical', 'healthy'), now64(3)
      FROM (SELECT 1 + number % ${PROSTHESES} AS p, intDiv(number, ${PROSTHESES}) AS m FROM numbers(${PROSTHESES * MONTHS}))`,
  });
}

async function loadPostgres(db: pg.Client) {
  await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await db.query(`CREATE SCHEMA ${SCHEMA}`);
  await db.query('SET synchronous_commit = off');
  const indexes: string[] = [];
  for (const name of [
    'users',
    'prosthetics',
    'subscriptions',
    'payments',
    'device_events',
    'battery_metrics',
    'telemetry_events',
  ] as const) {
    const [create, ...rest] = postgresDdl(tables[name], { schema: SCHEMA });
    // Unlogged only speeds up the load; reads are the same.
    await db.query((create as string).replace('CREATE TABLE', 'CREATE UNLOGGED TABLE'));
    indexes.push(...rest);
  }
  const s = SCHEMA;
  await db.query(`INSERT INTO ${s}.users (id, name, email, ldap_username)
    SELECT u, 'User ' || u, 'user' || u || '@example.ru', 'user' || u FROM generate_series(1, ${USERS}) u`);
  await db.query(`INSERT INTO ${s}.prosthetics (id, user_id, device_type, serial_number, chip_id, model, purchase_date, warranty_end_date, is_active)
    SELECT p, 1 + (p - 1) % ${USERS}, (ARRAY['left_arm','right_arm','left_leg','right_leg'])[1 + p % 4],
           'BP-' || p, 'CHIP-' || p, 'BionicPRO X2', date '2024-03-01', date '2026-03-01', true
    FROM generate_series(1, ${PROSTHESES}) p`);
  await db.query(`INSERT INTO ${s}.subscriptions (id, user_id, subscription_type, start_date, end_date, is_active, monthly_cost)
    SELECT u, u, 'basic', date '2024-06-01', NULL, true, 2999.00 FROM generate_series(1, ${USERS}) u`);
  await db.query(`INSERT INTO ${s}.payments (user_id, subscription_id, payment_date, amount, payment_method, status, description)
    SELECT u, u, timestamptz '${YEAR_START} 10:30:00+00' + make_interval(months => m, days => k * 7), 2999.00, 'card',
           CASE WHEN (u * 7 + m + k) % 10 = 0 THEN 'failed' WHEN (u + k) % 17 = 0 THEN 'pending' ELSE 'success' END, 'subscription'
    FROM generate_series(1, ${USERS}) u, generate_series(0, ${MONTHS - 1}) m, generate_series(0, 2) k`);
  // 20 device events per prosthesis and month: power on/off pairs, every tenth a fault.
  await db.query(`INSERT INTO ${s}.device_events (prosthetic_id, event_type, event_timestamp, event_value, severity, response_time_ms)
    SELECT p, CASE WHEN k % 10 = 9 THEN 'error' WHEN k % 2 = 0 THEN 'power_on' ELSE 'power_off' END,
           timestamptz '${YEAR_START} 00:00:00+00' + make_interval(months => m, hours => k * 35, mins => p % 60),
           NULL, CASE WHEN k % 10 = 9 THEN CASE WHEN (p + m) % 13 = 0 THEN 'critical' ELSE 'error' END ELSE 'info' END, 40 + k
    FROM generate_series(1, ${PROSTHESES}) p, generate_series(0, ${MONTHS - 1}) m, generate_series(0, 19) k`);
  // 15 battery samples per prosthesis and month.
  await db.query(`INSERT INTO ${s}.battery_metrics (prosthetic_id, metric_timestamp, charge_level, current_ma, is_charging)
    SELECT p, timestamptz '${YEAR_START} 00:00:00+00' + make_interval(months => m, hours => k * 47),
           20 + ((p * 7 + k * 31) % 80), CASE WHEN k % 3 = 0 THEN 150.0 ELSE -80.0 END, k % 3 = 0
    FROM generate_series(1, ${PROSTHESES}) p, generate_series(0, ${MONTHS - 1}) m, generate_series(0, 14) k`);
  await db.query(`INSERT INTO ${s}.telemetry_events (id, user_id, prosthetic_id, prosthesis_type, muscle_group, signal_frequency,
      signal_duration, signal_amplitude, event_timestamp)
    SELECT n + 1, 1 + n % ${USERS}, NULL, (ARRAY['arm','hand','leg'])[1 + ((n / ${USERS}) * 7 + n) % 3], 'biceps',
           50 + (n * 11) % 300, 100 + (n * 37) % 5000, ((n * 13) % 1000) / 100.0,
           timestamptz '${YEAR_START} 00:00:00+00' + make_interval(secs => (n / ${USERS}) * ${SECONDS_PER_EVENT} + (1 + n % ${USERS}) % 3600)
    FROM generate_series(0::bigint, ${EVENTS - 1}::bigint) n`);
  for (const index of indexes) await db.query(index);
  await db.query(`ANALYZE`);
}

/** Monthly user report computed from the OLTP tables (docs/kpis.md KPIs for one user and month). */
async function postgresMonthlyReport(db: pg.Client, user: number, month: string) {
  const start = `${month}-01T00:00:00Z`;
  const [y, m] = month.split('-').map(Number) as [number, number];
  const end = new Date(Date.UTC(y, m, 1)).toISOString();
  const lastDay = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  const s = SCHEMA;
  // One connection runs one query at a time; sequential awaits say so.
  const finance = await db.query(
    `SELECT coalesce(sum(amount) FILTER (WHERE status IN ('success', 'failed')), 0)::text AS total_payments,
              coalesce(sum(amount) FILTER (WHERE status = 'success'), 0)::text AS successful_payments,
              count(*) FILTER (WHERE status = 'failed')::int AS failed_payments_count
       FROM ${s}.payments WHERE user_id = $1 AND payment_date >= $2 AND payment_date < $3`,
    [user, start, end],
  );
  const subs = await db.query(
    `SELECT count(*)::int AS active, coalesce(sum(monthly_cost), 0)::text AS cost FROM ${s}.subscriptions
       WHERE user_id = $1 AND start_date <= $2 AND (end_date IS NULL OR end_date >= $2)`,
    [user, lastDay],
  );
  const devices = await db.query(
    `WITH p AS (SELECT id, device_type FROM ${s}.prosthetics WHERE user_id = $1),
       ev AS (SELECT e.* FROM ${s}.device_events e JOIN p ON p.id = e.prosthetic_id
              WHERE e.event_timestamp >= $2 AND e.event_timestamp < $3),
       power AS (SELECT prosthetic_id, event_type, event_timestamp,
                        lead(event_timestamp) OVER (PARTITION BY prosthetic_id ORDER BY event_timestamp, id) AS next_ts
                 FROM ev WHERE event_type IN ('power_on', 'power_off')),
       last_seen AS (SELECT prosthetic_id, max(event_timestamp) AS ts FROM ev GROUP BY 1),
       usage AS (SELECT pw.prosthetic_id, count(*) AS power_on_count,
                        sum(extract(epoch FROM coalesce(pw.next_ts, least($3::timestamptz, ls.ts)) - pw.event_timestamp)) / 3600 AS hours
                 FROM power pw JOIN last_seen ls USING (prosthetic_id) WHERE pw.event_type = 'power_on' GROUP BY 1),
       faults AS (SELECT e.prosthetic_id,
                         count(*) FILTER (WHERE e.severity IN ('error', 'critical')) AS errors,
                         bool_or(e.severity = 'critical') AS critical,
                         coalesce(sum(extract(epoch FROM least(coalesce(
                           (SELECT min(n.event_timestamp) FROM ${s}.device_events n WHERE n.prosthetic_id = e.prosthetic_id
                              AND n.event_type = 'power_on' AND n.event_timestamp > e.event_timestamp), $3::timestamptz), $3::timestamptz)
                           - e.event_timestamp) / 60) FILTER (WHERE e.severity = 'critical'), 0) AS downtime
                  FROM ev e GROUP BY 1),
       extremes AS (SELECT b.prosthetic_id, (b.charge_level > 95) AS high,
                           lag(b.charge_level > 95) OVER (PARTITION BY b.prosthetic_id ORDER BY b.metric_timestamp, b.id) AS prev_high
                    FROM ${s}.battery_metrics b JOIN p ON p.id = b.prosthetic_id
                    WHERE b.metric_timestamp >= $2 AND b.metric_timestamp < $3 AND (b.charge_level < 50 OR b.charge_level > 95)),
       cycles AS (SELECT prosthetic_id, count(*) FILTER (WHERE high AND prev_high = false) AS charge_cycles FROM extremes GROUP BY 1)
       SELECT p.id AS prosthetic_id, p.device_type, coalesce(u.hours, 0)::float8 AS usage_hours,
              coalesce(u.power_on_count, 0)::int AS power_on_count, coalesce(c.charge_cycles, 0)::int AS charge_cycles,
              coalesce(f.downtime, 0)::float8 AS downtime_minutes, coalesce(f.errors, 0)::int AS errors,
              coalesce(f.critical, false) AS critical
       FROM p LEFT JOIN usage u ON u.prosthetic_id = p.id LEFT JOIN faults f ON f.prosthetic_id = p.id
              LEFT JOIN cycles c ON c.prosthetic_id = p.id
       ORDER BY p.id`,
    [user, start, end],
  );
  const rows = devices.rows as {
    prosthetic_id: number;
    device_type: string;
    usage_hours: number;
    power_on_count: number;
    charge_cycles: number;
    downtime_minutes: number;
    errors: number;
    critical: boolean;
  }[];
  return {
    period: month,
    user_id: user,
    financial: {
      ...finance.rows[0],
      active_subscriptions: subs.rows[0].active,
      monthly_cost: subs.rows[0].cost,
    },
    devices: rows.map((d) => ({
      prosthetic_id: d.prosthetic_id,
      device_type: d.device_type,
      usage_hours: d.usage_hours,
      power_on_count: d.power_on_count,
      battery_health: d.charge_cycles < 3 ? 'good' : 'worn',
      downtime_minutes: d.downtime_minutes,
      errors: d.errors,
    })),
    status: rows.some((d) => d.critical) ? 'critical' : 'healthy',
  };
}

/** EMG report computed from the OLTP telemetry table. */
async function postgresTelemetryReport(db: pg.Client, user: number) {
  const s = SCHEMA;
  const u = await db.query(`SELECT name, email FROM ${s}.users WHERE id = $1`, [user]);
  const stats = await db.query(
    `SELECT prosthesis_type, count(*)::int AS events_count, sum(signal_duration)::bigint AS total_duration,
              avg(signal_amplitude) AS avg_amplitude, avg(signal_frequency)::float8 AS avg_frequency
       FROM ${s}.telemetry_events WHERE user_id = $1 AND event_timestamp >= $2 AND event_timestamp <= $3
       GROUP BY prosthesis_type ORDER BY prosthesis_type`,
    [user, WINDOW.start_ts, WINDOW.end_ts],
  );
  const rows = stats.rows.map((r) => ({ ...r, total_duration: Number(r.total_duration) }));
  return {
    user_name: u.rows[0].name as string,
    user_email: u.rows[0].email as string,
    total_events: rows.reduce((a, r) => a + r.events_count, 0),
    total_duration: rows.reduce((a, r) => a + r.total_duration, 0),
    prosthesis_stats: rows,
  };
}

async function main() {
  log(
    `@bionicpro/reports bench: ${USERS} users, ${PROSTHESES} prostheses, ${EVENTS} EMG events, ${ITERATIONS} timed requests each`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'reports-bench-'));
  // chdb types against @clickhouse/client-common 1.23.0, the client ships 1.23.1: same shape.
  const client = createClient({ connection: createChdbConnection({ path: dir }) as never });
  const db = new pg.Client({
    host: process.env['PGHOST'] ?? '127.0.0.1',
    port: Number(process.env['PGPORT'] ?? 5432),
    user: process.env['PGUSER'] ?? 'postgres',
    database: process.env['PGDATABASE'] ?? 'postgres',
  });
  await db.connect();
  try {
    let t0 = performance.now();
    await loadChdb(client);
    log(`chDB loaded in ${seconds(t0)}`);
    t0 = performance.now();
    await loadPostgres(db);
    log(`PostgreSQL loaded in ${seconds(t0)}`);

    const reports = createReportService({ client, database: DB });

    // The two engines must agree on the EMG report before their times mean anything.
    for (let user = 1; user <= USERS; user += Math.max(1, Math.floor(USERS / 25))) {
      const a = await reports.telemetry(trustedReportScope(user), WINDOW);
      const b = await postgresTelemetryReport(db, user);
      const same =
        a.user_name === b.user_name &&
        a.total_events === b.total_events &&
        a.total_duration === b.total_duration &&
        a.prosthesis_stats.every(
          (s, i) =>
            s.events_count === b.prosthesis_stats[i]?.events_count &&
            Math.abs(s.avg_amplitude - Number(b.prosthesis_stats[i]?.avg_amplitude)) <= 0.01,
        );
      if (!same) throw new Error(`engines disagree on the EMG report of user ${user}`);
    }
    const sampleMonthly = await reports.userMonthly(trustedReportScope(1), '2025-03');
    const pgMonthly = await postgresMonthlyReport(db, 1, '2025-03');
    log(`sample monthly-user report, chDB marts: ${JSON.stringify(sampleMonthly)}`);
    log(`sample monthly-user report, PostgreSQL OLTP: ${JSON.stringify(pgMonthly)}`);

    const results = [
      {
        report: 'monthly user report monthly user report',
        chdb: await time('chdb-002', (u, m) => reports.userMonthly(trustedReportScope(u), m)),
        postgres: await time('pg-002', (u, m) => postgresMonthlyReport(db, u, m)),
        target: 20,
      },
      {
        report: 'EMG report range report (3 months)',
        chdb: await time('chdb-004', (u) => reports.telemetry(trustedReportScope(u), WINDOW)),
        postgres: await time('pg-004', (u) => postgresTelemetryReport(db, u)),
        target: undefined,
      },
    ];
    log('');
    log(
      'report                              engine                   p50 ms   p99 ms   PostgreSQL/chDB (p50, p99)',
    );
    for (const r of results) {
      const ratio = (x: number, y: number) => `${(x / y).toFixed(1)}x`;
      log(
        `${r.report.padEnd(36)}chDB (marts/raw)   ${r.chdb.p50.toFixed(2).padStart(10)} ${r.chdb.p99.toFixed(2).padStart(8)}`,
      );
      log(
        `${''.padEnd(36)}PostgreSQL (OLTP)  ${r.postgres.p50.toFixed(2).padStart(10)} ${r.postgres.p99.toFixed(2).padStart(8)}   ${ratio(r.postgres.p50, r.chdb.p50)}, ${ratio(r.postgres.p99, r.chdb.p99)}`,
      );
      if (r.target !== undefined) {
        log(
          `${''.padEnd(36)}target: chDB p99 <= ${r.target} ms (${r.chdb.p99 <= r.target ? 'met' : 'NOT met'}), >= 20x PostgreSQL (${r.postgres.p99 / r.chdb.p99 >= 20 ? 'met' : 'NOT met'} at p99)`,
        );
      }
    }
    await tuningAb(client, reports);
  } finally {
    await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => undefined);
    await db.end();
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Where the chDB time of a report goes: the query as it was sent before the
 * per-query tuning, each tuning step added in turn, the marts with a smaller
 * index granularity (a table setting of the models' DDL, not applied by this
 * package), and the whole service call (assembly and validation included).
 */
async function tuningAb(
  client: ReturnType<typeof createClient>,
  reports: ReturnType<typeof createReportService>,
) {
  for (const name of ['report_user_monthly_metrics', 'report_prosthetic_monthly_metrics']) {
    const orderBy =
      name === 'report_user_monthly_metrics' ? 'user_id, report_date' : 'user_id, prosthetic_id, report_date';
    await client.command({
      query: `CREATE TABLE ${DB}.${name}_g256 AS ${DB}.${name} ENGINE = MergeTree
        PARTITION BY toYYYYMM(report_date) ORDER BY (${orderBy}) SETTINGS index_granularity = 256`,
    });
    await client.command({ query: `INSERT INTO ${DB}.${name}_g256 SELECT * FROM ${DB}.${name}` });
  }
  const t = reportTables({ database: DB });
  const g256: ReportTables = reportTables({
    database: DB,
    names: {
      userMonthly: 'report_user_monthly_metrics_g256',
      prostheticMonthly: 'report_prosthetic_monthly_metrics_g256',
    },
  });
  const raw = async (
    compiled: { query: string; query_params: Readonly<Record<string, unknown>> },
    settings = false,
  ) =>
    (
      await client.query({
        query: compiled.query,
        query_params: { ...compiled.query_params },
        format: 'JSONEachRow',
        ...(settings ? { clickhouse_settings: { ...REPORT_QUERY_SETTINGS } } : {}),
      })
    ).json();
  const monthly = (tables: ReportTables, user: number, month: string) =>
    unionAll({
      financial: userMonthlyFinancialQuery(tables, trustedReportScope(user), month),
      devices: userMonthlyDevicesQuery(tables, trustedReportScope(user), month),
    });
  const noPrewhereFlag = (q: { query: string; query_params: Readonly<Record<string, unknown>> }) => ({
    ...q,
    query: q.query.replace(', optimize_move_to_prewhere = 0', ''),
  });
  const unsorted = (q: { query: string; query_params: Readonly<Record<string, unknown>> }) => ({
    ...q,
    query: q.query.replace(' ORDER BY prosthetic_id ASC', ''),
  });
  const window = parseTimeWindow(WINDOW);
  const telemetry = (user: number) =>
    telemetryByProsthesisTypeQuery(t, trustedReportScope(user), window).compile();
  const groups = {
    'monthly user report union (marts)': await interleaved({
      'before: client settings (SET), PREWHERE, ORDER BY': (u, m) => raw(untuned(monthly(t, u, m)), true),
      '+ settings inline (no SET statements)': (u, m) => raw(noPrewhereFlag(monthly(t, u, m))),
      '+ optimize_move_to_prewhere = 0': (u, m) => raw(monthly(t, u, m)),
      '+ no ORDER BY (sent by the service now)': (u, m) => raw(unsorted(monthly(t, u, m))),
      '  same on marts with index_granularity = 256': (u, m) => raw(unsorted(monthly(g256, u, m))),
      '  whole reports.userMonthly (assembly, zod)': (u, m) => reports.userMonthly(trustedReportScope(u), m),
      'SELECT 1 (the engine floor per query)': () => raw({ query: 'SELECT 1', query_params: {} }),
    }),
    'EMG report stats (raw events, FINAL)': await interleaved({
      'before: client settings (SET), PREWHERE': (u) => runQuery(client, untuned(telemetry(u))),
      '+ settings inline (no SET statements)': (u) => raw(noPrewhereFlag(telemetry(u))),
      '+ optimize_move_to_prewhere = 0 (sent now)': (u) => raw(telemetry(u)),
    }),
  };
  log('');
  log(
    `where the chDB time goes (variants interleaved request by request, ${ITERATIONS} each; compare within a group)`,
  );
  for (const [group, rows] of Object.entries(groups)) {
    log(group);
    const base = rows[0] as { p50: number; p99: number };
    for (const r of rows) {
      log(
        `  ${r.name.padEnd(52)} p50 ${r.p50.toFixed(2).padStart(7)}  p99 ${r.p99.toFixed(2).padStart(7)}  p50 vs before ${(r.p50 / base.p50).toFixed(2)}x`,
      );
    }
  }
}

await main();
