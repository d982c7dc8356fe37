import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import {
  createRowParser,
  ProstheticMonthlyMetrics,
  UserMonthlyMetrics,
  UserProsthesisHourlyStats,
} from '@bionicpro/models';
import { createChdbConnection } from 'chdb/connection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureWarehouse,
  insertRows,
  type MonthPeriod,
  monthPeriod,
  prostheticMonthlyMetrics,
  prostheticMonthlyMetricsSql,
  READ_SETTINGS,
  readMonth,
  replaceMonthPartition,
  telemetryReportSql,
  telemetryReports,
  telemetryReportsFromRows,
  userMonthlyMetrics,
  userMonthlyMetricsSql,
  userProsthesisHourlyStats,
  userProsthesisHourlyStatsSql,
  type TelemetryReportSqlRow,
} from '../src/index.js';
import { expectRowsClose } from './support/compare.js';
import { type KpiDataset, kpiDataset, recentMonths } from './support/edge-dataset.js';
import { battery, device, prosthetic, user } from './support/rows.js';

/**
 * The TS transforms and the ClickHouse SQL builders compute the same mart rows
 * from the same raw rows (docs/kpis.md), on embedded chDB: money equal exactly,
 * floats within 1e-9 relative.
 */
const dir = mkdtempSync(join(tmpdir(), 'etl-parity-'));
const client = createClient({ connection: createChdbConnection({ path: dir }) } as never);
const lastUpdated = new Date('2026-01-05T00:00:00Z');
const [firstMonth, secondMonth] = recentMonths();

afterAll(async () => {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

async function loadRaw(data: KpiDataset, rawDatabase: string) {
  const extra = { _version: 1, _is_deleted: 0 };
  const load = (table: string, rows: object[]) =>
    insertRows(client, `${rawDatabase}.${table}`, rows, { extra });
  await load('users', data.users);
  await load('prosthetics', data.prosthetics);
  await load('subscriptions', data.subscriptions);
  await load('payments', data.payments);
  await load('telemetry_events', data.telemetryEvents);
  await load('device_events', data.deviceEvents);
  await load('battery_metrics', data.batteryMetrics);
}

const parsers = {
  report_user_monthly_metrics: createRowParser(UserMonthlyMetrics, 'report_user_monthly_metrics'),
  report_prosthetic_monthly_metrics: createRowParser(
    ProstheticMonthlyMetrics,
    'report_prosthetic_monthly_metrics',
  ),
  user_prosthesis_stats: createRowParser(UserProsthesisHourlyStats, 'user_prosthesis_stats'),
};

const sqlBuilders = {
  report_user_monthly_metrics: userMonthlyMetricsSql,
  report_prosthetic_monthly_metrics: prostheticMonthlyMetricsSql,
  user_prosthesis_stats: userProsthesisHourlyStatsSql,
};

type MartTable = keyof typeof parsers;

/** Builds one month of a mart with the SQL pushdown (staging + partition swap) and reads it back, parsed. */
async function buildWithSql<T extends MartTable>(
  table: T,
  period: MonthPeriod,
  raw: string,
  marts: string,
): Promise<ReturnType<(typeof parsers)[T]>[]> {
  await replaceMonthPartition(client, table, period, { database: marts }, (staging) =>
    client.command(
      sqlBuilders[table](period, {
        rawDatabase: raw,
        martDatabase: marts,
        targetTable: staging,
        lastUpdated,
      }),
    ),
  );
  const rows = await readMonth(client, table, period, marts);
  return rows.map((r) => parsers[table](r) as ReturnType<(typeof parsers)[T]>);
}

for (const seed of [1, 2, 3]) {
  describe(`seed ${seed}: SQL pushdown equals the TS transforms`, () => {
    const raw = `raw_${seed}`;
    const marts = `marts_${seed}`;
    let data: KpiDataset;

    beforeAll(async () => {
      data = kpiDataset(seed);
      await ensureWarehouse(client, { rawDatabase: raw, martDatabase: marts });
      await loadRaw(data, raw);
      // A redelivered copy of some rows (same key): FINAL keeps one, the transforms count one.
      const copies = data.deviceEvents.slice(0, 25);
      await insertRows(client, `${raw}.device_events`, copies, { extra: { _version: 2, _is_deleted: 0 } });
      data.deviceEvents.push(...copies);
      // A row deleted at the source (CDC delete marker) is gone for both.
      const deleted = data.batteryMetrics.splice(5, 1);
      await insertRows(client, `${raw}.battery_metrics`, deleted, { extra: { _version: 3, _is_deleted: 1 } });
    });

    for (const month of [firstMonth, secondMonth]) {
      const period = monthPeriod(month);

      it(`report_user_monthly_metrics ${month}`, async () => {
        const sql = await buildWithSql('report_user_monthly_metrics', period, raw, marts);
        const ts = userMonthlyMetrics(data, { month, lastUpdated });
        expect(ts.length).toBeGreaterThan(0);
        expect(ts.some((r) => r.total_payments !== '0.00')).toBe(true);
        expectRowsClose(sql, ts, []);
      });

      it(`report_prosthetic_monthly_metrics ${month}`, async () => {
        const sql = await buildWithSql('report_prosthetic_monthly_metrics', period, raw, marts);
        const ts = prostheticMonthlyMetrics(data, { month, lastUpdated }).sort(
          (a, b) => a.user_id - b.user_id || a.prosthetic_id - b.prosthetic_id,
        );
        expect(ts.some((r) => r.total_active_hours > 0 && r.avg_discharge_rate_active !== null)).toBe(true);
        expectRowsClose(sql, ts, []);
      });

      it(`user_prosthesis_stats ${month}`, async () => {
        const sql = await buildWithSql('user_prosthesis_stats', period, raw, marts);
        const ts = userProsthesisHourlyStats(data, { month, lastUpdated });
        expect(ts.length).toBeGreaterThan(100);
        expectRowsClose(sql, ts, []);
      });

      it(`telemetry report ${month}`, async () => {
        const window = { start_ts: new Date(period.startMs), end_ts: new Date(period.endMs - 1) };
        const result = await client.query({
          ...telemetryReportSql(window, { rawDatabase: raw }),
          format: 'JSONEachRow',
          clickhouse_settings: READ_SETTINGS,
        });
        const sql = telemetryReportsFromRows(await result.json<TelemetryReportSqlRow>());
        const ts = telemetryReports(data, window);
        expect(sql.map((r) => r.user_id)).toEqual(ts.map((r) => r.user_id));
        for (let i = 0; i < ts.length; i += 1) {
          const { prosthesis_stats: a, ...restA } = sql[i]!;
          const { prosthesis_stats: b, ...restB } = ts[i]!;
          expect(restA).toEqual(restB);
          expectRowsClose(a, b, []);
        }
      });
    }

    it('report_prosthetic_monthly_metrics built in shards: the same rows, each prosthesis in one shard', async () => {
      const period = monthPeriod(secondMonth);
      const whole = (await readMonth(client, 'report_prosthetic_monthly_metrics', period, marts)).map((r) =>
        parsers.report_prosthetic_monthly_metrics(r),
      );
      expect(whole.length).toBeGreaterThan(3);
      const count = 3;
      const shardIds: number[][] = [];
      await replaceMonthPartition(
        client,
        'report_prosthetic_monthly_metrics',
        period,
        { database: marts },
        async (staging) => {
          for (let index = 0; index < count; index += 1) {
            const compiled = prostheticMonthlyMetricsSql(period, {
              rawDatabase: raw,
              martDatabase: marts,
              targetTable: staging,
              lastUpdated,
              shard: { count, index },
            });
            await client.command(compiled);
            // the prostheses this shard added to the staging table
            const result = await client.query({
              query: `SELECT prosthetic_id FROM ${marts}.${staging} ORDER BY prosthetic_id`,
              format: 'JSONEachRow',
            });
            const all = (await result.json<{ prosthetic_id: number }>()).map((r) => Number(r.prosthetic_id));
            shardIds.push(all.filter((id) => !shardIds.flat().includes(id)));
          }
        },
      );
      const sharded = (await readMonth(client, 'report_prosthetic_monthly_metrics', period, marts)).map((r) =>
        parsers.report_prosthetic_monthly_metrics(r),
      );
      expect(sharded).toEqual(whole);
      shardIds.forEach((ids, index) => {
        expect(ids.length).toBeGreaterThan(0);
        expect(ids.every((id) => id % count === index)).toBe(true);
      });
      expect(shardIds.flat().sort((a, b) => a - b)).toEqual(
        whole.map((r) => r.prosthetic_id).sort((a, b) => a - b),
      );
    });

    it('re-running a month replaces it: no duplicates', async () => {
      const period = monthPeriod(firstMonth);
      const before = (await readMonth(client, 'report_prosthetic_monthly_metrics', period, marts)).map((r) =>
        parsers.report_prosthetic_monthly_metrics(r),
      );
      expect(before.length).toBeGreaterThan(0);
      const after = await buildWithSql('report_prosthetic_monthly_metrics', period, raw, marts);
      expect(after).toEqual(before);
    });
  });
}

/**
 * Rows of one prosthesis at the same instant are ordered by id (docs/kpis.md
 * event-time order is `(timestamp, id)`). The SQL sorts cheap numeric keys
 * first and falls back to `(timestamp, id)` only for such ties, so every case
 * here puts the ids against the cheap order.
 */
describe('same-instant ties and context from outside the month', () => {
  const raw = 'raw_ties';
  const marts = 'marts_ties';
  const period = monthPeriod(firstMonth);
  const A = period.startMs;
  const H = 3_600_000;
  const t = (ms: number) => new Date(ms).toISOString();
  const data = {
    users: [user(1), user(2)],
    prosthetics: [1, 2, 3, 4, 5, 6].map((id) => prosthetic(id, id <= 3 ? 1 : 2)),
    deviceEvents: [
      // 1: power_on (lower id) and power_off at one instant: off after it; again at 02:30
      device(101, 1, 'power_on', t(A + H)),
      device(102, 1, 'power_off', t(A + H)),
      device(103, 1, 'power_on', t(A + 2 * H)),
      device(105, 1, 'power_off', t(A + 2.5 * H)),
      device(104, 1, 'power_on', t(A + 2.5 * H)),
      device(106, 1, 'calibration', t(A + 3 * H)),
      // 2: power_off (lower id) then power_on at one instant: on after it
      device(201, 2, 'power_off', t(A + H)),
      device(202, 2, 'power_on', t(A + H)),
      device(203, 2, 'calibration', t(A + 4 * H)),
      // 4: before the month, power_off (lower id) then power_on at one instant: a session carried in
      device(401, 4, 'power_off', t(A - H)),
      device(402, 4, 'power_on', t(A - H)),
      device(403, 4, 'movement', t(A + 2 * H)),
      // 5: before the month, power_on (lower id) then power_off at one instant: nothing carried in
      device(501, 5, 'power_on', t(A - H)),
      device(502, 5, 'power_off', t(A - H)),
      device(503, 5, 'movement', t(A + 2 * H)),
      // 6: a critical event before the month after its last power_on, one at that power_on's instant,
      // and one in the month at the instant of a power_on with a lower id
      device(601, 6, 'power_on', t(A - 5 * H)),
      device(602, 6, 'error', t(A - 5 * H), { severity: 'critical' }),
      device(603, 6, 'error', t(A - 3 * H), { severity: 'critical' }),
      device(604, 6, 'power_off', t(A - 2 * H)),
      device(606, 6, 'power_on', t(A + 2 * H)),
      device(605, 6, 'error', t(A + 2 * H), { severity: 'critical' }),
      device(607, 6, 'power_off', t(A + 4 * H)),
    ],
    batteryMetrics: [
      battery(111, 1, t(A + H), 60, -50), // at the tie instant: idle
      battery(112, 1, t(A + 1.5 * H), 60, -40), // idle
      battery(113, 1, t(A + 2.25 * H), 60, -30), // active
      battery(114, 1, t(A + 2.75 * H), 60, -20), // idle: the 02:30 tie ends in power_off
      battery(211, 2, t(A + H), 60, -70), // at the tie instant: active
      battery(212, 2, t(A + 3 * H), 60, -60), // active
      // 3: a sample above 95 % (lower id) and one below 50 % at one instant: no cycle, then armed
      battery(311, 3, t(A + H), 97, 10),
      battery(312, 3, t(A + H), 30, -10),
      battery(313, 3, t(A + 2 * H), 40, -10),
      battery(314, 3, t(A + 3 * H), 60, -10),
      battery(315, 3, t(A + 4 * H), 99, 20),
      battery(316, 3, t(A + 4 * H), 20, -20),
      // 4: before the month, high (lower id) then low at one instant: armed at the month's start
      battery(410, 4, t(A - 2 * H), 97, 5),
      battery(411, 4, t(A - 2 * H), 30, -5),
      battery(412, 4, t(A + H), 98, -15), // a cycle, inside the carried session
      // 5: before the month, low (lower id) then high at one instant: not armed
      battery(510, 5, t(A - 2 * H), 30, -5),
      battery(511, 5, t(A - 2 * H), 97, 5),
      battery(512, 5, t(A + H), 98, -15), // no cycle, idle
    ],
  };

  beforeAll(async () => {
    await ensureWarehouse(client, { rawDatabase: raw, martDatabase: marts });
    const extra = { extra: { _version: 1, _is_deleted: 0 } };
    await insertRows(client, `${raw}.users`, data.users, extra);
    await insertRows(client, `${raw}.prosthetics`, data.prosthetics, extra);
    // Newest rows first, and in two inserts: the raw tables' arrival order is not event-time order.
    await insertRows(client, `${raw}.device_events`, [...data.deviceEvents].reverse().slice(0, 12), extra);
    await insertRows(client, `${raw}.device_events`, [...data.deviceEvents].reverse().slice(12), extra);
    await insertRows(client, `${raw}.battery_metrics`, [...data.batteryMetrics].reverse(), extra);
  });

  it('report_prosthetic_monthly_metrics: equal to the TS transform, ties resolved by id', async () => {
    const sql = await buildWithSql('report_prosthetic_monthly_metrics', period, raw, marts);
    const ts = prostheticMonthlyMetrics(
      { ...data, users: data.users },
      { month: firstMonth, lastUpdated },
    ).sort((a, b) => a.user_id - b.user_id || a.prosthetic_id - b.prosthetic_id);
    expectRowsClose(sql, ts, []);
    const byId = new Map(sql.map((r) => [r.prosthetic_id, r]));
    // The expected figures, worked by hand from the rows above.
    expect(byId.get(1)).toMatchObject({
      total_active_hours: 0.5,
      avg_discharge_rate_active: 30,
      avg_discharge_rate_idle: (50 + 40 + 20) / 3,
    });
    expect(byId.get(2)).toMatchObject({
      total_active_hours: 3,
      avg_discharge_rate_active: 65,
      avg_discharge_rate_idle: null,
    });
    expect(byId.get(3)).toMatchObject({ charge_cycles: 1 });
    expect(byId.get(4)).toMatchObject({
      total_active_hours: 2,
      charge_cycles: 1,
      avg_discharge_rate_active: 15,
    });
    expect(byId.get(5)).toMatchObject({
      total_active_hours: 0,
      charge_cycles: 0,
      avg_discharge_rate_idle: 15,
    });
    expect(byId.get(6)).toMatchObject({
      downtime_minutes: 120,
      critical_error_count: 1,
      total_active_hours: 2,
    });
  });
});
