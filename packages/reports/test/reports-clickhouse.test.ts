import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { clickhouseDdl, formatMonth, type TableDefinition, tables } from '@bionicpro/models';
import { generateDataset } from '@bionicpro/models/testing';
import { createChdbConnection } from 'chdb/connection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../../../test/services.js';
import {
  AccessDeniedError,
  createReportService,
  dailyReportQuery,
  dataVersionQuery,
  dateEquals,
  type ReportPrincipal,
  ReportNotFoundError,
  ReportParameterError,
  type ReportService,
  reportTables,
  resolveReportScope,
  runQuery,
  scopedQuery,
  sql,
  telemetryByProsthesisTypeQuery,
  trustedReportScope,
  unionAll,
  userMonthlyFinancialQuery,
} from '../src/index.js';
import {
  expectedDailyReport,
  expectedTelemetryReport,
  expectedUserMonthlyReport,
  hourlyMart,
  prostheticMonthlyMart,
  type RawData,
  userMonthlyMart,
} from './reference.js';

// Embedded chDB by default; a ClickHouse server when CLICKHOUSE_URL names one (test/services.ts).
const clickhouse = requireService('clickhouse');
const DB = clickhouse.url ? `reports_test_${process.pid}` : 'reports';
// The hourly mart has a 365-day TTL: generate data in recent months so merges never expire it.
const now = new Date();
const startMonth = formatMonth({
  year: now.getUTCMonth() >= 2 ? now.getUTCFullYear() : now.getUTCFullYear() - 1,
  month: ((now.getUTCMonth() + 12 - 2) % 12) + 1,
});
const dataset = generateDataset({
  seed: 20240115,
  users: 12,
  start: startMonth,
  months: 2,
  eventsPerDay: 20,
});
const months = [startMonth, monthAfter(startMonth)];
const raw: RawData = {
  users: dataset.users,
  prosthetics: dataset.prosthetics,
  subscriptions: dataset.subscriptions,
  payments: dataset.payments,
  telemetry: [...dataset.telemetryEvents()],
  device: [...dataset.deviceEvents()],
  battery: [...dataset.batteryMetrics()],
};
// User 12 gets no mart rows at all: their reports must be well-formed and empty.
const EMPTY_USER = 12;
const loadedAt = new Date('2026-01-01T02:00:00Z');
const financeMart = months
  .flatMap((m) => userMonthlyMart(raw, m, loadedAt))
  .filter((r) => r.user_id !== EMPTY_USER);
const deviceMart = months
  .flatMap((m) => prostheticMonthlyMart(raw, m, loadedAt))
  .filter((r) => r.user_id !== EMPTY_USER);
const hourly = hourlyMart(raw, loadedAt).filter((r) => r.user_id !== EMPTY_USER);

function monthAfter(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return formatMonth(m === 12 ? { year: y + 1, month: 1 } : { year: y, month: m + 1 });
}

let dir: string;
let client: ClickHouseClient;
let reports: ReportService;
const t = reportTables({ database: DB });

async function insert(table: TableDefinition, rows: readonly object[]): Promise<void> {
  const batch = 50_000;
  for (let i = 0; i < rows.length; i += batch) {
    await client.insert({
      table: `${DB}.${table.name}`,
      values: rows.slice(i, i + batch) as object[],
      format: 'JSONEachRow',
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'reports-chdb-'));
  client = clickhouse.url
    ? createClient({ url: clickhouse.url })
    : // chdb types against @clickhouse/client-common 1.23.0, the client ships 1.23.1: same shape, distinct declarations.
      createClient({ connection: createChdbConnection({ path: dir }) as never });
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${DB}` });
  for (const table of [
    tables.users,
    tables.telemetry_events,
    tables.report_user_monthly_metrics,
    tables.report_prosthetic_monthly_metrics,
    tables.user_prosthesis_stats,
  ]) {
    await client.command({ query: clickhouseDdl(table, { database: DB }) });
  }
  await insert(
    tables.users,
    raw.users.map((u) => ({ ...u, _version: 1 })),
  );
  await insert(
    tables.telemetry_events,
    raw.telemetry.map((e) => ({ ...e, _version: 1 })),
  );
  await insert(tables.report_user_monthly_metrics, financeMart);
  await insert(tables.report_prosthetic_monthly_metrics, deviceMart);
  await insert(tables.user_prosthesis_stats, hourly);
  reports = createReportService({ client, tables: t });
});

afterAll(async () => {
  if (clickhouse.url) await client?.command({ query: `DROP DATABASE IF EXISTS ${DB}` });
  await client?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('monthly user report monthly user report', () => {
  it('equals the reference computed from raw payments, subscriptions and device events, for every user and month', async () => {
    let devicesSeen = 0;
    for (const month of months) {
      for (const user of raw.users) {
        const report = await reports.userMonthly(trustedReportScope(user.id), month);
        const expected = expectedUserMonthlyReport(user.id, month, financeMart, deviceMart);
        expect(report).toEqual(expected);
        devicesSeen += report.devices.length;
      }
    }
    expect(devicesSeen).toBeGreaterThan(raw.users.length);
    // The generated data exercises the money path: some payments failed somewhere.
    expect(
      financeMart.some((r) => r.failed_payments_count > 0 && r.total_payments !== r.successful_payments),
    ).toBe(true);
  });

  it('gives a well-formed empty report for a user and month without data', async () => {
    const report = await reports.userMonthly(trustedReportScope(EMPTY_USER), months[0] as string);
    expect(report).toEqual({
      period: months[0],
      user_id: EMPTY_USER,
      financial: {
        total_payments: '0.00',
        successful_payments: '0.00',
        failed_payments_count: 0,
        active_subscriptions: 0,
        monthly_cost: '0.00',
      },
      devices: [],
      status: 'healthy',
    });
    const before = await reports.userMonthly(trustedReportScope(1), '2001-01');
    expect(before.devices).toEqual([]);
  });

  it('keeps money exact beyond float precision (Decimal(18,2) as text)', async () => {
    const big = {
      ...(financeMart[0] as (typeof financeMart)[number]),
      user_id: 777,
      report_date: '2001-02-01',
    };
    await insert(tables.report_user_monthly_metrics, [
      { ...big, total_payments: '98765432109876.43', successful_payments: '98765432109876.41' },
    ]);
    const report = await reports.userMonthly(trustedReportScope(777), '2001-02');
    expect(report.financial.total_payments).toBe('98765432109876.43');
    expect(report.financial.successful_payments).toBe('98765432109876.41');
  });
  it("quotes 64-bit integers through the query's own SETTINGS clause, with no client settings sent", async () => {
    const compiled = scopedQuery(t.userMonthly, trustedReportScope(1))
      .select({ failed_payments_count: 'failed_payments_count' })
      .where(dateEquals('report_date', `${months[0]}-01`))
      .compile();
    const read = async (query: string, settings?: Record<string, number>) =>
      (await (
        await client.query({
          query,
          query_params: { ...compiled.query_params },
          format: 'JSONEachRow',
          ...(settings ? { clickhouse_settings: settings } : {}),
        })
      ).json()) as { failed_payments_count: unknown }[];
    try {
      // Quoting switched off as a client setting (on chDB a SET that stays on the session)…
      const bare = await read(compiled.query.replace(/ SETTINGS .*$/, ''), {
        output_format_json_quote_64bit_integers: 0,
      });
      expect(typeof bare[0]?.failed_payments_count).toBe('number');
      // …and the compiled query, sent without client settings, still quotes: its clause does it.
      const inline = await read(compiled.query);
      expect(inline).toHaveLength(1);
      expect(typeof inline[0]?.failed_payments_count).toBe('string');
      expect(await runQuery(client, compiled)).toEqual(inline);
    } finally {
      await client
        .command({ query: 'SET output_format_json_quote_64bit_integers = 1' })
        .catch(() => undefined);
    }
  });

  it('reads a data version for cache keys from last_updated of the user-month rows', async () => {
    const version = await runQuery(
      client,
      dataVersionQuery(
        t.userMonthly,
        trustedReportScope(1),
        dateEquals('report_date', `${months[0]}-01`),
      ).compile(),
    );
    expect(version).toEqual([{ data_version: '2026-01-01 02:00:00.000', rows: '1' }]);
  });
});

describe('EMG report telemetry report', () => {
  it('equals the reference from raw EMG events for every user, with and without a window', async () => {
    const start = new Date(dataset.period.start.getTime() + 10 * 86_400_000);
    const end = new Date(dataset.period.start.getTime() + 40 * 86_400_000 - 1);
    for (const user of raw.users) {
      for (const window of [{}, { start_ts: start.toISOString(), end_ts: end.toISOString() }]) {
        const report = await reports.telemetry(trustedReportScope(user.id), window);
        const expected = expectedTelemetryReport(
          raw,
          user.id,
          'start_ts' in window ? start : undefined,
          'end_ts' in window ? end : undefined,
        );
        expect(report.total_events).toBe(expected.total_events);
        expect(report.total_duration).toBe(expected.total_duration);
        expect(report.user_name).toBe(expected.user_name);
        expect(
          report.prosthesis_stats.map((s) => [s.prosthesis_type, s.events_count, s.total_duration]),
        ).toEqual(
          expected.prosthesis_stats.map((s) => [s.prosthesis_type, s.events_count, s.total_duration]),
        );
        report.prosthesis_stats.forEach((s, i) => {
          const e = expected.prosthesis_stats[i] as (typeof expected.prosthesis_stats)[number];
          expect(Math.abs(s.avg_amplitude - e.avg_amplitude)).toBeLessThanOrEqual(0.005 + 1e-9);
          expect(Math.abs(s.avg_frequency - e.avg_frequency)).toBeLessThanOrEqual(0.005 + 1e-9);
        });
      }
    }
    expect(raw.telemetry.length).toBeGreaterThan(10_000);
  });

  it('reads current rows only: updated and deleted events and a renamed user (FINAL)', async () => {
    const user = raw.users[2] as (typeof raw.users)[number];
    const mine = raw.telemetry.filter((e) => e.user_id === user.id);
    const [changed, deleted] = mine as [(typeof mine)[number], (typeof mine)[number]];
    const before = await reports.telemetry(trustedReportScope(user.id));
    await insert(tables.telemetry_events, [
      { ...changed, signal_duration: changed.signal_duration + 1_000_000, _version: 2 },
      { ...deleted, _version: 2, _is_deleted: 1 },
    ]);
    await insert(tables.users, [{ ...user, name: 'Renamed Person', _version: 2 }]);
    const after = await reports.telemetry(trustedReportScope(user.id));
    expect(after.total_events).toBe(before.total_events - 1);
    expect(after.total_duration).toBe(before.total_duration + 1_000_000 - deleted.signal_duration);
    expect(after.user_name).toBe('Renamed Person');
    // Restore for the other tests.
    await insert(tables.telemetry_events, [
      { ...changed, _version: 3 },
      { ...deleted, _version: 3 },
    ]);
    await insert(tables.users, [{ ...user, _version: 3 }]);
    expect(await reports.telemetry(trustedReportScope(user.id))).toEqual(before);
  });

  it('is a 404 for a user without a CRM row, and an empty report inside an empty window', async () => {
    await expect(reports.telemetry(trustedReportScope(99_999))).rejects.toBeInstanceOf(ReportNotFoundError);
    const empty = await reports.telemetry(trustedReportScope(1), {
      start_ts: '2001-01-01T00:00:00Z',
      end_ts: '2001-02-01T00:00:00Z',
    });
    expect(empty).toMatchObject({ total_events: 0, total_duration: 0, prosthesis_stats: [] });
  });

  it('counts an event at exactly end_ts (the API end is inclusive, converted to a half-open end inside)', async () => {
    const user = raw.users[1] as (typeof raw.users)[number];
    const event = raw.telemetry.find((e) => e.user_id === user.id) as (typeof raw.telemetry)[number];
    const at = event.event_timestamp.getTime();
    const atInstant = raw.telemetry.filter(
      (e) => e.user_id === user.id && e.event_timestamp.getTime() === at,
    );
    const scope = trustedReportScope(user.id);
    const iso = (ms: number) => new Date(ms).toISOString();
    // [at, at]: only the events of that very millisecond.
    const exact = await reports.telemetry(scope, { start_ts: iso(at), end_ts: iso(at) });
    expect(atInstant.length).toBeGreaterThan(0);
    expect(exact.total_events).toBe(atInstant.length);
    // [at - 1 min, at - 1 ms]: the event is one millisecond past the end.
    const before = await reports.telemetry(scope, { start_ts: iso(at - 60_000), end_ts: iso(at - 1) });
    const expected = expectedTelemetryReport(raw, user.id, new Date(at - 60_000), new Date(at - 1));
    expect(before.total_events).toBe(expected.total_events);
    expect(before.total_events).toBe(
      raw.telemetry.filter(
        (e) =>
          e.user_id === user.id &&
          e.event_timestamp.getTime() >= at - 60_000 &&
          e.event_timestamp.getTime() < at,
      ).length,
    );
  });
});

describe('daily usage report hourly reports', () => {
  it('lists the dates with data newest first, at most 30, with the total count', async () => {
    for (const user of raw.users.slice(0, 4)) {
      const dates = [...new Set(hourly.filter((r) => r.user_id === user.id).map((r) => r.date))]
        .sort()
        .reverse();
      const report = await reports.reportDates(trustedReportScope(user.id), 'fallback');
      expect(report.reports).toEqual(dates.slice(0, 30).map((date) => ({ date })));
      expect(report.total).toBe(dates.length);
      expect(report.user).toBe(user.ldap_username);
    }
    expect(await reports.reportDates(trustedReportScope(EMPTY_USER), 'nobody')).toEqual({
      reports: [],
      total: 0,
      user: 'nobody',
    });
  });

  it('builds the daily report from the hourly rows, totals equal to the sum of the hours', async () => {
    const user = raw.users[0] as (typeof raw.users)[number];
    const dates = [...new Set(hourly.filter((r) => r.user_id === user.id).map((r) => r.date))].sort();
    for (const date of [dates[0], dates[5], dates[dates.length - 1]] as string[]) {
      const report = await reports.daily(trustedReportScope(user.id), date);
      const expected = expectedDailyReport(hourly, user.id, date);
      expect(report.hourly_data.map((h) => [h.hour, h.movements_count, h.error_count])).toEqual(
        expected.rows.map((r) => [
          r.hour.toISOString().replace('.000Z', 'Z'),
          r.movements_count,
          r.error_count,
        ]),
      );
      expect(report.summary.total_movements).toBe(expected.total_movements);
      expect(report.summary.total_movements).toBe(
        report.hourly_data.reduce((a, h) => a + h.movements_count, 0),
      );
      expect(report.summary.total_errors).toBe(expected.total_errors);
      expect(report.summary.uptime_hours).toBe(expected.uptime_hours);
      expect(report.summary.avg_battery_level).toBeCloseTo(expected.avg_battery_level as number, 2);
      expect(report.user).toBe(user.ldap_username);
      expect(report.prosthesis_model).toBe(expected.rows[0]?.prosthesis_model);
    }
    const none = await reports.daily(trustedReportScope(EMPTY_USER), dates[0] as string, 'nobody');
    expect(none.hourly_data).toEqual([]);
    expect(none.summary).toEqual({
      total_movements: 0,
      avg_response_time_ms: null,
      avg_battery_level: null,
      total_errors: 0,
      uptime_hours: 0,
    });
  });

  it('summarises every date of the user', async () => {
    const user = raw.users[1] as (typeof raw.users)[number];
    const mine = hourly.filter((r) => r.user_id === user.id);
    const overview = await reports.overview(trustedReportScope(user.id));
    const dates = mine.map((r) => r.date).sort();
    expect(overview).toMatchObject({
      user: user.ldap_username,
      first_date: dates[0],
      last_date: dates[dates.length - 1],
      days_with_data: new Set(dates).size,
      summary: {
        total_movements: mine.reduce((a, r) => a + r.movements_count, 0),
        total_errors: mine.reduce((a, r) => a + r.error_count, 0),
        uptime_hours: mine.length,
      },
    });
    expect((await reports.overview(trustedReportScope(EMPTY_USER), 'nobody')).first_date).toBeNull();
  });
});

describe('access through the ClickHouse users table', () => {
  const principal = (subject: ReportPrincipal['subject']): ReportPrincipal => ({
    subject,
    isAdmin: false,
    roles: [],
    expiresAt: new Date(Date.now() + 60_000),
    claims: {},
  });

  it('resolves sub → user_uuid and preferred_username → ldap_username to the user id', async () => {
    const user = raw.users[4] as (typeof raw.users)[number];
    const byUuid = await resolveReportScope(
      principal({ kind: 'user_uuid', value: user.user_uuid }),
      reports.directory,
    );
    expect(byUuid.userId).toBe(user.id);
    const byLdap = await resolveReportScope(
      principal({ kind: 'ldap_username', value: user.ldap_username as string }),
      reports.directory,
      { requestedUserId: user.id },
    );
    expect(byLdap.userId).toBe(user.id);
  });

  it('refuses another user with the same 403 whether that user exists or not', async () => {
    const user = raw.users[4] as (typeof raw.users)[number];
    const me = principal({ kind: 'user_uuid', value: user.user_uuid });
    for (const other of [raw.users[5]?.id as number, 424_242]) {
      await expect(
        resolveReportScope(me, reports.directory, { requestedUserId: other }),
      ).rejects.toBeInstanceOf(AccessDeniedError);
    }
  });

  it('treats injection attempts in the subject as data: no match, 403', async () => {
    for (const value of [
      "' OR 1=1 --",
      "x' UNION SELECT 1 --",
      '\\',
      `${raw.users[0]?.ldap_username}' OR '1'='1`,
    ]) {
      await expect(
        resolveReportScope(principal({ kind: 'ldap_username', value }), reports.directory),
      ).rejects.toBeInstanceOf(AccessDeniedError);
    }
  });
});

describe('query parameters are never spliced', () => {
  const attacks = [
    "2024-01' OR 1=1 --",
    '2024-01-01; DROP TABLE reports.users',
    '1) OR (1=1',
    '{scope_user_id:Int32}',
    "\\'",
    '2024-01-01\u0000',
    '../../etc',
    '2024-1',
  ];

  it('rejects malicious month, date and time values as 400 before any query runs', async () => {
    const scope = trustedReportScope(1);
    for (const value of attacks) {
      await expect(reports.userMonthly(scope, value)).rejects.toBeInstanceOf(ReportParameterError);
      await expect(reports.daily(scope, value)).rejects.toBeInstanceOf(ReportParameterError);
      await expect(reports.telemetry(scope, { start_ts: value })).rejects.toBeInstanceOf(
        ReportParameterError,
      );
      await expect(reports.telemetry(scope, { end_ts: value })).rejects.toBeInstanceOf(ReportParameterError);
      await expect(
        resolveReportScope(
          {
            subject: { kind: 'user_uuid', value: raw.users[0]?.user_uuid as string },
            isAdmin: true,
            roles: [],
            expiresAt: new Date(),
            claims: {},
          },
          reports.directory,
          { requestedUserId: value },
        ),
      ).rejects.toBeInstanceOf(ReportParameterError);
    }
    const [{ n }] = (await runQuery(client, {
      query: `SELECT count() AS n FROM ${DB}.users`,
      query_params: {},
    })) as [{ n: string }];
    expect(Number(n)).toBeGreaterThanOrEqual(raw.users.length);
  });

  it('binds strings in user extensions as parameters: the query returns only the scoped user', async () => {
    const scope = trustedReportScope(3);
    for (const value of ["hand' OR user_id != 3 OR 'a'='a", "arm') OR (1=1", 'leg']) {
      const query = telemetryByProsthesisTypeQuery(t, scope).where(sql`prosthesis_type = ${value}`).compile();
      expect(query.query).not.toContain(value);
      const rows = (await runQuery(client, query)) as { prosthesis_type: string }[];
      const expected = expectedTelemetryReport(raw, 3).prosthesis_stats.filter(
        (s) => s.prosthesis_type === value,
      );
      expect(rows.map((r) => r.prosthesis_type)).toEqual(expected.map((s) => s.prosthesis_type));
    }
    // A label from the request is output, never SQL.
    const report = await reports.reportDates(trustedReportScope(EMPTY_USER), "'; DROP TABLE x; --");
    expect(report.user).toBe("'; DROP TABLE x; --");
  });

  it('an output alias cannot change what the scope predicate compares', async () => {
    const query = scopedQuery(t.userMonthly, trustedReportScope(2))
      .select({ user_id: sql`toInt32(1) + 0`, report_date: 'report_date' })
      .compile();
    const rows = (await runQuery(client, query)) as { user_id: number }[];
    expect(rows.length).toBe(financeMart.filter((r) => r.user_id === 2).length);
    const shadowing = scopedQuery(t.userMonthly, trustedReportScope(2)).select({
      user_id: sql`toInt32(1) + 0`,
      report_date: sql`toDate('2000-01-01')`,
    });
    const union = unionAll({
      a: shadowing,
      b: shadowing.where(dateEquals('report_date', `${months[0]}-01`)),
    });
    const unionRows = (await runQuery(client, union)) as { part: string }[];
    expect(unionRows.filter((r) => r.part === 'a').length).toBe(
      financeMart.filter((r) => r.user_id === 2).length,
    );
    expect(unionRows.filter((r) => r.part === 'b').length).toBe(1);
  });
});

describe('EXPLAIN indexes = 1: a user-month query prunes partitions and granules', () => {
  beforeAll(async () => {
    // Filler users over 12 earlier months: several partitions, several granules each.
    await client.command({
      query: `INSERT INTO ${DB}.report_user_monthly_metrics (user_id, report_date, user_uuid, total_payments, successful_payments, arr, last_updated)
        SELECT 100000 + (number % 40000), addMonths(toDate('2025-01-01'), intDiv(number, 40000)), generateUUIDv4(), '1.00', '1.00', '0.00', now()
        FROM numbers(480000)`,
    });
    await client.command({
      query: `INSERT INTO ${DB}.user_prosthesis_stats (user_id, date, hour, user_uuid, customer_name, customer_email, movements_count, error_count, last_updated)
        SELECT 100000 + (number % 20000) AS u, toDate(h) AS date, h, generateUUIDv4(), 'x', 'x', 1, 0, now()
        FROM (SELECT number, toDateTime('${startMonth}-01 00:00:00', 'UTC') + intDiv(number, 20000) * 3600 AS h FROM numbers(20000 * 24 * 4))`,
    });
    await client.command({
      query: `INSERT INTO ${DB}.telemetry_events (id, event_uuid, user_id, prosthesis_type, muscle_group, event_timestamp, saved_ts)
        SELECT 10000000 + number, generateUUIDv4(), 100000 + (number % 30000), 'arm', 'biceps',
               toDateTime64('${startMonth}-01 00:00:00', 3, 'UTC') + toIntervalSecond(intDiv(number, 30000) * 600), now()
        FROM numbers(900000)`,
    });
  });

  async function explain(query: { query: string; query_params: Readonly<Record<string, unknown>> }) {
    const rows = (await runQuery(client, {
      query: `EXPLAIN indexes = 1 ${query.query}`,
      query_params: query.query_params,
    })) as { explain: string }[];
    return rows.map((r) => r.explain).join('\n');
  }

  /** Index stages of the plan, in order: each with selected/total parts and granules. */
  function stages(plan: string) {
    const out: { index: string; parts: [number, number]; granules: [number, number] }[] = [];
    let current: (typeof out)[number] | undefined;
    for (const line of plan.split('\n').map((l) => l.trim())) {
      if (/^(Min-Max|MinMax|Partition|PrimaryKey)$/.test(line)) {
        current = { index: line, parts: [0, 0], granules: [0, 0] };
        out.push(current);
      }
      const m = /^(Parts|Granules): (\d+)\/(\d+)$/.exec(line);
      if (m && current) current[m[1] === 'Parts' ? 'parts' : 'granules'] = [Number(m[2]), Number(m[3])];
    }
    expect(out.length, `index stages in plan:\n${plan}`).toBeGreaterThan(0);
    const first = out[0] as (typeof out)[number];
    const last = out[out.length - 1] as (typeof out)[number];
    const partitionStage = out.find((s) => s.index !== 'PrimaryKey' && s.parts[0] < s.parts[1]);
    return {
      totalParts: first.parts[1],
      readParts: last.parts[0],
      totalGranules: first.granules[1],
      readGranules: last.granules[0],
      partitionsPruned: partitionStage !== undefined,
      primaryKeyUsed: out.some((s) => s.index === 'PrimaryKey' && s.granules[0] < s.granules[1]),
    };
  }

  it('monthly user report finance query reads one partition and one granule', async () => {
    const plan = stages(
      await explain(userMonthlyFinancialQuery(t, trustedReportScope(100_123), '2025-03').compile()),
    );
    expect(plan.totalParts).toBeGreaterThan(10);
    expect(plan.readParts).toBe(1);
    expect(plan.partitionsPruned).toBe(true);
    expect(plan.primaryKeyUsed).toBe(true);
    expect(plan.totalGranules).toBeGreaterThan(50);
    expect(plan.readGranules).toBe(1);
  });

  it('daily usage report daily query and EMG report windowed query prune as well', async () => {
    const daily = stages(
      await explain(dailyReportQuery(t, trustedReportScope(100_123), `${startMonth}-03`).compile()),
    );
    expect(daily.primaryKeyUsed).toBe(true);
    expect(daily.readGranules).toBeLessThan(daily.totalGranules / 10);
    const window = stages(
      await explain(
        telemetryByProsthesisTypeQuery(t, trustedReportScope(100_123), {
          start: new Date(`${startMonth}-02T00:00:00Z`),
          end: new Date(`${startMonth}-03T00:00:00Z`),
        }).compile(),
      ),
    );
    expect(window.partitionsPruned).toBe(true);
    expect(window.primaryKeyUsed).toBe(true);
    expect(window.readGranules).toBeLessThan(window.totalGranules / 10);
  });
});
