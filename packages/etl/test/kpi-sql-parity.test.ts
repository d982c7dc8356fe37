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

/**
 * The TS transforms and the ClickHouse SQL builders compute the same mart rows
 * from the same raw rows (SPEC §3), on embedded chDB: money equal exactly,
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
        await replaceMonthPartition(
          client,
          'report_user_monthly_metrics',
          period,
          { database: marts },
          (staging) =>
            client.command(
              userMonthlyMetricsSql(period, {
                rawDatabase: raw,
                martDatabase: marts,
                targetTable: staging,
                lastUpdated,
              }),
            ),
        );
        const sql = (await readMonth(client, 'report_user_monthly_metrics', period, marts)).map((r) =>
          parsers.report_user_monthly_metrics(r),
        );
        const ts = userMonthlyMetrics(data, { month, lastUpdated });
        expect(ts.length).toBeGreaterThan(0);
        expect(ts.some((r) => r.total_payments !== '0.00')).toBe(true);
        expectRowsClose(sql, ts, []);
      });

      it(`report_prosthetic_monthly_metrics ${month}`, async () => {
        await replaceMonthPartition(
          client,
          'report_prosthetic_monthly_metrics',
          period,
          { database: marts },
          (staging) =>
            client.command(
              prostheticMonthlyMetricsSql(period, {
                rawDatabase: raw,
                martDatabase: marts,
                targetTable: staging,
                lastUpdated,
              }),
            ),
        );
        const sql = (await readMonth(client, 'report_prosthetic_monthly_metrics', period, marts)).map((r) =>
          parsers.report_prosthetic_monthly_metrics(r),
        );
        const ts = prostheticMonthlyMetrics(data, { month, lastUpdated }).sort(
          (a, b) => a.user_id - b.user_id || a.prosthetic_id - b.prosthetic_id,
        );
        expect(ts.some((r) => r.total_active_hours > 0 && r.avg_discharge_rate_active !== null)).toBe(true);
        expectRowsClose(sql, ts, []);
      });

      it(`user_prosthesis_stats ${month}`, async () => {
        await replaceMonthPartition(client, 'user_prosthesis_stats', period, { database: marts }, (staging) =>
          client.command(
            userProsthesisHourlyStatsSql(period, {
              rawDatabase: raw,
              martDatabase: marts,
              targetTable: staging,
              lastUpdated,
            }),
          ),
        );
        const sql = (await readMonth(client, 'user_prosthesis_stats', period, marts)).map((r) =>
          parsers.user_prosthesis_stats(r),
        );
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

    it('re-running a month replaces it: no duplicates', async () => {
      const period = monthPeriod(firstMonth);
      const before = await readMonth(client, 'report_prosthetic_monthly_metrics', period, marts);
      await replaceMonthPartition(
        client,
        'report_prosthetic_monthly_metrics',
        period,
        { database: marts },
        (staging) =>
          client.command(
            prostheticMonthlyMetricsSql(period, {
              rawDatabase: raw,
              martDatabase: marts,
              targetTable: staging,
              lastUpdated,
            }),
          ),
      );
      const after = await readMonth(client, 'report_prosthetic_monthly_metrics', period, marts);
      expect(after).toEqual(before);
    });
  });
}
