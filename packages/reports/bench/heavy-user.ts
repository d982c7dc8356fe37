/**
 * `POST /report` (one user's EMG events per prosthesis type in a time window)
 * over 10 million raw telemetry events of which one user holds 1 million:
 * embedded chDB (`reports.telemetry`, the query the service sends) against the
 * local PostgreSQL with the best index for that query (a covering B-tree on
 * `(user_id, event_timestamp)` including the aggregated columns, so the scan
 * is index-only), on the same data. Both engines must return the same report
 * (checked for the heavy user and a sample of ordinary users) before either is
 * timed; then p50/p99 of both, timed in turn request by request, and the
 * PostgreSQL/chDB ratio of this run.
 *
 *   pnpm --filter @bionicpro/reports bench:heavy-user
 *   BENCH_HEAVY_EVENTS=10000000 BENCH_HEAVY_SHARE=10 BENCH_HEAVY_ITERATIONS=30 PGHOST=127.0.0.1 …
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clickhouseDdl, tables } from '@bionicpro/models';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import pg from 'pg';
import type { TelemetryReport } from '@bionicpro/models';
import { createReportService, trustedReportScope } from '../src/index.js';
import { insertChdbUsers, percentiles } from './bench-data.js';

const EVENTS = Number(process.env['BENCH_HEAVY_EVENTS'] ?? 10_000_000);
/** One event in SHARE belongs to user 1 (10: 1M of 10M). */
const SHARE = Number(process.env['BENCH_HEAVY_SHARE'] ?? 10);
const USERS = Number(process.env['BENCH_HEAVY_USERS'] ?? 10_000);
const ITERATIONS = Number(process.env['BENCH_HEAVY_ITERATIONS'] ?? 30);
const DB = 'reports';
const SCHEMA = `bionicpro_heavy_${process.pid}`;
const YEAR_START = '2025-01-01';
/** Milliseconds between consecutive events, spreading them over the year (unique timestamps). */
const STEP_MS = Math.floor((365 * 86_400_000) / EVENTS);
const WINDOW = { start_ts: '2025-01-01T00:00:00Z', end_ts: '2025-12-31T23:59:59.999Z' };
const log = (...args: unknown[]) => console.log(...args);

// The same formulas in both engines: user, type, duration, amplitude, frequency, timestamp of event n.
const userOf = (n: string) => `if(${n} % ${SHARE} = 0, 1, 2 + ${n} % ${USERS - 1})`;
const pgUserOf = (n: string) => `CASE WHEN ${n} % ${SHARE} = 0 THEN 1 ELSE 2 + ${n} % ${USERS - 1} END`;

async function loadChdb(client: ReturnType<typeof createClient>) {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${DB}` });
  for (const table of [tables.users, tables.telemetry_events]) {
    await client.command({ query: clickhouseDdl(table, { database: DB }) });
  }
  await insertChdbUsers(client, DB, USERS);
  await client.command({
    query: `INSERT INTO ${DB}.telemetry_events
      (id, event_uuid, user_id, prosthetic_id, prosthesis_type, muscle_group, signal_frequency, signal_duration,
       signal_amplitude, event_timestamp, saved_ts, _version)
      SELECT number + 1, generateUUIDv4(), ${userOf('number')}, NULL, ['arm', 'hand', 'leg'][1 + (number * 7) % 3], 'biceps',
             50 + (number * 11) % 300, 100 + (number * 37) % 5000, ((number * 13) % 1000) / 100,
             toDateTime64('${YEAR_START} 00:00:00', 3, 'UTC') + toIntervalMillisecond(number * ${STEP_MS}),
             now64(3), 1
      FROM numbers(${EVENTS})`,
    clickhouse_settings: { max_insert_block_size: '1048576' },
  });
  await client.command({ query: `OPTIMIZE TABLE ${DB}.telemetry_events FINAL` });
}

async function loadPostgres(db: pg.Client) {
  const s = SCHEMA;
  await db.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await db.query(`CREATE SCHEMA ${s}`);
  await db.query('SET synchronous_commit = off');
  await db.query(
    `CREATE UNLOGGED TABLE ${s}.users (id integer PRIMARY KEY, name text NOT NULL, email text NOT NULL)`,
  );
  await db.query(
    `INSERT INTO ${s}.users SELECT u, 'User ' || u, 'user' || u || '@example.ru' FROM generate_series(1, ${USERS}) u`,
  );
  // The columns the report reads (the models' table has more; the query does not touch them).
  await db.query(`CREATE UNLOGGED TABLE ${s}.telemetry_events (
      id bigint PRIMARY KEY, user_id integer NOT NULL, prosthesis_type text NOT NULL, signal_frequency integer NOT NULL,
      signal_duration integer NOT NULL, signal_amplitude double precision NOT NULL, event_timestamp timestamptz NOT NULL)`);
  await db.query(`INSERT INTO ${s}.telemetry_events
    SELECT n + 1, ${pgUserOf('n')}, (ARRAY['arm','hand','leg'])[1 + (n * 7) % 3], 50 + (n * 11) % 300, 100 + (n * 37) % 5000,
           ((n * 13) % 1000) / 100.0, timestamptz '${YEAR_START} 00:00:00+00' + make_interval(secs => (n * ${STEP_MS}) / 1000.0)
    FROM generate_series(0::bigint, ${EVENTS - 1}::bigint) n`);
  // The best index for the query: the user and the window lead, the aggregated columns ride along (index-only scan).
  await db.query(`CREATE INDEX telemetry_events_report_idx ON ${s}.telemetry_events (user_id, event_timestamp)
      INCLUDE (prosthesis_type, signal_duration, signal_amplitude, signal_frequency)`);
  await db.query(`VACUUM ANALYZE ${s}.telemetry_events`);
  await db.query(`ANALYZE ${s}.users`);
}

async function postgresReport(db: pg.Client, user: number): Promise<TelemetryReport> {
  const s = SCHEMA;
  const u = await db.query(`SELECT name, email FROM ${s}.users WHERE id = $1`, [user]);
  const stats = await db.query(
    `SELECT prosthesis_type, count(*)::int AS events_count, sum(signal_duration)::bigint AS total_duration,
            avg(signal_amplitude) AS avg_amplitude, avg(signal_frequency)::float8 AS avg_frequency
       FROM ${s}.telemetry_events WHERE user_id = $1 AND event_timestamp >= $2 AND event_timestamp <= $3
      GROUP BY prosthesis_type ORDER BY prosthesis_type`,
    [user, WINDOW.start_ts, WINDOW.end_ts],
  );
  const rows = stats.rows.map((r) => ({
    prosthesis_type: r.prosthesis_type as string,
    events_count: r.events_count as number,
    total_duration: Number(r.total_duration),
    avg_amplitude: Math.round(Number(r.avg_amplitude) * 100) / 100,
    avg_frequency: Math.round(Number(r.avg_frequency) * 100) / 100,
  }));
  return {
    user_name: u.rows[0].name as string,
    user_email: u.rows[0].email as string,
    total_events: rows.reduce((a, r) => a + r.events_count, 0),
    total_duration: rows.reduce((a, r) => a + r.total_duration, 0),
    prosthesis_stats: rows,
  } as TelemetryReport;
}

function sameReport(a: TelemetryReport, b: TelemetryReport): boolean {
  return (
    a.user_name === b.user_name &&
    a.user_email === b.user_email &&
    a.total_events === b.total_events &&
    a.total_duration === b.total_duration &&
    a.prosthesis_stats.length === b.prosthesis_stats.length &&
    a.prosthesis_stats.every((s, i) => {
      const t = b.prosthesis_stats[i];
      return (
        t !== undefined &&
        s.prosthesis_type === t.prosthesis_type &&
        s.events_count === t.events_count &&
        s.total_duration === t.total_duration &&
        Math.abs(s.avg_amplitude - t.avg_amplitude) <= 0.011 &&
        Math.abs(s.avg_frequency - t.avg_frequency) <= 0.011
      );
    })
  );
}

/**
 * Both engines timed in one loop, request by request in turn, so the load of
 * the machine hits them alike: the ratio is the figure, not the absolute times.
 */
async function interleaved(runs: Record<string, () => Promise<unknown>>) {
  const samples = new Map(Object.keys(runs).map((name) => [name, [] as number[]]));
  for (let i = 0; i < ITERATIONS + 3; i += 1) {
    for (const [name, run] of Object.entries(runs)) {
      const t0 = performance.now();
      await run();
      if (i >= 3) samples.get(name)?.push(performance.now() - t0);
    }
  }
  return new Map([...samples].map(([name, s]) => [name, percentiles(s)]));
}

const dir = mkdtempSync(join(tmpdir(), 'reports-heavy-bench-'));
const chdb = createClient({ connection: createChdbConnection({ path: dir }) as never });
const db = new pg.Client({
  host: process.env['PGHOST'] ?? '127.0.0.1',
  port: Number(process.env['PGPORT'] ?? 5432),
  user: process.env['PGUSER'] ?? 'postgres',
  database: process.env['PGDATABASE'] ?? 'postgres',
});
await db.connect();
try {
  log(
    `POST /report bench: ${EVENTS} EMG events, user 1 holds ${Math.ceil(EVENTS / SHARE)}, ${USERS} users, window = the year`,
  );
  log('Timings on a shared machine are noisy: compare the ratio within this run.');
  let t0 = performance.now();
  await loadChdb(chdb);
  log(`chDB loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  t0 = performance.now();
  await loadPostgres(db);
  log(`PostgreSQL loaded and indexed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const reports = createReportService({ client: chdb, database: DB });
  const chdbReport = (user: number) => reports.telemetry(trustedReportScope(user), WINDOW);

  const heavy = await chdbReport(1);
  const heavyPg = await postgresReport(db, 1);
  if (heavy.total_events !== Math.ceil(EVENTS / SHARE)) {
    throw new Error(`user 1 has ${heavy.total_events} events in chDB, expected ${Math.ceil(EVENTS / SHARE)}`);
  }
  for (const user of [1, 2, 3, Math.floor(USERS / 2), USERS]) {
    const a = user === 1 ? heavy : await chdbReport(user);
    const b = user === 1 ? heavyPg : await postgresReport(db, user);
    if (!sameReport(a, b)) {
      throw new Error(
        `engines disagree on user ${user}:\n chDB ${JSON.stringify(a)}\n PostgreSQL ${JSON.stringify(b)}`,
      );
    }
  }
  log(`both engines return the same reports (user 1: ${JSON.stringify(heavy)})`);
  const plan = await db.query(
    `EXPLAIN SELECT prosthesis_type, count(*) FROM ${SCHEMA}.telemetry_events WHERE user_id = 1 AND event_timestamp >= $1 AND event_timestamp <= $2 GROUP BY prosthesis_type`,
    [WINDOW.start_ts, WINDOW.end_ts],
  );
  log(`PostgreSQL plan: ${plan.rows.map((r) => String(r['QUERY PLAN']).trim()).join(' | ')}`);

  const timed = await interleaved({ chdb: () => chdbReport(1), postgres: () => postgresReport(db, 1) });
  const c = timed.get('chdb') as { p50: number; p99: number };
  const p = timed.get('postgres') as { p50: number; p99: number };
  log('');
  log(
    `user 1 (${heavy.total_events} events)   p50 ms    p99 ms   (${ITERATIONS} requests each, interleaved)`,
  );
  log(`  chDB (reports.telemetry) ${c.p50.toFixed(1).padStart(9)} ${c.p99.toFixed(1).padStart(9)}`);
  log(`  PostgreSQL (covering)    ${p.p50.toFixed(1).padStart(9)} ${p.p99.toFixed(1).padStart(9)}`);
  log(`  load average: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  log(
    `  PostgreSQL/chDB: ${(p.p50 / c.p50).toFixed(1)}x at p50, ${(p.p99 / c.p99).toFixed(1)}x at p99 (target >= 5x in ClickHouse's favour: ${p.p50 / c.p50 >= 5 ? 'met' : 'NOT met'} at p50)`,
  );
} finally {
  await db.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => undefined);
  await db.end();
  await chdb.close();
  rmSync(dir, { recursive: true, force: true });
}
