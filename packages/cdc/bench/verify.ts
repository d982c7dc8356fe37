/**
 * `verifyReplica` throughput: rows verified per second on an equal table of
 * BENCH_VERIFY_ROWS rows (default 10,000,000) of `battery_metrics` (int64 id,
 * doubles, a bool, two instants), built directly in both engines
 * (`generate_series` in PostgreSQL, `numbers()` in embedded chDB). Baseline in
 * the same run: one plain count of the current rows on both sides at once (the
 * least a comparison must read), and each side's first level alone. Target: ≥ 1,000,000 rows/s.
 *
 * The equal run is repeated BENCH_VERIFY_ROUNDS times (default 3) for each way of
 * running the PostgreSQL side, alternated in this process so a busy machine weighs on
 * all alike: `source.parallelism` 1 (one query per level), 2 and 4 (key-range parts on
 * as many pooled connections), and 1 with PostgreSQL's own parallel plan (2 workers per
 * gather, parallel costs 0). Each line gives the median and every time.
 *
 * Needs PostgreSQL: BIONICPRO_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres); a
 * database `bench_verify_<pid>` is created and dropped.
 *
 * Run: pnpm --filter @bionicpro/cdc bench verify
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { tables } from '@bionicpro/models';
import { createChdbConnection } from 'chdb/connection';
import pg from 'pg';
import { cdcTargetDdl, verifyReplica } from '../src/index.js';
import { replicaBatteryRows, sourceBatteryRows } from './battery-rows.js';
import { bucketWidth, replicaBucketsQuery, sourceBucketsQuery } from '../src/verify-plan.js';

const rows = Number(process.env['BENCH_VERIFY_ROWS'] ?? 10_000_000);
const rounds = Number(process.env['BENCH_VERIFY_ROUNDS'] ?? 3);
const url = process.env['BIONICPRO_PG_URL'];
if (!url) throw new Error('the verify bench needs PostgreSQL: set BIONICPRO_PG_URL');
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const database = `bench_verify_${process.pid}`;
const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query(`create database ${database}`);
const pool = new pg.Pool({ connectionString: url.replace(/\/[^/?]*(\?|$)/, `/${database}$1`), max: 4 });
// The drop at the end terminates idle pooled connections; that is expected, not a failure.
pool.on('error', () => undefined);
const path = mkdtempSync(join(tmpdir(), 'bionicpro-bench-verify-'));
const ch = createClient({ connection: createChdbConnection({ path }) as never });

try {
  let t0 = performance.now();
  await pool.query(`create table battery_metrics (
    id bigint primary key, prosthetic_id integer not null, metric_timestamp timestamptz not null,
    charge_level double precision not null, current_ma double precision not null, is_charging boolean not null,
    created_at timestamptz not null)`);
  const insert = sourceBatteryRows(rows);
  await pool.query(insert.text, insert.values);
  await pool.query('vacuum analyze battery_metrics');
  const pgBuildMs = performance.now() - t0;
  t0 = performance.now();
  await ch.command({ query: 'CREATE DATABASE bench' });
  await ch.command({ query: cdcTargetDdl(tables.battery_metrics, { database: 'bench' }) });
  await ch.command({ query: replicaBatteryRows('bench.battery_metrics', rows) });
  await ch.command({ query: 'OPTIMIZE TABLE bench.battery_metrics FINAL' });
  const chBuildMs = performance.now() - t0;
  console.log(
    `verify bench: built ${fmt(rows)} rows in PostgreSQL in ${(pgBuildMs / 1000).toFixed(1)} s and in chDB in ${(chBuildMs / 1000).toFixed(1)} s (not measured below)`,
  );

  t0 = performance.now();
  await Promise.all([
    pool.query('select count(*) from battery_metrics'),
    ch
      .query({
        query: 'SELECT count() FROM bench.battery_metrics FINAL WHERE _is_deleted = 0',
        format: 'JSONEachRow',
      })
      .then((r) => r.json()),
  ]);
  const countMs = performance.now() - t0;

  // PostgreSQL's own parallel plan, for this session only: a pool of one connection.
  const pgParallel = new pg.Pool({
    connectionString: url.replace(/\/[^/?]*(\?|$)/, `/${database}$1`),
    max: 1,
    options:
      '-c max_parallel_workers_per_gather=2 -c parallel_setup_cost=0 -c parallel_tuple_cost=0 -c min_parallel_table_scan_size=0',
  });
  pgParallel.on('error', () => undefined);
  const ways: [string, pg.Pool, number][] = [
    ['parallelism 1', pool, 1],
    ['parallelism 2', pool, 2],
    ['parallelism 4', pool, 4],
    ['parallelism 1, PostgreSQL parallel plan', pgParallel, 1],
  ];
  const times = new Map<string, number[]>(ways.map(([name]) => [name, []]));
  let report: Awaited<ReturnType<typeof verifyReplica>> | undefined;
  for (let round = 0; round < rounds; round++) {
    for (const [name, client, parallelism] of ways) {
      t0 = performance.now();
      const run = await verifyReplica({
        table: tables.battery_metrics,
        source: { client, parallelism },
        replica: { client: ch, table: 'bench.battery_metrics' },
      });
      times.get(name)!.push(performance.now() - t0);
      if (!run.equal || run.rows.source !== rows)
        throw new Error(`bench tables differ: ${JSON.stringify(run)}`);
      report = run;
    }
  }
  await pgParallel.end();
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
  const verifyMs = median(times.get('parallelism 2')!);

  // One row changed: the cost of descending to its key.
  await ch.command({
    query:
      'INSERT INTO bench.battery_metrics SELECT * REPLACE (charge_level + 1 AS charge_level, _version + 1 AS _version) FROM bench.battery_metrics WHERE id = 4242',
  });
  t0 = performance.now();
  const one = await verifyReplica({
    table: tables.battery_metrics,
    source: { client: pool },
    replica: { client: ch, table: 'bench.battery_metrics' },
  });
  const oneMs = performance.now() - t0;
  if (JSON.stringify(one.different) !== '[{"id":4242}]')
    throw new Error(`expected id 4242: ${JSON.stringify(one)}`);

  // Where the equal run's time goes: its first level, one grouped query per side, each side alone.
  const tablesOf = {
    table: tables.battery_metrics,
    source: 'battery_metrics',
    replica: 'bench.battery_metrics',
  };
  const whole = { lo: 1n, hi: BigInt(rows) };
  const width = bucketWidth(whole, 16);
  t0 = performance.now();
  const sq = sourceBucketsQuery(tablesOf, whole, width);
  await pool.query(sq.text, sq.values);
  const pgLevelMs = performance.now() - t0;
  t0 = performance.now();
  await (await ch.query({ ...replicaBucketsQuery(tablesOf, whole, width), format: 'JSONEachRow' })).json();
  const chLevelMs = performance.now() - t0;

  for (const [name, list] of times) {
    console.log(
      `verify ${fmt(rows)} equal rows, ${name}: ${fmt(rows / (median(list) / 1000))} rows/s (median ${(median(list) / 1000).toFixed(2)} s of ${list.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s)`,
    );
  }
  const perSecond = rows / (verifyMs / 1000);
  console.log(
    `verify ${fmt(rows)} equal rows (default, parallelism 2): ${fmt(perSecond)} rows/s (${(verifyMs / 1000).toFixed(1)} s, ${report!.queries} range queries per side; target ≥ 1,000,000 rows/s)` +
      ` vs baseline plain count on both sides ${(countMs / 1000).toFixed(1)} s: ${(verifyMs / countMs).toFixed(1)}× the baseline`,
  );
  console.log(
    `first level alone, one side at a time: PostgreSQL ${(pgLevelMs / 1000).toFixed(1)} s (${fmt(rows / (pgLevelMs / 1000))} rows/s), ClickHouse ${(chLevelMs / 1000).toFixed(1)} s (${fmt(rows / (chLevelMs / 1000))} rows/s)`,
  );
  console.log(
    `verify with one changed row: ${fmt(rows / (oneMs / 1000))} rows/s (${(oneMs / 1000).toFixed(1)} s, ${one.queries} range queries per side, found {"id":4242}): ${(oneMs / verifyMs).toFixed(2)}× the equal run`,
  );
} finally {
  await ch.close();
  await pool.end();
  await admin.query(`drop database if exists ${database} with (force)`);
  await admin.end();
  rmSync(path, { recursive: true, force: true });
}
