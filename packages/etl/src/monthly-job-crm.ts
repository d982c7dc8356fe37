import { columnsOf, qualifiedTableName, tables } from '@bionicpro/models';
import { deleteRawWindow, ensureWarehouse, insertRows, syncRawTable } from './clickhouse-load.js';
import { countCurrentRows, expectLoaded, readBack } from './load-read-back.js';
import type { JobSummary } from './monthly-job.js';
import {
  extractOptions,
  type MonthlyJobContext,
  rawExtra,
  rawWindowOptions,
  retryOption,
} from './monthly-job-context.js';
import { type CrmExtract, extractCrm } from './postgres-extract.js';
import { withRetry } from './retry.js';

/** Step `prepare`: the warehouse's databases and tables (and the hourly mart's TTL when given). */
export async function prepareWarehouse(ctx: MonthlyJobContext): Promise<void> {
  const { recorder } = ctx;
  recorder.progress('prepare', 'warehouse', 0);
  await recorder.timed('prepare', 'warehouse', () =>
    withRetry(
      () =>
        ensureWarehouse(
          ctx.clickhouse,
          ctx.warehouse,
          ctx.requestedRetentionDays === undefined ? {} : { retentionDays: ctx.requestedRetentionDays },
        ),
      { step: 'prepare', table: 'warehouse', period: ctx.period.label },
      ctx.retry,
    ),
  );
  recorder.progress('prepare', 'warehouse', 0, true);
}

/** What the CRM step read and did: the CRM rows (the TS marts' input) and the rows marked deleted. */
export interface CrmLoad {
  readonly crm: CrmExtract;
  readonly deleted: Record<string, number>;
}

/**
 * The CRM step: the small CRM tables read whole and synced (rows the source no
 * longer has marked deleted), then the month's payments window replaced and
 * counted back. Fills `tablesSummary` for the four tables.
 */
export async function loadCrm(ctx: MonthlyJobContext, tablesSummary: JobSummary['tables']): Promise<CrmLoad> {
  const { recorder, clickhouse, layout } = ctx;
  const crm = await recorder.timed(
    'extract',
    'crm',
    () => extractCrm(ctx.crm, ctx.period, extractOptions(ctx, 'crm')),
    (c) => c.users.length + c.prosthetics.length + c.subscriptions.length + c.payments.length,
  );
  const deleted: Record<string, number> = {};
  for (const table of ['users', 'prosthetics', 'subscriptions'] as const) {
    const rows = crm[table];
    const result = await recorder.timed(
      'insert',
      table,
      () =>
        syncRawTable(clickhouse, table, rows, {
          database: layout.rawDatabase,
          version: ctx.version,
          period: ctx.period.label,
          ...retryOption(ctx),
        }),
      (r) => r.written,
    );
    deleted[table] = result.deleted;
    // Read back what ClickHouse now holds (not a check: a CDC sink may write these tables too).
    const current = await recorder.timed(
      'read_back',
      table,
      () => countCurrentRows(clickhouse, table, layout.rawDatabase),
      (n) => n,
    );
    tablesSummary[table] = { extracted: rows.length, loaded: current };
    recorder.progress('load', table, current, true);
  }
  await deleteRawWindow(clickhouse, 'payments', ctx.window, rawWindowOptions(ctx));
  await recorder.timed(
    'insert',
    'payments',
    () =>
      insertRows(clickhouse, qualifiedTableName('payments', layout.rawDatabase), crm.payments, {
        columns: columnsOf(tables.payments).map((c) => c.name),
        extra: rawExtra(ctx),
        period: ctx.period.label,
        ...retryOption(ctx),
      }),
    (n) => n,
  );
  const payments = await readBack(ctx, 'payments');
  expectLoaded('payments', ctx.period.label, crm.payments.length, payments.rows);
  tablesSummary.payments = { extracted: crm.payments.length, loaded: payments.rows };
  recorder.progress('load', 'payments', payments.rows, true);
  return { crm, deleted };
}
