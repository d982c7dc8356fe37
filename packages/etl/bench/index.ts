/**
 * Benchmarks of @bionicpro/etl (issue 3 targets). Each figure is printed next
 * to a baseline measured in the same run, as a ratio:
 *
 * 1. TS transform throughput (input rows/s) of the prosthetic-monthly mart on
 *    sorted input (target ≥ 5,000,000/s) and of the user-monthly mart; baseline:
 *    a bare loop reading the same rows' keys and timestamps.
 * 2. SQL pushdown on chDB over the same rows; baseline: the TS transform
 *    (target: SQL ≥ 10× faster).
 * 3. Extract from the local PostgreSQL with model parsing through COPY (the
 *    default) and through a cursor (target ≥ 300,000 rows/s); baselines: the
 *    cursor, and the cursor without parsing.
 * 4. End-to-end `bionicpro-etl run` of one month at two sizes (default 1M and
 *    10M telemetry + battery + device rows), each in its own child process,
 *    once per extract mode (`copy`: this process reads, validates and inserts
 *    TabSeparated batches; `clickhouse`: ClickHouse reads PostgreSQL with
 *    postgresql()). Rate baseline: the extract alone of the same rows (COPY
 *    and model parsing, nothing written; target run ≥ 0.8× of it). Peak RSS
 *    per run (target < 512 MB, and the larger size within 1.1× of the
 *    smaller); the job's `timings` breakdown is printed under each run.
 *
 * Environment: BIONICPRO_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_ROWS (transform rows per table, default 1,500,000), BENCH_E2E_SIZES
 * (default 1000000,10000000), BENCH_E2E_EXTRACT (default copy,clickhouse), BENCH_SKIP_E2E=1,
 * BENCH_ONLY_E2E=1, BENCH_ONLY_EXTRACT=1, BENCH_KEEP_DB=<tag> (the end-to-end runs' PostgreSQL
 * databases are named `etl_bench_{crm,tel}_<size>_<tag>`, generated only when absent and kept, so
 * a later run with the same tag skips the 10 M rows' generation; drop them by hand).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@clickhouse/client';
import { postgresDdl, type SourceTableName, tables } from '@bionicpro/models';
import { createChdbConnection } from 'chdb/connection';
import pg from 'pg';
import {
  clickhouseTimestamp,
  createExtractPool,
  ensureWarehouse,
  insertRows,
  monthPeriod,
  prostheticMonthlyMetrics,
  prostheticMonthlyMetricsSql,
  streamQuery,
  streamWindow,
  userMonthlyMetrics,
  userMonthlyMetricsSql,
} from '../src/index.js';
import type { PgPoolLike } from '../src/postgres-extract.js';
import { insertPg } from '../test/support/postgres-seed.js';
import { benchData } from './synthetic.js';

const MONTH = '2026-09';
/** The run's clock, read once here and passed to the transforms (they never read it themselves). */
const lastUpdated = new Date();
const period = monthPeriod(MONTH);
const pgUrl = process.env.BIONICPRO_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const rowsPerTable = Number(process.env.BENCH_ROWS ?? 1_500_000);
const e2eSizes = (process.env.BENCH_E2E_SIZES ?? '1000000,10000000').split(',').map(Number);
const e2eExtracts = (process.env.BENCH_E2E_EXTRACT ?? 'copy,clickhouse').split(',');

const keepTag = process.env.BENCH_KEEP_DB;
if (keepTag !== undefined && !/^[a-z0-9_]+$/.test(keepTag)) throw new Error('BENCH_KEEP_DB: [a-z0-9_]+');

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
function report(
  name: string,
  value: string,
  baselineName: string,
  baseline: string,
  ratio: number,
  note = '',
) {
  console.log(
    `${name.padEnd(46)} ${value.padStart(18)}   baseline ${baselineName}: ${baseline}   ratio ${ratio.toFixed(2)}${note ? `   ${note}` : ''}`,
  );
}
function best(runs: number, fn: () => void): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i += 1) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

async function transformBench() {
  console.log(
    `\n# 1. TS transforms (${fmt(rowsPerTable)} device events + ${fmt(rowsPerTable)} battery samples, sorted)`,
  );
  const t0 = performance.now();
  const data = benchData({ prostheses: 500, rowsPerTable, monthStart: period.startMs });
  console.log(`  data generated in ${(performance.now() - t0).toFixed(0)} ms`);
  const inputRows = data.deviceEvents.length + data.batteryMetrics.length;
  let sink = 0;
  const scanMs = best(5, () => {
    for (const e of data.deviceEvents) sink += e.prosthetic_id + e.event_timestamp.getTime();
    for (const b of data.batteryMetrics) sink += b.prosthetic_id + b.metric_timestamp.getTime();
  });
  const scanRate = inputRows / (scanMs / 1000);
  let rows = 0;
  const sortedMs = best(5, () => {
    rows = prostheticMonthlyMetrics(data, { month: MONTH, order: 'sorted', lastUpdated }).length;
  });
  const sortedRate = inputRows / (sortedMs / 1000);
  report(
    'prosthetic_monthly TS sorted (rows/s)',
    fmt(sortedRate),
    'bare scan',
    `${fmt(scanRate)}/s`,
    sortedRate / scanRate,
    `${sortedRate >= 5_000_000 ? 'meets' : 'MISSES'} target 5,000,000/s (${rows} mart rows, ${sortedMs.toFixed(0)} ms)`,
  );
  const anyMs = best(1, () => {
    prostheticMonthlyMetrics(data, { month: MONTH, order: 'any', lastUpdated });
  });
  report(
    'prosthetic_monthly TS any order (rows/s)',
    fmt(inputRows / (anyMs / 1000)),
    'sorted',
    `${fmt(sortedRate)}/s`,
    sortedMs / anyMs,
  );

  const crm = benchData({ prostheses: 20_000, rowsPerTable: 20_000, monthStart: period.startMs });
  const crmRows = crm.users.length + crm.subscriptions.length + crm.payments.length;
  const crmScan = best(5, () => {
    for (const p of crm.payments) sink += p.user_id + p.payment_date.getTime();
    for (const s of crm.subscriptions) sink += s.user_id;
    for (const u of crm.users) sink += u.id;
  });
  const userMs = best(3, () => {
    userMonthlyMetrics(crm, { month: MONTH, lastUpdated });
  });
  report(
    'user_monthly TS (rows/s)',
    fmt(crmRows / (userMs / 1000)),
    'bare scan',
    `${fmt(crmRows / (crmScan / 1000))}/s`,
    crmScan / userMs,
    `(${fmt(crm.payments.length)} payments, exact kopeck sums, ${userMs.toFixed(0)} ms)`,
  );
  if (sink === 42) console.log('');
  return { data, crm, sortedMs, userMs };
}

/** Waits (bounded) until chDB has no background merge running, so none competes with a timed query. */
async function settleMerges(client: ReturnType<typeof createClient>) {
  const deadline = performance.now() + 120_000;
  while (performance.now() < deadline) {
    const result = await client.query({
      query: 'SELECT count() AS n FROM system.merges',
      format: 'JSONEachRow',
    });
    const [{ n } = { n: 0 }] = await result.json<{ n: number | string }>();
    if (Number(n) === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

async function pushdownBench(input: Awaited<ReturnType<typeof transformBench>>) {
  console.log('\n# 2. SQL pushdown on chDB, same rows');
  const dir = mkdtempSync(join(tmpdir(), 'etl-bench-chdb-'));
  const client = createClient({ connection: createChdbConnection({ path: dir }) } as never);
  try {
    await ensureWarehouse(client, { rawDatabase: 'raw', martDatabase: 'marts' });
    const extra = { _version: 1, _is_deleted: 0 };
    const t0 = performance.now();
    for (const [table, rows] of [
      ['users', [...input.data.users, ...input.crm.users.filter((u) => u.id > 500)]],
      ['prosthetics', input.data.prosthetics],
      ['subscriptions', input.crm.subscriptions],
      ['payments', input.crm.payments],
      ['device_events', input.data.deviceEvents],
      ['battery_metrics', input.data.batteryMetrics],
    ] as const) {
      await insertRows(client, `raw.${table}`, rows as readonly object[], { extra, batchSize: 200_000 });
    }
    await settleMerges(client);
    console.log(
      `  loaded into chDB in ${((performance.now() - t0) / 1000).toFixed(1)} s, background merges settled (not part of any figure)`,
    );
    // The least any pushdown does: read the month's raw columns that the KPIs need once (FINAL) and
    // group them per prosthesis. Its time bounds the pushdown's speed-up over the TS transform.
    const month = `{start:DateTime64(3, 'UTC')} AND ts < {end:DateTime64(3, 'UTC')}`;
    const floorQueries = [
      `SELECT prosthetic_id, count(), max(ts), sum(id), countIf(event_type = 'power_on'), countIf(severity = 'critical')
       FROM (SELECT prosthetic_id, event_timestamp AS ts, id, event_type, severity FROM raw.device_events FINAL WHERE _is_deleted = 0)
       WHERE ts >= ${month} GROUP BY prosthetic_id`,
      `SELECT prosthetic_id, count(), max(ts), sum(id), sum(charge_level), sum(current_ma), countIf(is_charging)
       FROM (SELECT prosthetic_id, metric_timestamp AS ts, id, charge_level, current_ma, is_charging FROM raw.battery_metrics FINAL WHERE _is_deleted = 0)
       WHERE ts >= ${month} GROUP BY prosthetic_id`,
    ];
    const floorParams = {
      start: clickhouseTimestamp(period.startMs),
      end: clickhouseTimestamp(period.endMs),
    };
    // TS and SQL runs alternate (A/B), so both see the same load from anything else on the machine;
    // each figure is the best of 5, as wall time and as this process's CPU time (all threads).
    const tsProsthetic = () =>
      prostheticMonthlyMetrics(input.data, { month: MONTH, order: 'sorted', lastUpdated }).length;
    const tsUser = () => userMonthlyMetrics(input.crm, { month: MONTH, lastUpdated }).length;
    for (const [mart, build, ts] of [
      ['report_prosthetic_monthly_metrics', prostheticMonthlyMetricsSql, tsProsthetic],
      ['report_user_monthly_metrics', userMonthlyMetricsSql, tsUser],
    ] as const) {
      // Only the INSERT … SELECT is timed: the staging table exists and is emptied before each run.
      const staging = `bench_${mart}`;
      await client.command({ query: `CREATE TABLE marts.${staging} AS marts.${mart}` });
      const best = { tsMs: Infinity, tsCpu: Infinity, sqlMs: Infinity, sqlCpu: Infinity, floorMs: Infinity };
      let tsRows = 0;
      for (let i = 0; i < 5; i += 1) {
        let cpu = process.cpuUsage();
        let t = performance.now();
        tsRows = ts();
        best.tsMs = Math.min(best.tsMs, performance.now() - t);
        best.tsCpu = Math.min(best.tsCpu, cpuMs(process.cpuUsage(cpu)));
        await client.command({ query: `TRUNCATE TABLE marts.${staging}` });
        cpu = process.cpuUsage();
        t = performance.now();
        await client.command(
          build(period, { rawDatabase: 'raw', martDatabase: 'marts', targetTable: staging, lastUpdated }),
        );
        best.sqlMs = Math.min(best.sqlMs, performance.now() - t);
        best.sqlCpu = Math.min(best.sqlCpu, cpuMs(process.cpuUsage(cpu)));
        if (mart === 'report_prosthetic_monthly_metrics') {
          t = performance.now();
          for (const query of floorQueries) {
            await (await client.query({ query, query_params: floorParams, format: 'JSONEachRow' })).json();
          }
          best.floorMs = Math.min(best.floorMs, performance.now() - t);
        }
      }
      if (best.floorMs < Infinity) {
        report(
          'raw scan floor, device + battery (ms)',
          best.floorMs.toFixed(0),
          'TS transform, interleaved',
          `${best.tsMs.toFixed(0)} ms`,
          best.tsMs / best.floorMs,
          `reading the month's rows alone is ${(best.tsMs / best.floorMs).toFixed(2)}x the TS speed: the ceiling of any pushdown here`,
        );
      }
      const count = await client.query({
        query: `SELECT count() AS n FROM marts.${staging}`,
        format: 'JSONEachRow',
      });
      const [{ n } = { n: 0 }] = await count.json<{ n: number | string }>();
      if (Number(n) !== tsRows) throw new Error(`${mart}: SQL wrote ${n} rows, the TS transform ${tsRows}`);
      const speedup = best.tsMs / best.sqlMs;
      report(
        `${mart} SQL pushdown (ms)`,
        best.sqlMs.toFixed(0),
        'TS transform, interleaved',
        `${best.tsMs.toFixed(0)} ms`,
        speedup,
        `SQL is ${speedup.toFixed(2)}x the TS speed; ${speedup >= 10 ? 'meets' : 'MISSES'} target 10x; CPU time ${best.sqlCpu.toFixed(0)} ms vs TS ${best.tsCpu.toFixed(0)} ms (${(best.tsCpu / best.sqlCpu).toFixed(2)}x); ${tsRows} rows, INSERT … SELECT only`,
      );
    }
  } finally {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function scratchUrl(db: string) {
  const url = new URL(pgUrl);
  url.pathname = `/${db}`;
  return url.toString();
}

async function createTables(pool: PgPoolLike, names: SourceTableName[], indexes: boolean) {
  for (const name of names) {
    const [create, ...rest] = postgresDdl(tables[name]);
    if (!indexes) await pool.query(create!);
    else for (const statement of rest) await pool.query(statement);
  }
}

/** Telemetry generated inside PostgreSQL (generate_series): fast at 10M rows. */
async function generateTelemetry(pool: PgPoolLike, total: number, prostheses: number[], users: number[]) {
  const emg = Math.round(total * 0.4);
  const dev = Math.round(total * 0.3);
  const bat = total - emg - dev;
  const start = new Date(period.startMs).toISOString();
  const span = 28 * 86_400_000;
  await createTables(pool, ['telemetry_events', 'device_events', 'battery_metrics'], false);
  await pool.query(
    `INSERT INTO telemetry_events (id, event_uuid, user_id, prosthetic_id, prosthesis_type, muscle_group, signal_frequency, signal_duration, signal_amplitude, event_timestamp, saved_ts)
     SELECT g, overlay(overlay(md5(g::text) placing '4' from 13) placing '8' from 17)::uuid, ($2::int[])[1 + g % array_length($2::int[], 1)], NULL,
       (ARRAY['arm','hand','leg'])[1 + g % 3], 'flexor', 150 + g % 60, 500 + g % 2500, (g % 500) / 100.0,
       $3::timestamptz + ((g::bigint * $4) / $1) * interval '1 millisecond', $3::timestamptz + ((g::bigint * $4) / $1) * interval '1 millisecond'
     FROM generate_series(1, $1::int) g`,
    [emg, users, start, span],
  );
  const n = prostheses.length;
  await pool.query(
    `INSERT INTO device_events (id, prosthetic_id, event_type, event_timestamp, event_value, severity, response_time_ms, created_at)
     SELECT g, ($2::int[])[1 + g % $5::int],
       (ARRAY['power_on','calibration','movement','power_off','warning','charging_started'])[1 + (g / $5::int) % 6],
       $3::timestamptz + (((g / $5::int)::bigint * $4 * $5::int) / $1) * interval '1 millisecond', NULL,
       CASE WHEN (g / $5::int) % 101 = 0 THEN 'critical' WHEN (g / $5::int) % 13 = 0 THEN 'error' ELSE 'info' END,
       CASE WHEN g % 3 = 0 THEN 20 + g % 50 END, $3::timestamptz
     FROM generate_series(1, $1::int) g`,
    [dev, prostheses, start, span, n],
  );
  await pool.query(
    `INSERT INTO battery_metrics (id, prosthetic_id, metric_timestamp, charge_level, current_ma, is_charging, created_at)
     SELECT g, ($2::int[])[1 + g % $5::int],
       $3::timestamptz + (((g / $5::int)::bigint * $4 * $5::int) / $1) * interval '1 millisecond' + interval '7 millisecond',
       greatest(0, 50 + 49 * sin((g / $5::int) / 40.0)), 150 * cos((g / $5::int) / 40.0), cos((g / $5::int) / 40.0) > 0, $3::timestamptz
     FROM generate_series(1, $1::int) g`,
    [bat, prostheses, start, span, n],
  );
  await createTables(pool, ['telemetry_events', 'device_events', 'battery_metrics'], true);
  await pool.query('ANALYZE');
}

async function withScratchDatabases<T>(
  tag: string,
  fn: (urls: { crm: string; telemetry: string }, fresh: boolean) => Promise<T>,
  keep?: string,
) {
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  const suffix = keep ?? String(process.pid);
  const names = {
    crm: `etl_bench_crm_${tag}_${suffix}`,
    telemetry: `etl_bench_tel_${tag}_${suffix}`,
  };
  try {
    const existing = await admin.query('SELECT datname FROM pg_database WHERE datname = ANY($1)', [
      Object.values(names),
    ]);
    const fresh = existing.rows.length < 2;
    if (fresh) {
      for (const db of Object.values(names)) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      for (const db of Object.values(names)) await admin.query(`CREATE DATABASE ${db}`);
    }
    return await fn({ crm: scratchUrl(names.crm), telemetry: scratchUrl(names.telemetry) }, fresh);
  } catch (error) {
    // A half-generated kept database would be reused as if complete: drop it.
    if (keep !== undefined) {
      for (const db of Object.values(names)) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    }
    throw error;
  } finally {
    if (keep === undefined) {
      for (const db of Object.values(names)) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    }
    await admin.end();
  }
}

async function extractBench() {
  console.log(
    '\n# 3. Extract from the local PostgreSQL (1,000,000 device events, parsed by the model; best of 2, interleaved)',
  );
  await withScratchDatabases('extract', async (urls) => {
    const pool = await createExtractPool(urls.telemetry);
    try {
      await generateTelemetry(
        pool,
        3_333_334,
        Array.from({ length: 500 }, (_, i) => i + 1),
        [1],
      );
      await pool.query('DELETE FROM telemetry_events');
      // A production table is vacuumed (hint bits set, visibility map current); a freshly loaded one is not.
      await pool.query('VACUUM ANALYZE device_events');
      const window = { start: new Date(period.startMs), end: new Date(period.endMs) };
      const variants: [string, () => AsyncIterable<unknown>][] = [
        ['COPY text, parsed (default)', () => streamWindow(pool, 'device_events', window)],
        ['cursor, parsed', () => streamWindow(pool, 'device_events', window, { pagination: 'cursor' })],
        [
          'cursor, no parsing',
          () =>
            streamQuery(
              pool,
              'device_events',
              'SELECT * FROM device_events WHERE event_timestamp >= $1 AND event_timestamp < $2 ORDER BY prosthetic_id, event_timestamp, id',
              [window.start.toISOString(), window.end.toISOString()],
              (row) => row,
              { pagination: 'cursor' },
            ),
        ],
      ];
      const rates = new Map<string, number>();
      let rows = 0;
      for (let round = 0; round < 2; round += 1) {
        for (const [name, open] of variants) {
          const t = performance.now();
          let n = 0;
          for await (const _ of open()) n += 1;
          rows = n;
          rates.set(name, Math.max(rates.get(name) ?? 0, n / ((performance.now() - t) / 1000)));
        }
      }
      const copy = rates.get('COPY text, parsed (default)')!;
      const cursor = rates.get('cursor, parsed')!;
      const raw = rates.get('cursor, no parsing')!;
      report(
        'extract device_events, COPY (rows/s)',
        fmt(copy),
        'cursor, parsed',
        `${fmt(cursor)}/s`,
        copy / cursor,
        `${copy >= 300_000 ? 'meets' : 'MISSES'} target 300,000/s (${fmt(rows)} rows)`,
      );
      report(
        'extract device_events, cursor (rows/s)',
        fmt(cursor),
        'cursor, no parsing',
        `${fmt(raw)}/s`,
        cursor / raw,
        `${cursor >= 300_000 ? 'meets' : 'MISSES'} target 300,000/s`,
      );
    } finally {
      await pool.end();
    }
  });
}

function runChild(
  args: string[],
  script = fileURLToPath(new URL('../dist/cli.js', import.meta.url)),
): Promise<{
  code: number | null;
  rssKb: number;
  heapKb: number;
  ms: number;
  stdout: string;
  stderr: string;
}> {
  const probe = fileURLToPath(new URL('./rss-probe.mjs', import.meta.url));
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(process.execPath, ['--import', probe, script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const rss = /BENCH_MAX_RSS_KB=(\d+)/.exec(stderr);
      const heap = /BENCH_MAX_HEAP_KB=(\d+)/.exec(stderr);
      resolve({
        code,
        rssKb: rss ? Number(rss[1]) : Number.NaN,
        heapKb: heap ? Number(heap[1]) : Number.NaN,
        ms: performance.now() - t,
        stdout,
        stderr,
      });
    });
  });
}

/** The job summary's `timings`, one line per step: seconds and rows per table. */
function printTimings(summaryJson: string) {
  const summary = JSON.parse(summaryJson) as {
    timings: Record<string, Record<string, { seconds: number; rows: number }>>;
  };
  for (const [step, byTable] of Object.entries(summary.timings)) {
    const parts = Object.entries(byTable)
      .filter(([, t]) => t.seconds >= 0.01 || t.rows > 0)
      .map(([table, t]) => `${table} ${t.seconds.toFixed(2)} s${t.rows ? ` / ${fmt(t.rows)}` : ''}`);
    if (parts.length > 0) console.log(`      ${step.padEnd(12)} ${parts.join(', ')}`);
  }
}

/** Peak RSS of a child that only opens embedded ClickHouse and creates the warehouse: chDB's own footprint. */
async function chdbFootprint(dir: string) {
  const script = fileURLToPath(new URL('./chdb-footprint.mjs', import.meta.url));
  const probe = fileURLToPath(new URL('./rss-probe.mjs', import.meta.url));
  return new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', probe, script, dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', () => resolve(Number(/BENCH_MAX_RSS_KB=(\d+)/.exec(stderr)?.[1] ?? Number.NaN)));
  });
}

async function endToEndBench() {
  console.log(
    '\n# 4. End-to-end `bionicpro-etl run` of one month (engine sql, chDB), one child process per size and extract mode',
  );
  if (!existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)))) {
    console.log('  dist/cli.js missing: run `pnpm --filter @bionicpro/etl build` first');
    return;
  }
  const results = new Map<string, { size: number; rssKb: number }>();
  const footprintDir = mkdtempSync(join(tmpdir(), 'etl-bench-footprint-'));
  const chdbKb = await chdbFootprint(footprintDir);
  rmSync(footprintDir, { recursive: true, force: true });
  console.log(`  embedded chDB alone (open + create warehouse): peak RSS ${(chdbKb / 1024).toFixed(0)} MB`);
  for (const size of e2eSizes) {
    await withScratchDatabases(
      String(size),
      async (urls, fresh) => {
        const crmPool = await createExtractPool(urls.crm);
        const telPool = await createExtractPool(urls.telemetry);
        try {
          if (fresh) await generateEndToEnd(crmPool, telPool, size);
          else console.log(`  ${fmt(size)} rows: reusing the kept databases (BENCH_KEEP_DB=${keepTag})`);
          const extractOnly = await runChild(
            [urls.telemetry, MONTH],
            fileURLToPath(new URL('./extract-only.mjs', import.meta.url)),
          );
          if (extractOnly.code !== 0) throw new Error(`extract failed: ${extractOnly.stderr.slice(-2000)}`);
          const baseline = JSON.parse(extractOnly.stdout) as { rows: number; seconds: number };
          const extractRate = baseline.rows / baseline.seconds;
          console.log(
            `  extract only (COPY + model parsing, nothing written): ${fmt(baseline.rows)} rows in ${baseline.seconds.toFixed(1)} s, ${fmt(extractRate)} rows/s, peak RSS ${(extractOnly.rssKb / 1024).toFixed(0)} MB`,
          );
          for (const mode of e2eExtracts) {
            const dir = mkdtempSync(join(tmpdir(), 'etl-bench-run-'));
            try {
              const run = await runChild([
                'run',
                '--month',
                MONTH,
                '--crm',
                urls.crm,
                '--telemetry',
                urls.telemetry,
                '--clickhouse',
                `chdb:${join(dir, 'chdb')}`,
                '--engine',
                'sql',
                '--extract',
                mode,
                ...(process.env.BENCH_INSERT_BATCH
                  ? ['--insert-batch-size', process.env.BENCH_INSERT_BATCH]
                  : []),
              ]);
              if (run.code !== 0) throw new Error(`run failed (${run.code}): ${run.stderr.slice(-2000)}`);
              const rate = size / (run.ms / 1000);
              report(
                `run --extract ${mode}, ${fmt(size)} rows (rows/s)`,
                fmt(rate),
                'extract only',
                `${fmt(extractRate)}/s`,
                rate / extractRate,
                `${rate / extractRate >= 0.8 ? 'meets' : 'MISSES'} target 0.8x; ${(run.ms / 1000).toFixed(1)} s wall incl. process start`,
              );
              const base = results.get(mode) ?? { size, rssKb: run.rssKb };
              results.set(mode, base);
              report(
                `run --extract ${mode}, ${fmt(size)} rows: peak RSS (MB)`,
                (run.rssKb / 1024).toFixed(0),
                `${fmt(base.size)} rows`,
                `${(base.rssKb / 1024).toFixed(0)} MB`,
                run.rssKb / base.rssKb,
                `${run.rssKb / 1024 < 512 ? 'meets' : 'MISSES'} target < 512 MB${base.size === size ? '' : `; ${run.rssKb / base.rssKb <= 1.1 ? 'meets' : 'MISSES'} target 1.1x`} (chDB alone ${(chdbKb / 1024).toFixed(0)} MB; V8 heap peak ${(run.heapKb / 1024).toFixed(0)} MB)`,
              );
              printTimings(run.stdout);
            } finally {
              rmSync(dir, { recursive: true, force: true });
            }
          }
        } finally {
          await crmPool.end();
          await telPool.end();
        }
      },
      keepTag,
    );
  }
}

type ExtractPool = Awaited<ReturnType<typeof createExtractPool>>;

async function generateEndToEnd(crmPool: ExtractPool, telPool: ExtractPool, size: number) {
  const crm = benchData({ prostheses: 150, rowsPerTable: 150, monthStart: period.startMs });
  const t0 = performance.now();
  await createTables(crmPool, ['users', 'prosthetics', 'subscriptions', 'payments'], false);
  await createTables(crmPool, ['users', 'prosthetics', 'subscriptions', 'payments'], true);
  await insertPg(crmPool, 'users', crm.users);
  await insertPg(crmPool, 'prosthetics', crm.prosthetics);
  await insertPg(crmPool, 'subscriptions', crm.subscriptions);
  await insertPg(crmPool, 'payments', crm.payments);
  await generateTelemetry(
    telPool,
    size,
    crm.prosthetics.map((p) => p.id),
    crm.users.map((u) => u.id),
  );
  await telPool.query('VACUUM ANALYZE');
  console.log(
    `  ${fmt(size)} rows generated in PostgreSQL in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}

if (process.env.BENCH_ONLY_EXTRACT === '1') {
  await extractBench();
} else {
  if (process.env.BENCH_ONLY_E2E !== '1') {
    const transformed = await transformBench();
    await pushdownBench(transformed);
    await extractBench();
  }
  if (process.env.BENCH_SKIP_E2E !== '1') await endToEndBench();
}
