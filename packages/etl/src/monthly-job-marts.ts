import {
  type CompiledQuery,
  columnsOf,
  type MartTableName,
  qualifiedTableName,
  tables,
} from '@bionicpro/models';
import { insertRows, replaceMonthPartition } from './clickhouse-load.js';
import type { EtlStep } from './errors.js';
import {
  prostheticMonthlyMetricsSql,
  userMonthlyMetricsSql,
  userProsthesisHourlyStatsSql,
} from './kpi-sql.js';
import { countMonthRows } from './load-read-back.js';
import type { JobSummary } from './monthly-job.js';
import { type MonthlyJobContext, retryOption } from './monthly-job-context.js';
import type { StreamedMarts } from './monthly-job-telemetry.js';
import type { CrmExtract } from './postgres-extract.js';
import { withRetry } from './retry.js';
import { userMonthlyMetrics } from './user-monthly-metrics.js';

/**
 * The marts step: each mart's month rebuilt in a staging table (by the TS
 * engine's rows or by SQL pushdown) and swapped in; returns the rows per mart.
 */
export async function buildMarts(
  ctx: MonthlyJobContext,
  crm: CrmExtract,
  streamed: StreamedMarts,
): Promise<JobSummary['marts']> {
  const { recorder } = ctx;
  const martSummary: JobSummary['marts'] = {};
  const step: EtlStep = ctx.engine === 'ts' ? 'transform' : 'pushdown';
  for (const mart of ctx.marts) {
    recorder.progress(step, mart, 0);
    let fillMs = 0;
    const martStarted = performance.now();
    const rows = await replaceMonthPartition(
      ctx.clickhouse,
      mart,
      ctx.period,
      { database: ctx.layout.martDatabase, ...retryOption(ctx) },
      async (staging) => {
        const fillStarted = performance.now();
        try {
          if (ctx.engine === 'sql') await pushDownMart(ctx, staging, mart);
          else await insertMart(ctx, staging, mart, crm, streamed);
        } finally {
          fillMs = performance.now() - fillStarted;
        }
      },
    );
    recorder.time(step, mart, fillMs, rows);
    recorder.time('swap', mart, performance.now() - martStarted - fillMs, rows);
    martSummary[mart] = rows;
    recorder.progress(step, mart, rows, true);
  }
  return martSummary;
}

/**
 * SQL engine: the mart's month computed by ClickHouse from the raw tables
 * into `staging`; the prosthetic mart in slices of about
 * `pushdownShardRows` device and battery rows each.
 */
async function pushDownMart(ctx: MonthlyJobContext, staging: string, mart: MartTableName): Promise<void> {
  const { period, layout } = ctx;
  const sqlOptions = {
    rawDatabase: layout.rawDatabase,
    martDatabase: layout.martDatabase,
    targetTable: staging,
    lastUpdated: ctx.lastUpdated,
  };
  const context = { step: 'pushdown', table: mart, period: period.label } as const;
  const run = (compiled: CompiledQuery) =>
    withRetry(
      () => ctx.clickhouse.command({ ...compiled, query_params: { ...compiled.query_params } }),
      context,
      ctx.retry,
    );
  if (mart === 'report_prosthetic_monthly_metrics') {
    const monthRows = await withRetry(
      () => countMonthRows(ctx.clickhouse, period, layout.rawDatabase),
      context,
      ctx.retry,
    );
    const count = Math.max(1, Math.ceil(monthRows / ctx.pushdownShardRows));
    for (let index = 0; index < count; index += 1) {
      await run(prostheticMonthlyMetricsSql(period, { ...sqlOptions, shard: { count, index } }));
    }
    return;
  }
  await run(
    mart === 'report_user_monthly_metrics'
      ? userMonthlyMetricsSql(period, sqlOptions)
      : userProsthesisHourlyStatsSql(period, sqlOptions),
  );
}

/** TS engine: the mart's rows, computed in this process, inserted into `staging`. */
async function insertMart(
  ctx: MonthlyJobContext,
  staging: string,
  mart: MartTableName,
  crm: CrmExtract,
  streamed: StreamedMarts,
): Promise<void> {
  const rows =
    mart === 'report_user_monthly_metrics'
      ? userMonthlyMetrics(crm, { month: ctx.period, lastUpdated: ctx.lastUpdated })
      : mart === 'report_prosthetic_monthly_metrics'
        ? (streamed.prostheticRows ?? [])
        : (streamed.hourly?.result() ?? []);
  await insertRows(ctx.clickhouse, qualifiedTableName(staging, ctx.layout.martDatabase), rows, {
    columns: columnsOf(tables[mart]).map((c) => c.name),
    period: ctx.period.label,
    ...retryOption(ctx),
  });
}
