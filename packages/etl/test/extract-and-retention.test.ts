import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clickhouseTimestamp,
  EtlStepError,
  InvalidSourceRowsError,
  monthPeriod,
  monthWindow,
  READ_SETTINGS,
  readMonth,
  runMonthlyJob,
  type SourceCheckRow,
  sourceCheckQuery,
  type TelemetrySourceTable,
} from '../src/index.js';
import { createChdbClient } from '../src/chdb.js';
import { kpiDataset, recentMonths } from './support/edge-dataset.js';
import type { SourcePools } from './support/pipeline-suite.js';
import { seedSources } from './support/postgres-seed.js';
import { openServerPools } from './support/server-pools.js';

/**
 * The two things `runMonthlyJob` gained for operating it: `extract:
 * 'clickhouse'` (ClickHouse reads PostgreSQL with postgresql(), the models'
 * rules checked by SQL in PostgreSQL) and the hourly mart's retention as a
 * setting. PostgreSQL server (unique scratch databases) and chDB.
 */
// One chDB data directory per process: both suites share it, in databases of their own.
const dir = mkdtempSync(join(tmpdir(), 'etl-extract-'));
// As the CLI opens chDB (TabSeparated batches through the zero-copy rawInsert), without its engine settings.
const clickhouse = createChdbClient({ path: dir, clickhouse_settings: {} });

afterAll(async () => {
  await clickhouse.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('extract modes on PostgreSQL + chDB', () => {
  const month = recentMonths()[1];
  const lastUpdated = new Date('2026-01-01T00:00:00Z');
  let pools: SourcePools;
  let telemetryUrl: string;

  beforeAll(async () => {
    pools = await openServerPools();
    await seedSources(pools.crm, pools.telemetry, kpiDataset(23, { users: 3, eventsPerDay: 6 }));
    const database = (await pools.telemetry.query('SELECT current_database() AS db')).rows[0].db as string;
    const url = new URL(process.env.BIONICPRO_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    url.pathname = `/${database}`;
    telemetryUrl = url.toString();
  });

  afterAll(async () => {
    await pools?.close();
  });

  const job = (extract: 'copy' | 'clickhouse', database: string) =>
    runMonthlyJob({
      month,
      crm: pools.crm,
      telemetry: pools.telemetry,
      clickhouse,
      extract,
      telemetrySourceUrl: telemetryUrl,
      layout: { rawDatabase: `raw_${database}`, martDatabase: `marts_${database}` },
      now: () => lastUpdated,
    });

  /** An order-independent checksum of a raw table's month, every model column. */
  async function rawChecksum(database: string, table: TelemetrySourceTable) {
    const ts = table === 'battery_metrics' ? 'metric_timestamp' : 'event_timestamp';
    const period = monthPeriod(month);
    const result = await clickhouse.query({
      query: `SELECT count() AS n, toString(sum(cityHash64(* EXCEPT (_version)))) AS h FROM raw_${database}.${table} WHERE _is_deleted = 0 AND ${ts} >= {start:DateTime64(3, 'UTC')} AND ${ts} < {end:DateTime64(3, 'UTC')}`,
      query_params: { start: clickhouseTimestamp(period.startMs), end: clickhouseTimestamp(period.endMs) },
      format: 'JSONEachRow',
      clickhouse_settings: READ_SETTINGS,
    });
    return (await result.json<{ n: number; h: string }>())[0];
  }

  it('copies the month through postgresql() into exactly the raw rows and marts of the COPY extract', async () => {
    const viaCopy = await job('copy', 'copy');
    const viaClickHouse = await job('clickhouse', 'ch');
    expect(viaClickHouse.extract).toBe('clickhouse');
    expect(viaClickHouse.tables).toEqual(viaCopy.tables);
    expect(viaClickHouse.marts).toEqual(viaCopy.marts);
    for (const table of ['telemetry_events', 'device_events', 'battery_metrics'] as const) {
      const copy = await rawChecksum('copy', table);
      expect(copy?.n).toBeGreaterThan(0);
      expect(await rawChecksum('ch', table), table).toEqual(copy);
    }
    const period = monthPeriod(month);
    for (const mart of [
      'report_user_monthly_metrics',
      'report_prosthetic_monthly_metrics',
      'user_prosthesis_stats',
    ] as const) {
      expect(await readMonth(clickhouse, mart, period, 'marts_ch')).toEqual(
        await readMonth(clickhouse, mart, period, 'marts_copy'),
      );
    }
    // Where the time went: ClickHouse's copy and PostgreSQL's rule check per table, then the marts.
    expect(Object.keys(viaClickHouse.timings.copy ?? {})).toEqual(
      expect.arrayContaining(['telemetry_events', 'device_events', 'battery_metrics']),
    );
    expect(viaClickHouse.timings.check?.battery_metrics?.seconds).toBeGreaterThanOrEqual(0);
    expect(viaCopy.timings.encode?.device_events?.rows).toBe(viaCopy.tables.device_events?.extracted);
    expect(viaCopy.timings.insert?.telemetry_events?.rows).toBe(viaCopy.tables.telemetry_events?.extracted);
    expect(viaCopy.timings.pushdown?.user_prosthesis_stats?.rows).toBe(viaCopy.marts.user_prosthesis_stats);
  });

  it('checks every rule PostgreSQL does not enforce by SQL, reports the bad rows and leaves no half-checked window', async () => {
    const at = new Date(monthPeriod(month).startMs + 5 * 3_600_000).toISOString();
    const bad = [
      ['battery_metrics', 99_000_001, 'charge_level', `(99000001, 1, '${at}', 150, -1, false, '${at}')`],
      ['battery_metrics', 99_000_002, 'current_ma', `(99000002, 1, '${at}', 50, 'NaN', false, '${at}')`],
      [
        'battery_metrics',
        99_000_003,
        'created_at',
        `(99000003, 1, '${at}', 50, -1, false, '1899-12-31T00:00:00Z')`,
      ],
      ['battery_metrics', -7, 'id', `(-7, 1, '${at}', 50, -1, false, '${at}')`],
      [
        'device_events',
        99_000_004,
        'response_time_ms',
        `(99000004, 1, 'movement', '${at}', NULL, 'info', -1, '${at}')`,
      ],
      ['device_events', 99_000_005, 'event_type', `(99000005, 1, '', '${at}', NULL, 'info', NULL, '${at}')`],
      [
        'device_events',
        99_000_006,
        'prosthetic_id',
        `(99000006, 0, 'movement', '${at}', NULL, 'info', NULL, '${at}')`,
      ],
      [
        'telemetry_events',
        99_000_007,
        'muscle_group',
        `(99000007, gen_random_uuid(), 1, NULL, 'hand', '   ', 180, 3000, 2.5, '${at}', '${at}')`,
      ],
      [
        'telemetry_events',
        99_000_008,
        'signal_duration',
        `(99000008, gen_random_uuid(), 1, NULL, 'hand', 'flexor', 180, -5, 2.5, '${at}', '${at}')`,
      ],
      [
        'telemetry_events',
        99_000_009,
        'signal_amplitude',
        `(99000009, gen_random_uuid(), 1, NULL, 'hand', 'flexor', 180, 5, '-Infinity', '${at}', '${at}')`,
      ],
    ] as const;
    // The models' CHECK constraints on enum columns are PostgreSQL's own; the rules here are the ones it lacks.
    await pools.telemetry.query(
      'ALTER TABLE device_events DROP CONSTRAINT IF EXISTS device_events_event_type_check',
    );
    for (const [table, , , values] of bad)
      await pools.telemetry.query(`INSERT INTO ${table} VALUES ${values}`);
    try {
      const window = monthWindow(monthPeriod(month));
      for (const table of ['battery_metrics', 'device_events', 'telemetry_events'] as const) {
        const { text, values } = sourceCheckQuery(table, window);
        const [check] = (await pools.telemetry.query(text, values)).rows as SourceCheckRow[];
        const expected = bad
          .filter((b) => b[0] === table)
          .map((b) => [String(b[1]), b[2]])
          .sort((a, b) => Number(a[0]) - Number(b[0]));
        expect(Number(check!.bad), table).toBe(expected.length);
        expect(check!.samples!.map((s) => s.split('\t').slice(0, 2))).toEqual(expected);
      }

      const error = await job('clickhouse', 'ch').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EtlStepError);
      const cause = (error as EtlStepError).cause;
      expect(cause).toBeInstanceOf(InvalidSourceRowsError);
      expect((error as EtlStepError).message).toMatch(
        /^extract of (battery_metrics|device_events|telemetry_events) for \d{4}-\d{2} failed: \d rows? of \w+ breaks? the models' rules: id -?\d+: \w+ must/,
      );
      // Not silently loaded: the failed table's window is empty again.
      const failed = (cause as InvalidSourceRowsError).table as TelemetrySourceTable;
      expect((await rawChecksum('ch', failed))?.n).toBe(0);
      // The COPY extract refuses the same month through the model parsers.
      await expect(job('copy', 'copy')).rejects.toBeInstanceOf(EtlStepError);
    } finally {
      for (const [table, id] of bad) await pools.telemetry.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
    }
  });

  it('needs the sql engine and a URL ClickHouse can reach for extract clickhouse', async () => {
    const base = {
      month,
      crm: pools.crm,
      telemetry: pools.telemetry,
      clickhouse,
      extract: 'clickhouse' as const,
    };
    await expect(runMonthlyJob({ ...base, engine: 'ts', telemetrySourceUrl: telemetryUrl })).rejects.toThrow(
      /needs engine 'sql'/,
    );
    await expect(runMonthlyJob(base)).rejects.toThrow(/needs telemetrySourceUrl/);
  });
});

describe('retention of the hourly mart (a backfill two years back)', () => {
  const now = () => new Date('2026-12-06T12:00:00Z');
  let pools: SourcePools;

  beforeAll(async () => {
    pools = await openServerPools();
    await seedSources(
      pools.crm,
      pools.telemetry,
      kpiDataset(29, { users: 2, eventsPerDay: 4, start: '2024-01' }),
    );
  });

  afterAll(async () => {
    await pools?.close();
  });

  const layout = { rawDatabase: 'raw_retention', martDatabase: 'marts_retention' };
  const hourlyRows = async () =>
    (await readMonth(clickhouse, 'user_prosthesis_stats', monthPeriod('2024-01'), 'marts_retention')).length;

  it('refuses a month outside the default 365 days before any work, naming the month and the retention', async () => {
    const error = await runMonthlyJob({
      month: '2024-01',
      crm: pools.crm,
      telemetry: pools.telemetry,
      clickhouse,
      layout,
      now,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'outside_retention', month: '2024-01', retentionDays: 365 });
    expect((error as Error).message).toMatch(/month 2024-01 lies outside the 365-day retention/);
    const databases = await clickhouse.query({
      query: "SELECT count() AS n FROM system.databases WHERE name = 'raw_retention'",
      format: 'JSONEachRow',
    });
    expect((await databases.json<{ n: number }>())[0]?.n).toBe(0); // nothing was created
  });

  it('keeps the month with retention none, and the summary counts what the mart holds', async () => {
    const summary = await runMonthlyJob({
      month: '2024-01',
      crm: pools.crm,
      telemetry: pools.telemetry,
      clickhouse,
      layout,
      retentionDays: null,
      now,
    });
    expect(summary.retentionDays).toBeNull();
    expect(summary.marts.user_prosthesis_stats).toBeGreaterThan(0);
    expect(await hourlyRows()).toBe(summary.marts.user_prosthesis_stats);
    const ddl = await clickhouse.query({
      query:
        "SELECT engine_full FROM system.tables WHERE database = 'marts_retention' AND name = 'user_prosthesis_stats'",
      format: 'JSONEachRow',
    });
    expect((await ddl.json<{ engine_full: string }>())[0]?.engine_full).not.toMatch(/TTL/);
  });

  it('changes an existing mart to a longer retention, and counts the rows read back after the swap', async () => {
    const summary = await runMonthlyJob({
      month: '2024-01',
      crm: pools.crm,
      telemetry: pools.telemetry,
      clickhouse,
      layout,
      retentionDays: 3650,
      now,
    });
    const ddl = await clickhouse.query({
      query:
        "SELECT engine_full FROM system.tables WHERE database = 'marts_retention' AND name = 'user_prosthesis_stats'",
      format: 'JSONEachRow',
    });
    expect((await ddl.json<{ engine_full: string }>())[0]?.engine_full).toMatch(
      /TTL date \+ toIntervalDay\(3650\)/,
    );
    // TTL merges run now: nothing within ten years may go.
    await clickhouse.command({ query: 'OPTIMIZE TABLE marts_retention.user_prosthesis_stats FINAL' });
    expect(await hourlyRows()).toBe(summary.marts.user_prosthesis_stats);
    expect(summary.warnings).toEqual([]);
  });
});
