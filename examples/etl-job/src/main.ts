/**
 * The monthly ETL as a long-running process (or a one-shot with `--once`).
 *
 *   CRM_DATABASE_URL=postgres://… TELEMETRY_DATABASE_URL=postgres://… CLICKHOUSE_URL=http://clickhouse:8123 \
 *   pnpm --filter @bionicpro/example-etl-job start                       # runs on day 1 at 02:00 UTC, every month
 *   pnpm --filter @bionicpro/example-etl-job start -- --once --months 2024-01..2024-03
 *
 * With REDIS_URL (the reports service's shared report store), each loaded month is then
 * prewarmed: its new data versions are published (every service instance stops serving the
 * month's older reports at once) and every user's reports are rendered into the store.
 * Prometheus metrics (docs/metrics.md) are served at `http://METRICS_HOST:METRICS_PORT/metrics`
 * (default 127.0.0.1:9465; METRICS_PORT=0 picks a free port, `off` disables the endpoint). A `--once`
 * run serves them only when METRICS_PORT is set: nothing would scrape a one-shot job in time.
 */
import { parseArgs } from 'node:util';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { createExtractPool, runMonthlyJob } from '@bionicpro/etl';
import { readEnvironment } from '@bionicpro/models';
import { prewarmReports, type ReportStore, reportTables } from '@bionicpro/reports';
import { type ConnectedRedisReportStore, connectRedisReportStore } from '@bionicpro/reports/redis';
import { etlPrometheusMetrics } from '@bionicpro/etl/prometheus';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { z } from 'zod';
import { monthRangeList, monthlySchedule } from './schedule.js';
import { serveMetrics } from './metrics-endpoint.js';
import { createMonthlyScheduler, type SchedulerLog } from './scheduler.js';

const log: SchedulerLog = (level, msg, fields = {}) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a plain identifier');
const Environment = z.object({
  CRM_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://…'),
  TELEMETRY_DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'expected postgres://…'),
  CLICKHOUSE_URL: z.url().optional(),
  CLICKHOUSE_PATH: z.string().min(1).optional(),
  CLICKHOUSE_USER: z.string().optional(),
  CLICKHOUSE_PASSWORD: z.string().optional(),
  CLICKHOUSE_RAW_DATABASE: identifier.default('bionicpro_raw'),
  CLICKHOUSE_MART_DATABASE: identifier.default('bionicpro_reports'),
  ETL_ENGINE: z.enum(['sql', 'ts']).default('sql'),
  // `clickhouse`: ClickHouse reads TELEMETRY_DATABASE_URL itself (postgresql()); engine sql only.
  ETL_EXTRACT: z.enum(['copy', 'cursor', 'keyset', 'clickhouse']).default('copy'),
  // Days the hourly mart keeps a row (its TTL), or `none`; unset: 365 and an existing mart left alone.
  ETL_RETENTION_DAYS: z.union([z.literal('none').transform(() => null), int(1, 1_000_000)]).optional(),
  ETL_DAY: int(1, 28).default(1),
  ETL_HOUR: int(0, 23).default(2),
  ETL_MINUTE: int(0, 59).default(0),
  ETL_BACKFILL: z.string().optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'expected redis://…')
    .optional(),
  REDIS_KEY_PREFIX: z.string().min(1).default('bionicpro:reports:'),
  PREWARM_CONCURRENCY: int(1, 64).default(2),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  METRICS_PORT: z.union([z.literal('off'), int(0, 65_535)]).optional(),
});

function configFromEnv() {
  const { settings, given: input, problems } = readEnvironment(Environment, process.env);
  if ((input['CLICKHOUSE_URL'] === undefined) === (input['CLICKHOUSE_PATH'] === undefined)) {
    problems.push(
      'CLICKHOUSE_URL: set exactly one of CLICKHOUSE_URL (a server) and CLICKHOUSE_PATH (embedded chDB)',
    );
  }
  if (settings === undefined || problems.length > 0) {
    process.stderr.write(`etl-job: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(2);
  }
  return settings;
}

async function clickhouseClient(env: ReturnType<typeof configFromEnv>): Promise<ClickHouseClient> {
  const settings = {
    output_format_json_quote_decimals: 1,
    output_format_json_quote_64bit_integers: 1,
  } as const;
  if (env.CLICKHOUSE_PATH !== undefined) {
    // Loaded only in embedded mode (chDB is a native module); typed, with zero-copy raw inserts.
    const { createChdbClient } = await import('@bionicpro/etl/chdb');
    return createChdbClient({ path: env.CLICKHOUSE_PATH, clickhouse_settings: settings });
  }
  return createClient({
    url: env.CLICKHOUSE_URL as string,
    ...(env.CLICKHOUSE_USER === undefined ? {} : { username: env.CLICKHOUSE_USER }),
    ...(env.CLICKHOUSE_PASSWORD === undefined ? {} : { password: env.CLICKHOUSE_PASSWORD }),
    clickhouse_settings: settings,
  });
}

const { values: args } = parseArgs({
  options: { once: { type: 'boolean', default: false }, months: { type: 'string' } },
});
const env = configFromEnv();
const clickhouse = await clickhouseClient(env);
const crm = await createExtractPool(env.CRM_DATABASE_URL, { max: 2 });
const telemetry = await createExtractPool(env.TELEMETRY_DATABASE_URL, { max: 2 });
const store: ConnectedRedisReportStore | undefined =
  env.REDIS_URL === undefined
    ? undefined
    : await connectRedisReportStore({
        url: env.REDIS_URL,
        prefix: env.REDIS_KEY_PREFIX,
        onError: (error) => log('warn', 'redis connection error', { error: String(error) }),
      });

/**
 * The step after a month's load: publish its data versions and render its reports into the
 * shared store. A failure here does not fail the month (the data is loaded; the reports are
 * rendered on their first request instead), but it is logged.
 */
async function prewarmStep(month: string, shared: ReportStore): Promise<void> {
  try {
    const summary = await prewarmReports({
      client: clickhouse,
      store: shared,
      month,
      tables: reportTables({ database: env.CLICKHOUSE_MART_DATABASE }),
      concurrency: env.PREWARM_CONCURRENCY,
      onProgress: (p) => log('info', 'prewarm progress', { month, users_done: p.usersDone, users: p.users }),
    });
    log('info', 'prewarm finished', {
      month,
      users: summary.users,
      reports: summary.reportsWritten,
      versions_published: summary.versionsPublished.length,
      elapsed_ms: Math.round(summary.elapsedMs),
    });
  } catch (error) {
    log('error', 'prewarm failed: reports will be rendered on first request', {
      month,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

const registry = new Registry();
collectDefaultMetrics({ register: registry });
const metrics = etlPrometheusMetrics({ registry });
const metricsPort = env.METRICS_PORT ?? (args.once ? 'off' : 9465);
const endpoint =
  metricsPort === 'off'
    ? undefined
    : await serveMetrics(registry, {
        host: env.METRICS_HOST,
        port: metricsPort,
        onError: (error) => log('error', 'metrics collection failed', { error: String(error) }),
      });
if (endpoint) log('info', 'metrics endpoint listening', { url: `${endpoint.url}/metrics` });
const scheduler = createMonthlyScheduler({
  schedule: monthlySchedule({ day: env.ETL_DAY, hour: env.ETL_HOUR, minute: env.ETL_MINUTE }),
  log,
  run: (month) =>
    metrics.observeRun((onProgress) =>
      runMonthlyJob({
        month,
        crm,
        telemetry,
        clickhouse,
        engine: env.ETL_ENGINE,
        extract: env.ETL_EXTRACT,
        ...(env.ETL_EXTRACT === 'clickhouse' ? { telemetrySourceUrl: env.TELEMETRY_DATABASE_URL } : {}),
        ...(env.ETL_RETENTION_DAYS === undefined ? {} : { retentionDays: env.ETL_RETENTION_DAYS }),
        layout: { rawDatabase: env.CLICKHOUSE_RAW_DATABASE, martDatabase: env.CLICKHOUSE_MART_DATABASE },
        onProgress,
      }).then(async (summary) => {
        if (store) await prewarmStep(month, store);
        return summary;
      }),
    ),
});
const close = async () => {
  await scheduler.stop();
  await Promise.allSettled([
    crm.end(),
    telemetry.end(),
    clickhouse.close(),
    store?.close(),
    endpoint?.close(),
  ]);
};

const backfill = args.months ?? env.ETL_BACKFILL;
const runs = (backfill ? monthRangeList(backfill) : []).map((month) => scheduler.runNow(month));
if (args.once) {
  const outcomes = await Promise.all(runs);
  await close();
  // Orchestrators (Airflow, cron) read the exit code.
  process.exit(outcomes.every(Boolean) ? 0 : 1);
} else {
  scheduler.start();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log('info', 'stopping: waiting for a running month to finish', { signal });
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}
