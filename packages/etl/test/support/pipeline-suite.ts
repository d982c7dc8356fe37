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
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClickHouseLike,
  EtlStepError,
  type InsertBodyParams,
  extractCrm,
  streamWindow,
  importTelemetryWindow,
  monthPeriod,
  type ProgressEvent,
  prostheticMonthlyMetrics,
  prostheticMonthlyMetricsAsync,
  READ_SETTINGS,
  readMonth,
  readWatermark,
  runMonthlyJob,
  streamBatteryMetricsForMonth,
  streamDeviceEventsForMonth,
  userMonthlyMetrics,
  userProsthesisHourlyStats,
} from '../../src/index.js';
import { expectRowsClose } from './compare.js';
import { type KpiDataset, kpiDataset, recentMonths } from './edge-dataset.js';
import { insertPg, seedSources } from './postgres-seed.js';

export interface SourcePools {
  crm: Pool;
  telemetry: Pool;
  close(): Promise<void>;
}

const parse = {
  report_user_monthly_metrics: createRowParser(UserMonthlyMetrics),
  report_prosthetic_monthly_metrics: createRowParser(ProstheticMonthlyMetrics),
  user_prosthesis_stats: createRowParser(UserProsthesisHourlyStats),
};

/**
 * The extract → transform → load pipeline against real engines: PostgreSQL
 * (a server or PGlite behind pglite-socket, chosen by the caller) and chDB.
 */
export function definePipelineSuite(
  name: string,
  openPools: () => Promise<SourcePools>,
  pagination: 'copy' | 'cursor' | 'keyset' = 'copy',
): void {
  describe(name, () => {
    const dir = mkdtempSync(join(tmpdir(), 'etl-pipeline-'));
    const connection = createChdbConnection({ path: dir });
    const clickhouse = createClient({ connection } as never);
    // The CLI's chDB client: raw batches as JSONEachRow bytes through chDB's rawInsert.
    const bodyClient: ClickHouseLike = {
      command: (p) => clickhouse.command(p),
      query: ((p: never) => clickhouse.query(p)) as ClickHouseLike['query'],
      insert: ((p: never) => clickhouse.insert(p)) as ClickHouseLike['insert'],
      insertBody: (p: InsertBodyParams) =>
        connection.chdb.rawInsert({ table: p.table, format: p.format, values: p.body, settings: p.settings }),
    };
    const [firstMonth, secondMonth] = recentMonths();
    const lastUpdated = new Date('2026-01-01T00:00:00Z');
    let pools: SourcePools;
    let data: KpiDataset;

    beforeAll(async () => {
      pools = await openPools();
      data = kpiDataset(11, { users: 3, eventsPerDay: 6 });
      await seedSources(pools.crm, pools.telemetry, data);
    });

    afterAll(async () => {
      await pools?.close();
      await clickhouse.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('extracts CRM rows with dates as text, money as text and UTC instants', async () => {
      const crm = await extractCrm(pools.crm, monthPeriod(firstMonth), { pagination });
      expect(crm.users).toEqual([...data.users].sort((a, b) => a.id - b.id));
      expect(crm.subscriptions[0]?.start_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(typeof crm.payments[0]?.amount).toBe('string');
      const period = monthPeriod(firstMonth);
      expect(crm.payments).toEqual(
        data.payments
          .filter(
            (p) => p.payment_date.getTime() >= period.startMs && p.payment_date.getTime() < period.endMs,
          )
          .sort((a, b) => a.id - b.id),
      );
    });

    it('streams a month of telemetry with just enough context for the prosthetic mart', async () => {
      for (const month of [firstMonth, secondMonth]) {
        const period = monthPeriod(month);
        let batches = 0;
        const fromStream = await prostheticMonthlyMetricsAsync(
          {
            users: data.users,
            prosthetics: data.prosthetics,
            deviceEvents: streamDeviceEventsForMonth(pools.telemetry, period, {
              batchSize: 500,
              pagination,
              onRows: () => {
                batches += 1;
              },
            }),
            batteryMetrics: streamBatteryMetricsForMonth(pools.telemetry, period, {
              batchSize: 500,
              pagination,
            }),
          },
          { month, order: 'sorted', lastUpdated },
        );
        expect(batches).toBeGreaterThan(1);
        expectRowsClose(fromStream, prostheticMonthlyMetrics(data, { month, lastUpdated }));
      }
    });

    it('frees the connection when the consumer stops early, and reads on afterwards', async () => {
      const period = monthPeriod(firstMonth);
      const window = { start: new Date(period.startMs), end: new Date(period.endMs) };
      // More early stops than the pool has connections (4; PGlite's 1): a leaked connection would hang here.
      for (let i = 0; i < 5; i += 1) {
        const taken: string[] = [];
        for await (const row of streamWindow(pools.telemetry, 'battery_metrics', window, {
          pagination,
          batchSize: 50,
        })) {
          taken.push(row.id);
          if (taken.length === 2) break;
        }
        expect(taken).toHaveLength(2);
      }
      let all = 0;
      for await (const _ of streamWindow(pools.telemetry, 'battery_metrics', window, { pagination }))
        all += 1;
      expect(all).toBe(
        data.batteryMetrics.filter(
          (b) =>
            b.metric_timestamp.getTime() >= period.startMs && b.metric_timestamp.getTime() < period.endMs,
        ).length,
      );
    });

    async function marts(month: string) {
      const period = monthPeriod(month);
      return {
        user: (await readMonth(clickhouse, 'report_user_monthly_metrics', period, 'reports')).map((r) =>
          parse.report_user_monthly_metrics(r),
        ),
        prosthetic: (await readMonth(clickhouse, 'report_prosthetic_monthly_metrics', period, 'reports')).map(
          (r) => parse.report_prosthetic_monthly_metrics(r),
        ),
        hourly: (await readMonth(clickhouse, 'user_prosthesis_stats', period, 'reports')).map((r) =>
          parse.user_prosthesis_stats(r),
        ),
      };
    }

    for (const engine of ['ts', 'sql'] as const) {
      it(`runs a month end to end with engine ${engine}, idempotently (${engine === 'sql' ? 'raw batches as bytes' : 'raw batches as rows'})`, async () => {
        const events: ProgressEvent[] = [];
        const job = {
          month: secondMonth,
          crm: pools.crm,
          telemetry: pools.telemetry,
          // The SQL marts are computed from the raw tables, so they check the byte path's values exactly.
          clickhouse: engine === 'sql' ? bodyClient : clickhouse,
          engine,
          pagination,
          layout: { rawDatabase: 'raw', martDatabase: 'reports' },
          insertBatchSize: 700,
          now: () => lastUpdated,
          onProgress: (e: ProgressEvent) => events.push(e),
        };
        const summary = await runMonthlyJob(job);
        // The second run builds the prosthetic mart in slices (a few prostheses each); the marts
        // checked below are the second run's.
        const commands: string[] = [];
        const again = await runMonthlyJob({
          ...job,
          clickhouse: recordCommands(job.clickhouse, commands),
          pushdownShardRows: 40,
        });
        expect(again.marts).toEqual(summary.marts);
        if (engine === 'sql') {
          const shards = commands.filter(
            (q) => q.includes('report_prosthetic_monthly_metrics') && q.includes('shard_count'),
          );
          expect(shards.length).toBeGreaterThan(1);
        }
        const period = monthPeriod(secondMonth);
        const inMonth = (d: Date) => d.getTime() >= period.startMs && d.getTime() < period.endMs;
        expect(summary.tables.telemetry_events?.loaded).toBe(
          data.telemetryEvents.filter((e) => inMonth(e.event_timestamp)).length,
        );
        expect(summary.tables.device_events?.extracted).toBeGreaterThan(
          data.deviceEvents.filter((e) => inMonth(e.event_timestamp)).length,
        );
        expect(events.some((e) => e.step === 'load' && e.table === 'device_events' && !e.done)).toBe(true);
        expect(events.filter((e) => e.done).map((e) => e.table)).toContain(
          'report_prosthetic_monthly_metrics',
        );

        const got = await marts(secondMonth);
        expectRowsClose(got.user, userMonthlyMetrics(data, { month: secondMonth, lastUpdated }), []);
        const expectedProsthetic = prostheticMonthlyMetrics(data, { month: secondMonth, lastUpdated }).sort(
          (a, b) => a.user_id - b.user_id || a.prosthetic_id - b.prosthetic_id,
        );
        expectRowsClose(got.prosthetic, expectedProsthetic, []);
        expectRowsClose(got.hourly, userProsthesisHourlyStats(data, { month: secondMonth, lastUpdated }), []);
        expect(summary.marts.report_prosthetic_monthly_metrics).toBe(expectedProsthetic.length);
      });
    }

    it('fails a bad source row with an error naming step, table and period', async () => {
      await pools.telemetry.query(
        `INSERT INTO battery_metrics (id, prosthetic_id, metric_timestamp, charge_level, current_ma, is_charging, created_at)
         VALUES (99999999, 1, $1, 150, -1, false, $1)`,
        [new Date(monthPeriod(firstMonth).startMs + 3_600_000).toISOString()],
      );
      try {
        const error = await runMonthlyJob({
          month: firstMonth,
          crm: pools.crm,
          telemetry: pools.telemetry,
          clickhouse,
          pagination,
          layout: { rawDatabase: 'raw', martDatabase: 'reports' },
        }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(EtlStepError);
        expect((error as EtlStepError).message).toMatch(
          new RegExp(
            `^extract of battery_metrics for ${firstMonth} failed: row \\d+ \\(id 99999999\\): .*charge_level`,
          ),
        );
        expect((error as EtlStepError).row).toMatchObject({ id: '99999999' });
      } finally {
        await pools.telemetry.query('DELETE FROM battery_metrics WHERE id = 99999999');
      }
    });

    it('re-imports a telemetry window after deleting it, removes events of deleted users, keeps a watermark', async () => {
      const layout = { rawDatabase: 'raw', martDatabase: 'reports' };
      const period = monthPeriod(firstMonth);
      const start = new Date(period.startMs);
      const end = new Date(period.endMs);
      const first = await importTelemetryWindow({
        crm: pools.crm,
        telemetry: pools.telemetry,
        clickhouse,
        start,
        end,
        layout,
      });
      const inWindow = data.telemetryEvents.filter(
        (e) => e.event_timestamp.getTime() >= period.startMs && e.event_timestamp.getTime() < period.endMs,
      );
      expect(first.events).toBe(inWindow.length);
      expect(await readWatermark(clickhouse, 'telemetry_events', layout)).toEqual(end);

      // The source loses one event and one user (whose events stay behind in the telemetry DB).
      const gone = inWindow[0]!;
      const victim = data.users[0]!.id;
      await pools.telemetry.query('DELETE FROM telemetry_events WHERE id = $1', [gone.id]);
      await pools.crm.query('DELETE FROM users WHERE id = $1', [victim]);
      await importTelemetryWindow({
        crm: pools.crm,
        telemetry: pools.telemetry,
        clickhouse,
        start,
        end,
        layout,
      });
      const count = async (where: string) => {
        const result = await clickhouse.query({
          query: `SELECT count() AS n FROM raw.telemetry_events FINAL WHERE _is_deleted = 0 AND ${where}`,
          format: 'JSONEachRow',
          clickhouse_settings: READ_SETTINGS,
        });
        return Number((await result.json<{ n: number }>())[0]!.n);
      };
      const inWindowSql = `event_timestamp >= '${period.firstDay}' AND event_timestamp < '${monthPeriod(secondMonth).firstDay}'`;
      expect(await count(`id = ${gone.id}`)).toBe(0);
      expect(await count(`user_id = ${victim}`)).toBe(0);
      expect(await count(inWindowSql)).toBe(
        inWindow.filter((e) => e.id !== gone.id && e.user_id !== victim).length,
      );
      const users = await clickhouse.query({
        query: 'SELECT id FROM raw.users FINAL WHERE _is_deleted = 0 ORDER BY id',
        format: 'JSONEachRow',
      });
      expect((await users.json<{ id: number }>()).map((u) => u.id)).not.toContain(victim);

      // Incremental: the next window starts at the watermark.
      const next = await importTelemetryWindow({
        crm: pools.crm,
        telemetry: pools.telemetry,
        clickhouse,
        end: new Date(monthPeriod(secondMonth).endMs),
        layout,
        pagination,
      });
      expect(next.window.start).toEqual(end);
    });

    it('runs a month whose telemetry ids exceed 2^53 and stores them exactly in ClickHouse', async () => {
      // Before ids were carried as decimal text, such a row made the extract throw and abort the month.
      const period = monthPeriod(firstMonth);
      const inMonth = data.telemetryEvents.find(
        (e) => e.event_timestamp.getTime() >= period.startMs && e.event_timestamp.getTime() < period.endMs,
      )!;
      const bigIds = ['9007199254740993', '9223372036854775807'];
      await insertPg(
        pools.telemetry,
        'telemetry_events',
        bigIds.map((id, i) => ({
          ...inMonth,
          id,
          event_uuid: `00000000-0000-4000-8000-00000000000${i + 1}`,
        })),
      );
      try {
        const layout = { rawDatabase: 'raw', martDatabase: 'reports' };
        const summary = await runMonthlyJob({
          month: firstMonth,
          crm: pools.crm,
          telemetry: pools.telemetry,
          clickhouse,
          pagination,
          layout,
          now: () => lastUpdated,
        });
        expect(summary.tables.telemetry_events?.loaded).toBeGreaterThan(bigIds.length);
        const stored = await clickhouse.query({
          query: `SELECT toString(id) AS id_text FROM raw.telemetry_events FINAL
            WHERE _is_deleted = 0 AND telemetry_events.id > 9007199254740992 ORDER BY telemetry_events.id`,
          format: 'JSONEachRow',
          clickhouse_settings: READ_SETTINGS,
        });
        expect((await stored.json<{ id_text: string }>()).map((row) => row.id_text)).toEqual(bigIds);
        const read: string[] = [];
        const window = { start: new Date(period.startMs), end: new Date(period.endMs) };
        for await (const row of streamWindow(pools.telemetry, 'telemetry_events', window, { pagination })) {
          if (bigIds.includes(row.id)) read.push(row.id);
        }
        expect(read.sort()).toEqual(bigIds);
      } finally {
        await pools.telemetry.query('DELETE FROM telemetry_events WHERE id > 9007199254740992');
      }
    });
  });
}

/** The client with every `command`'s SQL text recorded. */
function recordCommands<T extends ClickHouseLike>(client: T, commands: string[]): T {
  return new Proxy(client, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key !== 'command' || typeof value !== 'function') {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (params: { query: string }) => {
        commands.push(params.query);
        return value.call(target, params);
      };
    },
  });
}
