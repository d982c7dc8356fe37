/**
 * The batch ETL and CDC agree: @bionicpro/etl's extract reads the real PostgreSQL server and
 * builds the monthly marts; the same KPI SQL run over the raw tables that @bionicpro/cdc
 * replicated through Debezium and Kafka must give the same marts, row for row.
 */
import {
  ensureWarehouse,
  monthPeriod,
  prostheticMonthlyMetricsSql,
  readMonth,
  runMonthlyJob,
  userMonthlyMetricsSql,
  userProsthesisHourlyStatsSql,
} from '@bionicpro/etl';
import { type MartTableName, tables } from '@bionicpro/models';
import { generateDataset } from '@bionicpro/models/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../services.js';
import { type CdcHarness, createCdcHarness, type RunningSink } from './support/cdc-harness.js';
import { insertRows, type SourceTableName } from './support/source-database.js';

const services = {
  postgres: requireService('postgres'),
  kafka: requireService('kafka'),
  connect: requireService('connect'),
  clickhouse: requireService('clickhouse'),
};

// Last month: user_prosthesis_stats has a 365-day TTL (docs/kpis.md), so an old month would be empty.
const now = new Date();
const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
const MONTH = first.toISOString().slice(0, 7);
const LAST_UPDATED = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1, 3));
const SOURCE: SourceTableName[] = [
  'users',
  'prosthetics',
  'subscriptions',
  'payments',
  'telemetry_events',
  'device_events',
  'battery_metrics',
];
const MARTS: MartTableName[] = [
  'report_user_monthly_metrics',
  'report_prosthetic_monthly_metrics',
  'user_prosthesis_stats',
];
const dataset = generateDataset({
  seed: 3,
  users: 6,
  start: MONTH,
  months: 1,
  eventsPerDay: 10,
  deviceEventsPerDay: 4,
  batterySamplesPerDay: 12,
});

let h: CdcHarness;
let sink: RunningSink;

beforeAll(async () => {
  // One database holds both the CRM and the telemetry tables; the ETL gets it as both pools.
  h = await createCdcHarness({ name: 'parity', tables: SOURCE, services });
  await insertRows(h.pool, tables.users, dataset.users);
  await insertRows(h.pool, tables.prosthetics, dataset.prosthetics);
  await insertRows(h.pool, tables.subscriptions, dataset.subscriptions);
  await insertRows(h.pool, tables.payments, dataset.payments);
  await h.registerConnector();
  sink = await h.startSink('e2e-parity');
  // Telemetry arrives while the connector streams.
  await insertRows(h.pool, tables.telemetry_events, [...dataset.telemetryEvents()]);
  await insertRows(h.pool, tables.device_events, [...dataset.deviceEvents()]);
  await insertRows(h.pool, tables.battery_metrics, [...dataset.batteryMetrics()]);
  await h.pool.query("update payments set status = 'failed' where id % 6 = 0");
  await h.pool.query("delete from device_events where event_type = 'calibration'");
});

afterAll(async () => {
  await sink?.stop();
  await h?.close();
});

/**
 * Drops the bookkeeping columns, and rounds Float64 averages to 12 significant digits: ClickHouse
 * sums them in whatever order FINAL reads the parts, so the last bits differ between two tables
 * holding the same rows. Money (Decimal, quoted) and counts stay exact.
 */
const strip = (rows: Record<string, unknown>[]) =>
  rows.map(({ last_updated: _l, _version: _v, ...rest }) =>
    Object.fromEntries(
      Object.entries(rest).map(([k, v]) => [
        k,
        typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(12)) : v,
      ]),
    ),
  );

describe('batch ETL marts equal marts built from the CDC-replicated raw tables', () => {
  it('for every mart of the month', async () => {
    await h.waitInSync(90_000);

    // Batch: extract from the PostgreSQL server, load raw tables, build the marts.
    const batch = { rawDatabase: 'parity_batch_raw', martDatabase: 'parity_batch_marts' };
    await h.ch.command({ query: 'DROP DATABASE IF EXISTS parity_batch_raw' });
    await h.ch.command({ query: 'DROP DATABASE IF EXISTS parity_batch_marts' });
    await ensureWarehouse(h.ch, batch);
    const summary = await runMonthlyJob({
      month: MONTH,
      crm: h.pool,
      telemetry: h.pool,
      clickhouse: h.ch,
      layout: batch,
      now: () => LAST_UPDATED,
    });
    expect(summary.tables.payments?.extracted).toBeGreaterThan(0);

    // CDC: the same KPI SQL over the tables the sink keeps (database h.id).
    const cdc = { rawDatabase: 'parity_cdc_unused_raw', martDatabase: 'parity_cdc_marts' };
    await h.ch.command({ query: 'DROP DATABASE IF EXISTS parity_cdc_marts' });
    await ensureWarehouse(h.ch, cdc);
    for (const build of [userMonthlyMetricsSql, prostheticMonthlyMetricsSql, userProsthesisHourlyStatsSql]) {
      const q = build(MONTH, {
        rawDatabase: h.id,
        martDatabase: cdc.martDatabase,
        lastUpdated: LAST_UPDATED,
      });
      await h.ch.command({ query: q.query, query_params: q.query_params });
    }

    const period = monthPeriod(MONTH);
    for (const mart of MARTS) {
      const fromBatch = strip(await readMonth(h.ch, mart, period, batch.martDatabase));
      const fromCdc = strip(await readMonth(h.ch, mart, period, cdc.martDatabase));
      expect(fromBatch.length, mart).toBeGreaterThan(0);
      expect(fromCdc, mart).toEqual(fromBatch);
    }
  });
});
