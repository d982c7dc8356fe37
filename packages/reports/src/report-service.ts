import {
  InvalidArgumentError,
  type DailyReport,
  type ReportDates,
  type ReportsOverview,
  type TelemetryReport,
  type UserMonthlyReport,
} from '@bionicpro/models';
import { ReportNotFoundError } from './errors.js';
import type { ReportSubject } from './principal.js';
import {
  assembleDailyReport,
  assembleReportDates,
  assembleReportsOverview,
  assembleTelemetryReport,
  assembleUserMonthlyReport,
} from './report-assembly.js';
import {
  dailyReportQuery,
  parseReportDate,
  parseReportMonth,
  parseTimeWindow,
  reportDatesQuery,
  reportsOverviewQuery,
  reportUserQuery,
  telemetryByProsthesisTypeQuery,
  userMonthlyDevicesRows,
  userMonthlyFinancialQuery,
} from './report-queries.js';
import { assertReportScope, type ReportScope, type SubjectDirectory } from './report-scope.js';
import { type ReportTables, reportTables } from './report-table.js';
import { type CompiledQuery, column, param, sql, tableName } from './sql-fragment.js';
import { compileWithSettings, hasInlineReportSettings, type ScopedQuery, unionAll } from './scoped-query.js';

/**
 * The part of a ClickHouse client report execution needs; `@clickhouse/client`'s
 * `ClickHouseClient` (over HTTP or chDB) satisfies it.
 */
export interface ReportQueryClient {
  query(params: {
    query: string;
    query_params: Record<string, unknown>;
    format: 'JSONEachRow';
    clickhouse_settings?: Record<string, string | number | boolean>;
  }): Promise<{ json(): Promise<unknown> }>;
}

/** Output settings of every report query: exact decimals and 64-bit integers as text. */
export const REPORT_QUERY_SETTINGS = {
  output_format_json_quote_decimals: 1,
  output_format_json_quote_64bit_integers: 1,
} as const;

/**
 * Runs a compiled query and returns its rows (JSONEachRow) with the
 * {@link REPORT_QUERY_SETTINGS}. Queries compiled by `scopedQuery(…).compile()`
 * and `unionAll` already carry them in their `SETTINGS` clause, so no client
 * settings are sent with those (on chDB each client setting costs a `SET`
 * statement per query); any other compiled query gets them as client settings.
 *
 * @example
 * ```ts
 * const rows = await runQuery(client, userMonthlyFinancialQuery(t, scope, '2024-01').compile());
 * ```
 */
export async function runQuery(client: ReportQueryClient, compiled: CompiledQuery): Promise<unknown[]> {
  const result = await client.query({
    query: compiled.query,
    query_params: { ...compiled.query_params },
    format: 'JSONEachRow',
    ...(hasInlineReportSettings(compiled) ? {} : { clickhouse_settings: { ...REPORT_QUERY_SETTINGS } }),
  });
  const rows = await result.json();
  if (!Array.isArray(rows))
    throw new InvalidArgumentError('rows', 'expected JSONEachRow rows from the client');
  return rows;
}

/** The four reports of docs/reports.md bound to a client and tables. */
export interface ReportService {
  /** `GET /reports/user/{user_id}?month=YYYY-MM`. */
  userMonthly(scope: ReportScope, month: string): Promise<UserMonthlyReport>;
  /** `GET /api/reports`. `user` labels the report when the mart has no LDAP name. */
  reportDates(scope: ReportScope, user?: string): Promise<ReportDates>;
  /** `GET /api/reports/summary`. */
  overview(scope: ReportScope, user?: string): Promise<ReportsOverview>;
  /** `GET /api/reports/{date}`. */
  daily(scope: ReportScope, date: string, user?: string): Promise<DailyReport>;
  /** `POST /report`; throws {@link ReportNotFoundError} when the user has no CRM row. */
  telemetry(scope: ReportScope, window?: { start_ts?: unknown; end_ts?: unknown }): Promise<TelemetryReport>;
  /** Resolves token subjects to user ids from the ClickHouse users table. */
  readonly directory: SubjectDirectory;
}

/**
 * Wires the report queries, a client and the tables into the four reports.
 * Every method validates its parameters (400 {@link ReportParameterError}),
 * runs user-scoped queries, and returns a DTO validated by the models.
 *
 * @example
 * ```ts
 * import { createClient } from '@clickhouse/client';
 * const reports = createReportService({ client: createClient({ url: 'http://ch:8123' }), database: 'reports' });
 * const scope = await resolveReportScope(principal, reports.directory, { requestedUserId: 1 });
 * await reports.userMonthly(scope, '2024-01');
 * ```
 */
export function createReportService(options: {
  readonly client: ReportQueryClient;
  readonly tables?: ReportTables;
  readonly database?: string;
}): ReportService {
  const { client } = options;
  const tables =
    options.tables ?? reportTables(options.database === undefined ? {} : { database: options.database });
  const rows = (query: ScopedQuery) => runQuery(client, query.compile());
  return {
    async userMonthly(scope, month) {
      const { month: period } = parseReportMonth(month);
      // One round trip: on an embedded engine the per-query overhead dominates a user-month read.
      // The devices come unsorted (a sort step costs ~0.5 ms on chDB); the assembly orders them.
      const all = await runQuery(
        client,
        unionAll({
          financial: userMonthlyFinancialQuery(tables, scope, period),
          devices: userMonthlyDevicesRows(tables, scope, period),
        }),
      );
      const part = (name: string) => all.filter((r) => (r as { part?: unknown }).part === name);
      return assembleUserMonthlyReport({
        userId: assertReportScope(scope),
        month: period,
        financial: part('financial'),
        devices: part('devices'),
      });
    },
    async reportDates(scope, user) {
      return assembleReportDates({
        rows: await rows(reportDatesQuery(tables, scope)),
        user: label(scope, user),
      });
    },
    async overview(scope, user) {
      return assembleReportsOverview({
        rows: await rows(reportsOverviewQuery(tables, scope)),
        user: label(scope, user),
      });
    },
    async daily(scope, date, user) {
      const day = parseReportDate(date);
      return assembleDailyReport({
        date: day,
        rows: await rows(dailyReportQuery(tables, scope, day)),
        user: label(scope, user),
      });
    },
    async telemetry(scope, window = {}) {
      const range = parseTimeWindow(window);
      const all = await runQuery(
        client,
        unionAll({
          user: reportUserQuery(tables, scope),
          stats: telemetryByProsthesisTypeQuery(tables, scope, range),
        }),
      );
      const report = assembleTelemetryReport({
        user: all.filter((r) => (r as { part?: unknown }).part === 'user'),
        rows: all
          .filter((r) => (r as { part?: unknown }).part === 'stats')
          .sort((a, b) =>
            String((a as Row).prosthesis_type).localeCompare(String((b as Row).prosthesis_type)),
          ),
      });
      if (!report) throw new ReportNotFoundError('telemetry report');
      return report;
    },
    directory: clickhouseSubjectDirectory(client, tables),
  };
}

type Row = Record<string, unknown>;

function label(scope: ReportScope, user: string | undefined): string {
  return user ?? String(assertReportScope(scope));
}

/**
 * Compiles the lookup of a token subject in the users table: `user_uuid` for
 * `sub`, `ldap_username` for `preferred_username`, current rows only. Not a
 * report query (it decides the scope), so it returns ids, never report data.
 *
 * @example
 * ```ts
 * subjectLookupQuery(reportTables(), { kind: 'user_uuid', value: '6f1c…' });
 * ```
 */
export function subjectLookupQuery(tables: ReportTables, subject: ReportSubject): CompiledQuery {
  const users = tables.users;
  const from = users.final
    ? sql`${tableName(users.name, users.database)} FINAL`
    : tableName(users.name, users.database);
  const match =
    subject.kind === 'user_uuid'
      ? sql`${column('user_uuid')} = ${param('UUID', subject.value, 'subject')}`
      : sql`${column('ldap_username')} = ${param('String', subject.value, 'subject')}`;
  const live = users.deletedColumn ? sql` AND ${column(users.deletedColumn)} = 0` : sql``;
  return compileWithSettings(sql`SELECT ${column('id')} AS id FROM ${from} WHERE ${match}${live} LIMIT 2`);
}

/**
 * A {@link SubjectDirectory} over the ClickHouse users table. A subject that
 * matches no user, or more than one (an LDAP name reused), resolves to null,
 * which {@link resolveReportScope} turns into a 403.
 *
 * @example
 * ```ts
 * const directory = clickhouseSubjectDirectory(client, reportTables({ database: 'reports' }));
 * ```
 */
export function clickhouseSubjectDirectory(
  client: ReportQueryClient,
  tables: ReportTables,
): SubjectDirectory {
  return {
    async userIdFor(subject) {
      if (subject.kind === 'user_uuid' && !/^[0-9a-f-]{36}$/i.test(subject.value)) return null;
      const rows = await runQuery(client, subjectLookupQuery(tables, subject));
      if (rows.length !== 1) return null;
      const id = Number((rows[0] as { id?: unknown }).id);
      return Number.isSafeInteger(id) && id > 0 ? id : null;
    },
  };
}
