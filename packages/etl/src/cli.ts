import { parseArgs } from 'node:util';
import type { MartTableName } from '@bionicpro/models';
import { DEFAULT_MART_DATABASE, DEFAULT_RAW_DATABASE, type InsertBodyParams } from './clickhouse-load.js';
import { EtlStepError, InputFileError, InvalidPeriodError, OutsideRetentionError } from './errors.js';
import { readInputDirectory } from './input-files.js';
import { type ExtractMode, type KpiEngine, type ProgressEvent, runMonthlyJob } from './monthly-job.js';
import { monthPeriod } from './period.js';
import { createExtractPool } from './postgres-extract.js';
import { prostheticMonthlyMetrics } from './prosthetic-monthly-metrics.js';
import { telemetryReports } from './telemetry-report.js';
import { userMonthlyMetrics } from './user-monthly-metrics.js';
import { userProsthesisHourlyStats } from './user-prosthesis-hourly-stats.js';

const USAGE = `bionicpro-etl — BionicPRO batch ETL

Usage:
  bionicpro-etl kpis --input DIR --month YYYY-MM [--mart user_monthly|prosthetic_monthly|hourly|telemetry_report|all]
      Computes marts from files (users, prosthetics, subscriptions, payments, device_events,
      battery_metrics, telemetry_events; each .jsonl or .csv with a header; a missing file is an
      empty table) and prints the rows as JSON lines with a "mart" field.

  bionicpro-etl run --month YYYY-MM --crm URL --telemetry URL --clickhouse URL|chdb:PATH
                    [--engine ts|sql] [--raw-database NAME] [--mart-database NAME]
                    [--extract copy|cursor|keyset|clickhouse] [--retention-days N|none]
                    [--insert-batch-size N] [--pushdown-shard-rows N]
      Extracts the month from PostgreSQL, loads ClickHouse and rebuilds the marts' month atomically.
      --extract clickhouse: ClickHouse reads --telemetry itself (postgresql()); engine sql only;
      the default for chdb: targets with engine sql, copy otherwise. --pagination is the older
      name of --extract (copy|cursor|keyset).
      --retention-days: the hourly mart's TTL (default 365; none keeps every row).
      Progress goes to stderr (a bar on a terminal, log lines otherwise); the summary JSON to stdout.

Exit codes: 0 success, 1 failure (bad input, a failed step), 2 usage error.`;

const MART_CHOICES = {
  user_monthly: 'report_user_monthly_metrics',
  prosthetic_monthly: 'report_prosthetic_monthly_metrics',
  hourly: 'user_prosthesis_stats',
  telemetry_report: 'telemetry_report',
} as const;

class UsageError extends Error {
  readonly code = 'usage' as const;
}

/** A flag's value as an integer >= 1, undefined when the flag is absent. */
function positiveInteger(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`run: ${flag} must be an integer >= 1, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** JSON with instants as ISO-8601 UTC text. */
function jsonLine(value: object): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
}

async function kpis(args: string[], out: NodeJS.WritableStream): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      input: { type: 'string' },
      month: { type: 'string' },
      mart: { type: 'string', default: 'all' },
    },
    strict: true,
  });
  if (!values.input) throw new UsageError('kpis: --input DIR is required');
  if (!values.month) throw new UsageError('kpis: --month YYYY-MM is required');
  const period = monthPeriod(values.month);
  const choice = values.mart;
  if (choice !== 'all' && !(choice in MART_CHOICES)) {
    throw new UsageError(`kpis: --mart must be one of ${[...Object.keys(MART_CHOICES), 'all'].join(', ')}`);
  }
  const wanted = (key: keyof typeof MART_CHOICES) => choice === 'all' || choice === key;
  const data = await readInputDirectory(values.input);
  const lastUpdated = new Date();
  const write = (mart: string, rows: readonly object[]) => {
    for (const row of rows) out.write(`${jsonLine({ mart, ...row })}\n`);
  };
  if (wanted('user_monthly')) {
    write(MART_CHOICES.user_monthly, userMonthlyMetrics(data, { month: period, lastUpdated }));
  }
  if (wanted('prosthetic_monthly')) {
    write(
      MART_CHOICES.prosthetic_monthly,
      prostheticMonthlyMetrics(
        {
          users: data.users,
          prosthetics: data.prosthetics,
          deviceEvents: data.device_events,
          batteryMetrics: data.battery_metrics,
        },
        { month: period, lastUpdated },
      ),
    );
  }
  if (wanted('hourly')) {
    write(
      MART_CHOICES.hourly,
      userProsthesisHourlyStats(
        {
          users: data.users,
          prosthetics: data.prosthetics,
          telemetryEvents: data.telemetry_events,
          deviceEvents: data.device_events,
          batteryMetrics: data.battery_metrics,
        },
        { month: period, lastUpdated },
      ),
    );
  }
  if (wanted('telemetry_report')) {
    write(
      MART_CHOICES.telemetry_report,
      telemetryReports(
        { users: data.users, telemetryEvents: data.telemetry_events },
        { start_ts: new Date(period.startMs), end_ts: new Date(period.endMs - 1) },
      ),
    );
  }
}

/** Query settings of the embedded engine (`chdb:`), which runs inside the job's process. */
const CHDB_SETTINGS = { max_threads: 1, input_format_parallel_parsing: 0 } as const;

async function openClickHouse(target: string) {
  const { createClient } = await import('@clickhouse/client');
  if (target.startsWith('chdb:')) {
    const { createChdbConnection } = await import('chdb/connection');
    const connection = createChdbConnection({ path: target.slice('chdb:'.length) });
    // The engine shares this process: one thread per query and no parallel
    // input parsing keep its working memory small (peak RSS of `run`).
    const client = createClient({ connection, clickhouse_settings: CHDB_SETTINGS } as never);
    // Batches go to chDB as TabSeparated bytes (zero-copy rawInsert), not as
    // row objects turned into one query string per batch.
    const insertBody = (params: InsertBodyParams) =>
      connection.chdb.rawInsert({
        table: params.table,
        format: params.format,
        ...(params.columns ? { columns: params.columns } : {}),
        values: params.body,
        settings: { ...CHDB_SETTINGS, ...params.settings },
      });
    return Object.assign(client, { insertBody });
  }
  return createClient({ url: target });
}

/** A progress bar on a terminal, one line per finished step otherwise. */
function progressReporter(stream: NodeJS.WriteStream) {
  const tty = stream.isTTY === true;
  let lastDraw = 0;
  const totals = new Map<string, number>();
  return {
    event(e: ProgressEvent) {
      totals.set(`${e.step} ${e.table}`, e.rows);
      if (!tty) {
        if (e.done)
          stream.write(`${(e.elapsedMs / 1000).toFixed(1)}s ${e.step} ${e.table}: ${e.rows} rows\n`);
        return;
      }
      const now = Date.now();
      if (!e.done && now - lastDraw < 100) return;
      lastDraw = now;
      const loaded = [...totals.entries()]
        .filter(([k]) => k.startsWith('load '))
        .reduce((s, [, n]) => s + n, 0);
      const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - 70));
      const phase = ['prepare', 'extract', 'load', 'transform', 'pushdown'].indexOf(e.step);
      const filled = Math.round(((phase + 1) / 5) * width);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
      stream.write(
        `\r${bar} ${(e.elapsedMs / 1000).toFixed(1)}s ${e.step} ${e.table} ${e.rows} rows (loaded ${loaded})\u001b[K`,
      );
      if (
        e.done &&
        (e.step === 'transform' || e.step === 'pushdown') &&
        e.table === 'user_prosthesis_stats'
      ) {
        stream.write('\n');
      }
    },
    end() {
      if (tty) stream.write('\n');
    },
  };
}

async function run(args: string[], out: NodeJS.WritableStream, err: NodeJS.WriteStream): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      month: { type: 'string' },
      crm: { type: 'string' },
      telemetry: { type: 'string' },
      clickhouse: { type: 'string' },
      engine: { type: 'string', default: 'sql' },
      'raw-database': { type: 'string', default: DEFAULT_RAW_DATABASE },
      'mart-database': { type: 'string', default: DEFAULT_MART_DATABASE },
      pagination: { type: 'string' },
      extract: { type: 'string' },
      'retention-days': { type: 'string' },
      'insert-batch-size': { type: 'string' },
      'pushdown-shard-rows': { type: 'string' },
      mart: { type: 'string', multiple: true },
    },
    strict: true,
  });
  for (const name of ['month', 'crm', 'telemetry', 'clickhouse'] as const) {
    if (!values[name]) throw new UsageError(`run: --${name} is required`);
  }
  if (values.engine !== 'ts' && values.engine !== 'sql')
    throw new UsageError('run: --engine must be ts or sql');
  if (values.pagination !== undefined && !['copy', 'cursor', 'keyset'].includes(values.pagination)) {
    throw new UsageError('run: --pagination must be copy, cursor or keyset');
  }
  // Embedded chDB shares this process and its network: reading PostgreSQL itself is the fast path.
  const extract =
    values.extract ??
    values.pagination ??
    (values.clickhouse?.startsWith('chdb:') && values.engine === 'sql' ? 'clickhouse' : 'copy');
  if (!['copy', 'cursor', 'keyset', 'clickhouse'].includes(extract)) {
    throw new UsageError('run: --extract must be copy, cursor, keyset or clickhouse');
  }
  if (extract === 'clickhouse' && values.engine !== 'sql') {
    throw new UsageError('run: --extract clickhouse needs --engine sql');
  }
  const retention = values['retention-days'];
  const retentionDays = retention === 'none' ? null : positiveInteger(retention, '--retention-days');
  const marts = values.mart?.map((m) => {
    const table = (MART_CHOICES as Record<string, string>)[m];
    if (!table || table === 'telemetry_report') {
      throw new UsageError('run: --mart must be user_monthly, prosthetic_monthly or hourly');
    }
    return table as MartTableName;
  });
  const insertBatchSize = positiveInteger(values['insert-batch-size'], '--insert-batch-size');
  const pushdownShardRows = positiveInteger(values['pushdown-shard-rows'], '--pushdown-shard-rows');
  monthPeriod(values.month!);
  const crm = await createExtractPool(values.crm!);
  const telemetry = await createExtractPool(values.telemetry!);
  const clickhouse = await openClickHouse(values.clickhouse!);
  const progress = progressReporter(err);
  try {
    const summary = await runMonthlyJob({
      month: values.month!,
      crm,
      telemetry,
      clickhouse,
      engine: values.engine as KpiEngine,
      extract: extract as ExtractMode,
      ...(extract === 'clickhouse' ? { telemetrySourceUrl: values.telemetry! } : {}),
      ...(retentionDays === undefined ? {} : { retentionDays }),
      layout: { rawDatabase: values['raw-database']!, martDatabase: values['mart-database']! },
      ...(marts ? { marts } : {}),
      ...(insertBatchSize ? { insertBatchSize } : {}),
      ...(pushdownShardRows ? { pushdownShardRows } : {}),
      onProgress: (e) => progress.event(e),
    });
    progress.end();
    out.write(`${JSON.stringify(summary)}\n`);
  } finally {
    await Promise.allSettled([crm.end(), telemetry.end(), clickhouse.close()]);
  }
}

/**
 * Runs the CLI with the given arguments; resolves to the exit code. Exported
 * for embedding (an orchestrator running the job in-process).
 */
export async function main(
  argv: string[],
  io: { out: NodeJS.WritableStream; err: NodeJS.WriteStream } = { out: process.stdout, err: process.stderr },
): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'kpis') await kpis(rest, io.out);
    else if (command === 'run') await run(rest, io.out, io.err);
    else if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.out.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    } else throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err.write(`bionicpro-etl: ${(error as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    if (
      error instanceof InputFileError ||
      error instanceof InvalidPeriodError ||
      error instanceof OutsideRetentionError ||
      error instanceof EtlStepError
    ) {
      io.err.write(`bionicpro-etl: ${error.message}\n`);
      return 1;
    }
    io.err.write(
      `bionicpro-etl: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}

const invokedDirectly = (() => {
  const entry = process.argv[1];
  if (!entry) return false;
  return /(?:^|[\\/])(?:cli\.(?:ts|js|cjs|mjs)|bionicpro-etl)$/.test(entry);
})();

if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
