/**
 * The one error model, walked through the public API of every package: each bad input below
 * must throw a `BionicProError` (one root to catch) with a stable `code` and, where there is
 * one, the offending field in `path`; and `reportErrorResponse` answers every one of them
 * with a 4xx JSON body that names the field. Pure: needs no service.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createChangeDecoder, incrementalSnapshotSignal } from '@bionicpro/cdc';
import {
  monthPeriod as etlMonthPeriod,
  runMonthlyJob,
  timeWindow,
  UnsortedInputError,
  userMonthlyMetrics,
  userProsthesisHourlyStats,
} from '@bionicpro/etl';
import {
  assertIdentifier,
  BIG_ID_MAX,
  BionicProError,
  createRowParser,
  formatPath,
  isBionicProError,
  moneyToMinor,
  multiplyMoney,
  Payment,
  parseIdText,
  parseMonth,
  parseTimestamp,
  postgresDdl,
  sumMoney,
  tables,
  validateRow,
  dayWindow,
  windowFromInclusive,
} from '@bionicpro/models';
import { generateDataset } from '@bionicpro/models/testing';
import {
  createKeycloakVerifier,
  dayReportPeriod,
  monthReportPeriod,
  parseReportMonth,
  parseUserId,
  reportErrorResponse,
  reportTables,
  scopedQuery,
  trustedReportScope,
} from '@bionicpro/reports';
import { describe, expect, it } from 'vitest';

interface Case {
  readonly name: string;
  readonly run: () => unknown;
  readonly code: string;
  /** The field the error names (`path`), when it has one. */
  readonly path?: readonly (string | number)[];
  readonly message?: RegExp;
}

const payment = {
  id: 7,
  user_id: 1,
  subscription_id: 1,
  payment_date: new Date('2024-01-15T10:00:00Z'),
  amount: '12.345',
  payment_method: 'card' as const,
  status: 'success' as const,
  description: null,
  created_at: new Date('2024-01-15T10:00:00Z'),
};

/** A real captured `users` change (schemaless, decimals as text), with its e-mail broken. */
function capturedUserChangeWithBadEmail() {
  const file = fileURLToPath(
    new URL('../../packages/cdc/test/fixtures/debezium/crm-schemaless-string.jsonl', import.meta.url),
  );
  const record = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { topic: string; value: string | null })
    .find((r) => r.topic.endsWith('.users') && r.value?.includes('"op":"c"'));
  if (!record?.value) throw new Error('fixture has no users insert');
  const value = JSON.parse(record.value) as { after: { email: string } };
  value.after.email = 'not an e-mail';
  return { ...record, partition: 0, offset: '0', key: null, value: JSON.stringify(value) };
}

const cases: Case[] = [
  // @bionicpro/models
  {
    name: 'models windowFromInclusive: start after the last instant',
    run: () => windowFromInclusive(new Date('2024-02-01T00:00:00Z'), new Date('2024-01-31T23:59:59Z')),
    code: 'invalid_period',
    path: ['period'],
  },
  {
    name: 'models dayWindow: 2023-02-29',
    run: () => dayWindow('2023-02-29'),
    code: 'invalid_period',
    path: ['period'],
  },
  {
    name: 'models validateRow: float money',
    run: () => validateRow(Payment, { ...payment, amount: 12.5 }),
    code: 'model_validation',
    path: ['amount'],
  },
  {
    name: 'models createRowParser: NUL in text',
    run: () => createRowParser(Payment)({ ...payment, amount: '1.00', description: 'a\u0000' }),
    code: 'model_validation',
    path: ['description'],
  },
  {
    name: 'models parseIdText: 1e0',
    run: () => parseIdText('1e0', { name: 'id' }),
    code: 'invalid_id',
    path: ['id'],
  },
  {
    name: 'models parseIdText: %201',
    run: () => parseIdText('%201', { name: 'id' }),
    code: 'invalid_id',
    path: ['id'],
  },
  {
    name: 'models parseIdText: 0x2',
    run: () => parseIdText('0x2', { name: 'id' }),
    code: 'invalid_id',
    path: ['id'],
  },
  {
    name: 'models parseIdText: 2^31 for an Int32 id',
    run: () => parseIdText('2147483648', { name: 'id' }),
    code: 'invalid_id',
    path: ['id'],
  },
  {
    name: 'models parseIdText: 2^63 for a bigint id',
    run: () => parseIdText('9223372036854775808', { max: BIG_ID_MAX, name: 'id' }),
    code: 'invalid_id',
    path: ['id'],
  },
  {
    name: 'models parseTimestamp: year 26',
    run: () => parseTimestamp('0026-11-20T08:00:00Z'),
    code: 'timestamp_out_of_range',
  },
  { name: 'models parseTimestamp: text', run: () => parseTimestamp('yesterday'), code: 'invalid_timestamp' },
  { name: 'models parseMonth: 2024-13', run: () => parseMonth('2024-13'), code: 'invalid_month' },
  { name: 'models moneyToMinor: three decimals', run: () => moneyToMinor('1.234'), code: 'invalid_money' },
  { name: 'models sumMoney: not money', run: () => sumMoney(['1.00', 'abc']), code: 'invalid_money' },
  {
    name: 'models multiplyMoney: fractional factor',
    run: () => multiplyMoney('1.00', 1.5),
    code: 'invalid_argument',
    path: ['factor'],
  },
  {
    name: 'models assertIdentifier',
    run: () => assertIdentifier('database', 'a b'),
    code: 'invalid_identifier',
    path: ['database'],
  },
  {
    name: 'models postgresDdl of a warehouse table',
    run: () => postgresDdl(tables.report_user_monthly_metrics),
    code: 'invalid_argument',
  },
  {
    name: 'models/testing generateDataset: negative users',
    run: () => generateDataset({ seed: 1, users: -1 }),
    code: 'invalid_argument',
    path: ['users'],
  },
  // @bionicpro/etl
  { name: 'etl monthPeriod: 2024-13', run: () => etlMonthPeriod('2024-13'), code: 'invalid_period' },
  {
    name: 'etl monthPeriod: the year 26 (outside what ClickHouse stores)',
    run: () => etlMonthPeriod('0026-11'),
    code: 'invalid_period',
    message: /outside 1900-01/,
  },
  {
    name: 'etl timeWindow: start after end',
    run: () => timeWindow(new Date('2024-02-01'), new Date('2024-01-01')),
    code: 'invalid_period',
  },
  {
    name: 'etl userMonthlyMetrics: bad money names the row',
    run: () =>
      userMonthlyMetrics({ users: [], subscriptions: [], payments: [payment] } as never, {
        month: '2024-01',
        lastUpdated: new Date('2024-02-01T00:00:00Z'),
      }),
    code: 'invalid_money',
    path: ['payments', 7, 'amount'],
    message: /payments row id 7: amount/,
  },
  {
    name: 'etl runMonthlyJob: pushdownShardRows 0',
    run: () =>
      runMonthlyJob({
        month: '2024-01',
        crm: {},
        telemetry: {},
        clickhouse: {},
        pushdownShardRows: 0,
      } as never),
    code: 'invalid_argument',
    path: ['pushdownShardRows'],
  },
  // @bionicpro/cdc
  {
    name: 'cdc decode: an object as the message value',
    run: () =>
      createChangeDecoder().decode({
        topic: 'crm.public.users',
        partition: 0,
        offset: '0',
        key: null,
        value: {} as never,
      }),
    code: 'invalid_envelope',
    path: ['value'],
    message: /expected a string or Buffer, got object/,
  },
  {
    name: 'cdc decode: not JSON',
    run: () =>
      createChangeDecoder().decode({
        topic: 'crm.public.users',
        partition: 0,
        offset: '0',
        key: null,
        value: '{',
      }),
    code: 'invalid_envelope',
  },
  {
    name: 'cdc decode: a row its model refuses (path of the first issue)',
    run: () => createChangeDecoder().decode(capturedUserChangeWithBadEmail()),
    code: 'invalid_row',
    path: ['after', 'email'],
  },
  {
    name: 'cdc incrementalSnapshotSignal: no table',
    run: () => incrementalSnapshotSignal({ tables: [] }),
    code: 'invalid_argument',
  },
  // @bionicpro/reports
  ...['1e0', '%201', '0x2', ' 1', '01', '-1', '2147483648', '9007199254740991'].map(
    (id): Case => ({
      name: `reports parseUserId: ${JSON.stringify(id)}`,
      run: () => parseUserId(id, 'user_id'),
      code: 'invalid_report_parameter',
      path: ['user_id'],
    }),
  ),
  {
    name: 'reports parseReportMonth: 2024-13',
    run: () => parseReportMonth('2024-13'),
    code: 'invalid_report_parameter',
    path: ['month'],
  },
  {
    name: 'reports monthReportPeriod: 2024-13 (the README service)',
    run: () => monthReportPeriod('2024-13'),
    code: 'invalid_report_parameter',
    path: ['month'],
  },
  {
    name: 'reports monthReportPeriod: no month',
    run: () => monthReportPeriod(undefined as never),
    code: 'invalid_report_parameter',
    path: ['month'],
  },
  {
    name: 'reports monthReportPeriod: a month ClickHouse cannot store',
    run: () => monthReportPeriod('1899-12'),
    code: 'invalid_report_parameter',
    path: ['month'],
  },
  {
    name: 'reports dayReportPeriod: 2024-02-30',
    run: () => dayReportPeriod('2024-02-30'),
    code: 'invalid_report_parameter',
    path: ['date'],
  },
  {
    name: 'reports scopedQuery: an unknown column',
    run: () =>
      scopedQuery(reportTables().userMonthly, trustedReportScope(1))
        .select({ x: 'no_such_column' })
        .compile(),
    code: 'unknown_column',
    path: ['no_such_column'],
  },
  {
    name: 'reports createKeycloakVerifier: no algorithm',
    run: () =>
      createKeycloakVerifier({ issuer: 'https://kc.example/realms/x', audience: 'a', algorithms: [] }),
    code: 'invalid_argument',
    path: ['algorithms'],
  },
];

async function thrown(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('one error model across the packages', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const error = await thrown(c.run);
    expect(error).toBeInstanceOf(BionicProError);
    expect(isBionicProError(error)).toBe(true);
    const typed = error as BionicProError;
    expect(typed.code).toBe(c.code);
    if (c.path) expect(typed.path).toEqual(c.path);
    if (c.message) expect(typed.message).toMatch(c.message);

    const response = reportErrorResponse(error);
    expect(response?.status).toBe(400);
    const body = (await response?.json()) as { code?: string; parameter?: string; field?: string };
    expect(body.code).toBe(c.code);
    if (c.path) expect(body.parameter ?? body.field).toBe(formatPath(c.path));
  });

  it('unsorted input is an UnsortedInputError (a BionicProError) naming the row', () => {
    const at = (iso: string) => new Date(iso);
    const event = (id: string, ts: string) => ({
      id,
      event_uuid: '6f1c2a4e-8b3d-4f5a-9c7e-1d2b3a4c5e6f',
      user_id: 1,
      prosthetic_id: 1,
      prosthesis_type: 'hand' as const,
      muscle_group: 'flexor',
      signal_frequency: 100,
      signal_duration: 1000,
      signal_amplitude: 1,
      event_timestamp: at(ts),
      saved_ts: at(ts),
    });
    const error = (() => {
      try {
        userProsthesisHourlyStats(
          {
            users: [],
            prosthetics: [],
            telemetryEvents: [event('2', '2024-01-01T02:00:00Z'), event('1', '2024-01-01T01:00:00Z')],
            deviceEvents: [],
          } as never,
          { month: '2024-01', order: 'sorted', lastUpdated: new Date('2024-02-01T00:00:00Z') },
        );
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UnsortedInputError);
    expect(error).toBeInstanceOf(BionicProError);
    expect((error as UnsortedInputError).code).toBe('unsorted_input');
    expect((error as UnsortedInputError).path).toEqual([1]);
  });
});
