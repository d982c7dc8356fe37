import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UnscopedQueryError } from './errors.js';
import {
  dailyReportQuery,
  parseReportMonth,
  parseTimeWindow,
  reportDatesQuery,
  telemetryByProsthesisTypeQuery,
  userMonthlyFinancialQuery,
} from './report-queries.js';
import { type ReportScope, trustedReportScope } from './report-scope.js';
import { type ClickHouseLike, tables } from '@bionicpro/models';
import { reportTable, reportTables } from './report-table.js';
import {
  type ReportQueryClient,
  REPORT_QUERY_SETTINGS,
  runQuery,
  subjectLookupQuery,
} from './report-service.js';
import { scopedQuery, unionAll } from './scoped-query.js';
import { column, compileFragment, param, sql } from './sql-fragment.js';

const SETTINGS_TEXT =
  'prefer_column_name_to_alias = 1, output_format_json_quote_decimals = 1, output_format_json_quote_64bit_integers = 1, optimize_move_to_prewhere = 0';
const t = reportTables({ database: 'reports' });
const scope = trustedReportScope(42);

describe('sql fragments', () => {
  it('binds every interpolated value as a typed parameter and never splices it', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        (s, i, d) => {
          const compiled = compileFragment(sql`a = ${s} AND b = ${i} AND c = ${d}`);
          expect(compiled.query).toBe(
            `a = {p:String} AND b = {p_1:Int64} AND c = {p_2:${Number.isInteger(d) ? 'Int64' : 'Float64'}}`,
          );
          expect(compiled.query_params).toEqual({ p: s, p_1: i, p_2: d });
        },
      ),
    );
  });

  it('formats dates for their ClickHouse type in UTC', () => {
    const at = new Date('2024-01-31T23:30:00.123+03:00');
    expect(compileFragment(sql`${param("DateTime64(3, 'UTC')", at, 'at')}`).query_params).toEqual({
      at: '2024-01-31 20:30:00.123',
    });
    expect(compileFragment(sql`${param('Date', at, 'd')}`).query_params).toEqual({ d: '2024-01-31' });
  });

  it('refuses identifiers that are not plain names', () => {
    for (const bad of ['a b', 'x;DROP', 'users--', '1col', '', 'a.b']) {
      expect(() => column(bad)).toThrow(/invalid column/);
    }
    expect(() => reportTables({ database: 'reports; DROP DATABASE x' })).toThrow(/invalid database/);
    expect(() => param('String; DROP' as never, 'x')).toThrow(/unsupported parameter type/);
  });
});

describe('scopedQuery', () => {
  it('cannot be built without a scope: a type error, and an UnscopedQueryError at run time', () => {
    // @ts-expect-error a report query needs a ReportScope
    expect(() => scopedQuery(t.userMonthly)).toThrow(UnscopedQueryError);
    // @ts-expect-error a plain object is not a ReportScope
    expect(() => scopedQuery(t.userMonthly, { userId: 1 })).toThrow(UnscopedQueryError);
    const forged = { userId: 1, grantedBy: 'self' } as unknown as ReportScope;
    expect(() => scopedQuery(t.userMonthly, forged)).toThrow(UnscopedQueryError);
    expect(() => trustedReportScope(0)).toThrow(/user_id/);
  });

  it('starts WHERE with the user column, the primary-key prefix, and binds the user id', () => {
    const q = userMonthlyFinancialQuery(t, scope, '2024-01').compile();
    expect(q.query).toContain(
      'FROM reports.report_user_monthly_metrics WHERE user_id = {scope_user_id:Int32} AND (report_date = {month_start:Date})',
    );
    expect(q.query_params).toEqual({ scope_user_id: 42, month_start: '2024-01-01' });
    expect(q.query).toMatch(
      / SETTINGS prefer_column_name_to_alias = 1, output_format_json_quote_decimals = 1, output_format_json_quote_64bit_integers = 1, optimize_move_to_prewhere = 0$/,
    );
  });

  it('reads ReplacingMergeTree tables with FINAL and skips deleted rows', () => {
    const q = telemetryByProsthesisTypeQuery(t, scope).compile();
    expect(q.query).toContain(
      'FROM reports.telemetry_events FINAL WHERE user_id = {scope_user_id:Int32} AND _is_deleted = 0',
    );
    expect(userMonthlyFinancialQuery(t, scope, '2024-01').compile().query).not.toContain('FINAL');
    const plain = reportTable(tables.telemetry_events, { name: 'telemetry_events_current', final: false });
    expect(scopedQuery(plain, scope).select({ id: 'id' }).compile().query).toBe(
      `SELECT id FROM telemetry_events_current WHERE user_id = {scope_user_id:Int32} SETTINGS ${SETTINGS_TEXT}`,
    );
  });

  it('is immutable and extendable: another metric, a narrower range, another grouping', () => {
    const base = dailyReportQuery(t, scope, '2024-01-15');
    const extended = base
      .select({ error_rate: 'error_rate' })
      .where(sql`${column('movements_count')} > ${param('UInt32', 0, 'min_moves')}`);
    expect(base.compile().query).not.toContain('error_rate');
    const q = extended.compile();
    expect(q.query).toContain('error_rate');
    expect(q.query).toContain('(movements_count > {min_moves:UInt32})');
    expect(q.query_params).toMatchObject({ scope_user_id: 42, date: '2024-01-15', min_moves: 0 });
    const byModel = scopedQuery(t.hourly, scope)
      .select({ prosthesis_model: 'prosthesis_model', movements: sql`sum(${column('movements_count')})` })
      .groupBy('prosthesis_model')
      .orderBy('prosthesis_model')
      .compile();
    expect(byModel.query).toMatch(/GROUP BY prosthesis_model ORDER BY prosthesis_model ASC/);
  });

  it('rejects unknown columns, bad aliases and raw strings in place of fragments', () => {
    expect(() => scopedQuery(t.hourly, scope).select({ x: 'no_such_column' })).toThrow(/no column/);
    expect(() => scopedQuery(t.hourly, scope).select({ 'x; DROP': 'date' })).toThrow(/invalid alias/);
    expect(() => scopedQuery(t.hourly, scope).where('1=1' as never)).toThrow(/fragment/);
    expect(() => scopedQuery(t.hourly, scope).limit(0)).toThrow(/positive/);
    expect(() => scopedQuery(t.hourly, scope).compile()).toThrow(/output column/);
  });

  it('limits the dates list to 30 and counts all dates with a window over the groups', () => {
    const q = reportDatesQuery(t, scope).compile();
    expect(q.query).toContain('count() OVER () AS total');
    expect(q.query).toContain('GROUP BY date ORDER BY date DESC LIMIT 30');
  });
});

describe('request parameters', () => {
  it('accepts only real months and dates', () => {
    expect(parseReportMonth('2024-02')).toMatchObject({
      month: '2024-02',
      firstDay: '2024-02-01',
      lastDay: '2024-02-29',
    });
    for (const bad of [
      '2024-13',
      '2024-00',
      '24-01',
      '2024-1',
      '2024-01-01',
      ' 2024-01',
      '2024-01\n',
      2024,
    ]) {
      expect(() => parseReportMonth(bad)).toThrow(/month/);
    }
    expect(() => dailyReportQuery(t, scope, '2024-02-30')).toThrow(/date/);
  });

  it('parses the EMG window: no offset means UTC, start must not follow end, the inclusive end_ts becomes a half-open end', () => {
    const w = parseTimeWindow({ start_ts: '2026-01-01T00:00:00', end_ts: '2026-03-01T23:59:59' });
    expect(w.start?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    // end_ts is the last instant counted; inside, the window is [start, end_ts + 1 ms).
    expect(w.end?.toISOString()).toBe('2026-03-01T23:59:59.001Z');
    expect(parseTimeWindow({})).toEqual({ start: undefined, end: undefined });
    expect(() =>
      parseTimeWindow({ start_ts: '2026-02-01T00:00:00Z', end_ts: '2026-01-01T00:00:00Z' }),
    ).toThrow(/end_ts/);
    const q = telemetryByProsthesisTypeQuery(t, scope, w).compile();
    expect(q.query_params).toMatchObject({
      start_ts: '2026-01-01 00:00:00.000',
      end_ts: '2026-03-01 23:59:59.001',
    });
    expect(q.query).toContain(
      "event_timestamp >= {start_ts:DateTime64(3, 'UTC')} AND event_timestamp < {end_ts:DateTime64(3, 'UTC')}",
    );
  });
});

describe('unionAll', () => {
  it('runs several scoped parts in one query, each with its own scope predicate and unique parameters', () => {
    const q = unionAll({
      financial: userMonthlyFinancialQuery(t, scope, '2024-01'),
      devices: dailyReportQuery(t, trustedReportScope(7), '2024-01-15'),
    });
    expect(q.query.match(/user_id = \{scope_user_id(_1)?:Int32\}/g)).toHaveLength(2);
    expect(q.query_params).toMatchObject({ scope_user_id: 42, scope_user_id_1: 7 });
    expect(q.query).toContain("'financial' AS part");
    expect(q.query).toContain('NULL AS total_payments');
    expect(() => unionAll({ 'x; DROP': userMonthlyFinancialQuery(t, scope, '2024-01') })).toThrow(
      /invalid part/,
    );
    expect(() => unionAll({ a: { aliases: [] } as never })).toThrow(UnscopedQueryError);
    expect(q.query.endsWith(` SETTINGS ${SETTINGS_TEXT}`)).toBe(true);
    expect(q.query.match(/SETTINGS/g)).toHaveLength(1);
  });
});

describe('runQuery', () => {
  const recordingClient = () => {
    const calls: Record<string, unknown>[] = [];
    const client: ReportQueryClient = {
      async query(params) {
        calls.push(params);
        return { json: async () => [] };
      },
    };
    return { client, calls };
  };

  it('sends no client settings with builder queries, which carry them in their SETTINGS clause', async () => {
    const { client, calls } = recordingClient();
    await runQuery(client, userMonthlyFinancialQuery(t, scope, '2024-01').compile());
    await runQuery(client, unionAll({ financial: userMonthlyFinancialQuery(t, scope, '2024-01') }));
    await runQuery(client, subjectLookupQuery(t, { kind: 'ldap_username', value: 'x' }));
    expect(calls).toHaveLength(3);
    for (const call of calls) {
      expect(call).not.toHaveProperty('clickhouse_settings');
      expect(String(call['query'])).toContain(`SETTINGS ${SETTINGS_TEXT}`);
    }
  });

  it('sends the output settings as client settings with any other query, even one copied from a builder', async () => {
    const { client, calls } = recordingClient();
    const compiled = userMonthlyFinancialQuery(t, scope, '2024-01').compile();
    await runQuery(client, { ...compiled });
    await runQuery(client, compileFragment(sql`SELECT ${1} AS x`));
    for (const call of calls) expect(call['clickhouse_settings']).toEqual(REPORT_QUERY_SETTINGS);
  });

  it("runs on any client of the models' ClickHouse seam (ReportQueryClient is a narrower reading of its query)", async () => {
    const calls: Parameters<ClickHouseLike['query']>[0][] = [];
    const seam: Pick<ClickHouseLike, 'query'> = {
      async query(params) {
        calls.push(params);
        return { json: async <T>() => [{ x: '1' }] as T[] };
      },
    };
    const compiled = compileFragment(sql`SELECT ${1} AS x`);
    expect(await runQuery(seam, compiled)).toEqual([{ x: '1' }]);
    expect(calls).toEqual([
      {
        query: compiled.query,
        query_params: compiled.query_params,
        format: 'JSONEachRow',
        clickhouse_settings: REPORT_QUERY_SETTINGS,
      },
    ]);
  });
});
