import { assembleDailyReport, assembleUserMonthlyReport } from './report-assembly.js';
import { monthReportPeriod, dayReportPeriod } from './report-cache.js';
import {
  dayDataset,
  monthDataset,
  type ReportDataset,
  readReportDataVersions,
} from './report-data-versions.js';
import {
  monthHourlyRowsQuery,
  parseReportMonth,
  userMonthlyDevicesRows,
  userMonthlyFinancialQuery,
} from './report-queries.js';
import { type ReportScope, trustedReportScope } from './report-scope.js';
import { type ReportQueryClient, runQuery } from './report-service.js';
import type { ReportStore, ReportStoreKey, StoredReport } from './report-store.js';
import { type ReportTables, reportTables } from './report-table.js';
import { column, param, sql, tableName } from './sql-fragment.js';
import { compileWithSettings, unionAllForScopes } from './scoped-query.js';

/** Reports {@link prewarmReports} renders: the month's report and the daily report of each date with data. */
export type PrewarmReport = 'user_monthly' | 'daily';

/** Progress of a prewarm, after each batch of users. */
export interface PrewarmProgress {
  readonly month: string;
  readonly usersDone: number;
  readonly users: number;
  readonly reportsWritten: number;
  readonly elapsedMs: number;
}

/** What a prewarm did. */
export interface PrewarmSummary {
  readonly month: string;
  readonly users: number;
  readonly reportsWritten: number;
  /** Daily reports left to the first request: the mart has no LDAP name for them, so their label depends on the caller's token. */
  readonly reportsSkipped: number;
  readonly batches: number;
  /** Engine queries run: data versions, the month's users, and one per batch. */
  readonly engineCalls: number;
  /** Datasets whose version moved forward in the store. */
  readonly versionsPublished: readonly ReportDataset[];
  readonly elapsedMs: number;
}

/** Options of {@link prewarmReports}. */
export interface PrewarmOptions {
  readonly client: ReportQueryClient;
  readonly store: ReportStore;
  /** `YYYY-MM`: the month that was (re)loaded. */
  readonly month: string;
  readonly tables?: ReportTables;
  /** Users to render (default: every user with rows in the month's marts). */
  readonly userIds?: readonly number[];
  readonly reports?: readonly PrewarmReport[];
  /** Users read per engine query. Default 200. */
  readonly batchSize?: number;
  /** Batches in flight at once. Default 2. */
  readonly concurrency?: number;
  readonly onProgress?: (progress: PrewarmProgress) => void;
}

type Row = Record<string, unknown>;

/**
 * Renders a (re)loaded month's reports ahead of the first request and writes
 * them to the store, so each user's first request after a reload is a store
 * hit. It reads the data versions from the marts and publishes them to the
 * store first (every instance then treats the month's older reports as
 * stale), then reads the reports' rows for a batch of users in one query
 * (`unionAllForScopes`), splits them per user and assembles each report with
 * the same code as a request, so the stored text is what a request would
 * render. Batches run with bounded concurrency and report progress.
 *
 * Daily reports whose mart rows carry no LDAP name are left to the first
 * request: their `user` label then comes from the caller's token.
 *
 * @example
 * ```ts
 * const summary = await prewarmReports({
 *   client, store, month: '2024-01', tables: reportTables({ database: 'reports' }),
 *   onProgress: (p) => console.log(`${p.usersDone}/${p.users}`),
 * });
 * ```
 */
export async function prewarmReports(options: PrewarmOptions): Promise<PrewarmSummary> {
  const started = performance.now();
  const { month } = parseReportMonth(options.month);
  const tables = options.tables ?? reportTables();
  const wanted = new Set(options.reports ?? ['user_monthly', 'daily']);
  const batchSize = options.batchSize ?? 200;
  const concurrency = options.concurrency ?? 2;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1)
    throw new TypeError('batchSize must be a positive integer');
  if (!Number.isSafeInteger(concurrency) || concurrency < 1)
    throw new TypeError('concurrency must be a positive integer');
  let engineCalls = 0;

  const versions = await readReportDataVersions(options.client, tables);
  engineCalls += 1;
  const versionsPublished = await options.store.publishDataVersions(versions);
  const monthVersion = versions.get(monthDataset(month)) ?? '-';

  let userIds: number[];
  if (options.userIds) {
    userIds = [...new Set(options.userIds)];
  } else {
    userIds = await monthUsers(options.client, tables, month);
    engineCalls += 1;
  }
  const scopes = userIds.map((id) => trustedReportScope(id));
  const batches: ReportScope[][] = [];
  for (let i = 0; i < scopes.length; i += batchSize) batches.push(scopes.slice(i, i + batchSize));

  let usersDone = 0;
  let reportsWritten = 0;
  let reportsSkipped = 0;
  const runBatch = async (batch: ReportScope[]) => {
    const first = batch[0] as ReportScope;
    const parts = {
      ...(wanted.has('user_monthly')
        ? {
            financial: userMonthlyFinancialQuery(tables, first, month),
            devices: userMonthlyDevicesRows(tables, first, month),
          }
        : {}),
      ...(wanted.has('daily') ? { hours: monthHourlyRowsQuery(tables, first, month) } : {}),
    };
    let rows: unknown[] = [];
    if (Object.keys(parts).length > 0) {
      rows = await runQuery(options.client, unionAllForScopes(parts, batch));
      engineCalls += 1;
    }
    const byUser = new Map<number, Row[]>();
    for (const row of rows as Row[]) {
      pushTo(byUser, Number(row['scope_user_id']), row);
    }
    const writes: [ReportStoreKey, StoredReport][] = [];
    for (const scope of batch) {
      const own = byUser.get(scope.userId) ?? [];
      if (wanted.has('user_monthly')) {
        const report = assembleUserMonthlyReport({
          userId: scope.userId,
          month,
          financial: own.filter((r) => r['part'] === 'financial'),
          devices: own.filter((r) => r['part'] === 'devices'),
        });
        writes.push([
          { scope, report: 'user_monthly', period: monthReportPeriod(month) },
          { version: monthVersion, body: JSON.stringify(report) },
        ]);
      }
      if (wanted.has('daily')) {
        const days = new Map<string, Row[]>();
        for (const row of own) {
          if (row['part'] !== 'hours') continue;
          pushTo(days, String(row['date']), row);
        }
        for (const [date, hours] of days) {
          if (!hours.some((h) => typeof h['ldap_username'] === 'string' && h['ldap_username'] !== '')) {
            reportsSkipped += 1;
            continue;
          }
          hours.sort((a, b) => (String(a['hour']) < String(b['hour']) ? -1 : 1));
          const report = assembleDailyReport({ date, rows: hours, user: String(scope.userId) });
          writes.push([
            { scope, report: 'daily', period: dayReportPeriod(date) },
            { version: versions.get(dayDataset(date)) ?? '-', body: JSON.stringify(report) },
          ]);
        }
      }
    }
    await Promise.all(writes.map(([key, report]) => options.store.write(key, report)));
    usersDone += batch.length;
    reportsWritten += writes.length;
    options.onProgress?.({
      month,
      usersDone,
      users: userIds.length,
      reportsWritten,
      elapsedMs: performance.now() - started,
    });
  };

  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next] as ReportScope[];
      next += 1;
      await runBatch(batch);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
  return {
    month,
    users: userIds.length,
    reportsWritten,
    reportsSkipped,
    batches: batches.length,
    engineCalls,
    versionsPublished,
    elapsedMs: performance.now() - started,
  };
}

/**
 * The users with rows in a month of any of the three marts (ids only; a
 * back-office read that decides whose reports to render, not a report).
 */
async function monthUsers(client: ReportQueryClient, tables: ReportTables, month: string): Promise<number[]> {
  const { firstDay, lastDay } = parseReportMonth(month);
  const from = (t: ReportTables[keyof ReportTables]) => tableName(t.name, t.database);
  const start = param('Date', firstDay, 'month_start');
  const query = compileWithSettings(sql`SELECT DISTINCT ${column('user_id')} AS user_id FROM (
 SELECT ${column('user_id')} FROM ${from(tables.userMonthly)} WHERE ${column('report_date')} = ${start}
 UNION ALL SELECT ${column('user_id')} FROM ${from(tables.prostheticMonthly)} WHERE ${column('report_date')} = ${start}
 UNION ALL SELECT ${column('user_id')} FROM ${from(tables.hourly)} WHERE ${column('date')} >= ${start} AND ${column('date')} <= ${param('Date', lastDay, 'month_last_day')}
) ORDER BY ${column('user_id')}`);
  const rows = await runQuery(client, query);
  return rows
    .map((row) => Number((row as Row)['user_id']))
    .filter((id) => Number.isSafeInteger(id) && id > 0);
}

function pushTo<K>(groups: Map<K, Row[]>, key: K, row: Row): void {
  const list = groups.get(key);
  if (list === undefined) groups.set(key, [row]);
  else list.push(row);
}
