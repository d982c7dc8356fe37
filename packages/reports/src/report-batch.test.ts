import { describe, expect, it } from 'vitest';
import { prewarmReports } from './prewarm.js';
import { monthReportPeriod } from './report-cache.js';
import {
  monthHourlyRowsQuery,
  reportDatesQuery,
  reportsOverviewQuery,
  userMonthlyDevicesRows,
  userMonthlyFinancialQuery,
} from './report-queries.js';
import { trustedReportScope } from './report-scope.js';
import { createReportService, type ReportQueryClient } from './report-service.js';
import { createMemoryReportStore } from './report-store.js';
import { reportTables } from './report-table.js';
import { unionAllForScopes } from './scoped-query.js';

const t = reportTables({ database: 'reports' });
const scopes = [1, 2, 3].map((id) => trustedReportScope(id));

/** A client that records every query and answers from a function of the SQL text. */
function recordingClient(answer: (query: string, params: Record<string, unknown>) => unknown[] = () => []) {
  const calls: { query: string; params: Record<string, unknown> }[] = [];
  const client: ReportQueryClient = {
    async query({ query, query_params }) {
      calls.push({ query, params: query_params });
      const rows = answer(query, query_params);
      return { json: async () => rows };
    },
  };
  return { client, calls };
}

describe('batch queries across users', () => {
  it('binds the batch as one Int32 array and tags each row with its user', () => {
    const q = unionAllForScopes({ financial: userMonthlyFinancialQuery(t, scopes[0]!, '2024-01') }, scopes);
    expect(q.query).toContain('user_id IN {scope_user_ids:Array(Int32)}');
    expect(q.query).toContain('user_id AS scope_user_id');
    expect(q.query_params['scope_user_ids']).toEqual([1, 2, 3]);
    expect(q.query).not.toContain('{scope_user_id:');
  });

  it('groups a grouped part by user too, so no aggregate mixes two users', () => {
    const q = unionAllForScopes({ overview: reportsOverviewQuery(t, scopes[0]!) }, scopes, {
      aggregated: ['overview'],
    });
    expect(q.query).toContain('GROUP BY user_id)');
    const dates = monthHourlyRowsQuery(t, scopes[0]!, '2024-01').reselect({ date: 'date' }).groupBy('date');
    expect(unionAllForScopes({ dates }, scopes).query).toContain('GROUP BY user_id, date');
  });

  it('refuses a part with a LIMIT, which would cut the whole batch', () => {
    expect(() => unionAllForScopes({ dates: reportDatesQuery(t, scopes[0]!) }, scopes)).toThrow(/LIMIT/);
  });

  it('reads a whole month of hourly rows with the bounds of that month', () => {
    const q = monthHourlyRowsQuery(t, scopes[0]!, '2024-02').compile();
    expect(q.query_params).toMatchObject({ month_start: '2024-02-01', month_last_day: '2024-02-29' });
  });
});

describe('engine calls per report', () => {
  it('assembles every report of the service from one engine call', async () => {
    const { client, calls } = recordingClient((query) =>
      query.includes('FROM reports.users') ? [{ part: 'user', name: 'A', email: 'a@x.ru' }] : [],
    );
    const reports = createReportService({ client, tables: t });
    const scope = scopes[0]!;
    const perReport: Record<string, number> = {};
    const count = async (name: string, run: () => Promise<unknown>) => {
      const before = calls.length;
      await run();
      perReport[name] = calls.length - before;
    };
    await count('user_monthly', () => reports.userMonthly(scope, '2024-01'));
    await count('daily', () => reports.daily(scope, '2024-01-15'));
    await count('dates', () => reports.reportDates(scope));
    await count('overview', () => reports.overview(scope));
    await count('telemetry', () => reports.telemetry(scope, {}));
    expect(perReport).toEqual({ user_monthly: 1, daily: 1, dates: 1, overview: 1, telemetry: 1 });
  });
});

describe('prewarmReports', () => {
  it('renders a batch of users from one query and stores what a request would render', async () => {
    const financial = (id: number) => ({
      part: 'financial',
      scope_user_id: String(id),
      total_payments: '10.00',
      successful_payments: '10.00',
      failed_payments_count: '0',
      active_subscriptions_count: '1',
      subscription_cost_total: '5.00',
    });
    const { client, calls } = recordingClient((query) => {
      if (query.includes("'m' AS kind")) {
        return [
          { kind: 'm', period: '2024-01-01', version: '2024-02-01 02:00:00' },
          { kind: 'h', period: '2024-01-02', version: '2024-02-01 02:00:00' },
        ];
      }
      if (query.includes('SELECT DISTINCT')) return [{ user_id: '1' }, { user_id: '2' }, { user_id: '3' }];
      return [
        financial(1),
        financial(3),
        {
          part: 'hours',
          scope_user_id: '2',
          date: '2024-01-02',
          hour: '2024-01-02 10:00:00',
          movements_count: '3',
          avg_response_time: 10,
          avg_battery_level: 80,
          error_count: '0',
          prosthesis_model: 'X',
          ldap_username: 'bob',
        },
      ];
    });
    const store = createMemoryReportStore();
    const progress: number[] = [];
    const summary = await prewarmReports({
      client,
      store,
      month: '2024-01',
      tables: t,
      batchSize: 3,
      onProgress: (p) => progress.push(p.usersDone),
    });
    expect(summary).toMatchObject({ users: 3, reportsWritten: 4, batches: 1, engineCalls: 3 });
    expect(calls).toHaveLength(3);
    expect(progress).toEqual([3]);

    // The stored text equals what the service renders for the same rows.
    const single = recordingClient((query) =>
      query.includes('report_user_monthly_metrics') ? [{ ...financial(3), scope_user_id: undefined }] : [],
    );
    const online = await createReportService({ client: single.client, tables: t }).userMonthly(
      scopes[2]!,
      '2024-01',
    );
    const stored = await store.read(
      { scope: scopes[2]!, report: 'user_monthly', period: monthReportPeriod('2024-01') },
      'month:2024-01',
    );
    expect(stored.dataVersion).toBe('m2024-02-01 02:00:00p-');
    expect(stored.report).toEqual({ version: 'm2024-02-01 02:00:00p-', body: JSON.stringify(online) });
    // A user with no financial row still gets a (zero) report; bob's day has a report.
    const two = await store.read(
      { scope: scopes[1]!, report: 'user_monthly', period: monthReportPeriod('2024-01') },
      'month:2024-01',
    );
    expect(JSON.parse(two.report!.body)).toMatchObject({ user_id: 2, financial: { total_payments: '0.00' } });
  });

  it('reads one query per batch of users with bounded concurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    const calls: string[] = [];
    const client: ReportQueryClient = {
      async query({ query }) {
        calls.push(query);
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        return { json: async () => [] };
      },
    };
    const progress: [number, number, number][] = [];
    const summary = await prewarmReports({
      client,
      store: createMemoryReportStore(),
      month: '2024-01',
      tables: t,
      userIds: Array.from({ length: 10 }, (_, i) => i + 1),
      batchSize: 2,
      concurrency: 2,
      reports: ['user_monthly'],
      onProgress: (p) => progress.push([p.usersDone, p.users, p.reportsWritten]),
    });
    expect(summary).toMatchObject({ users: 10, batches: 5, reportsWritten: 10, engineCalls: 6 });
    expect(peak).toBe(2);
    // Concurrent batches still report a monotonic count that ends at the total.
    expect(progress).toEqual([
      [2, 10, 2],
      [4, 10, 4],
      [6, 10, 6],
      [8, 10, 8],
      [10, 10, 10],
    ]);
  });
});

// userMonthlyDevicesRows is part of the batch; keep it referenced so a rename shows up here.
void userMonthlyDevicesRows;
