/**
 * The monthly ETL as a long-running process (or a one-shot with `--once`).
 *
 *   CRM_DATABASE_URL=postgres://… TELEMETRY_DATABASE_URL=postgres://… CLICKHOUSE_URL=http://clickhouse:8123 \
 *   pnpm --filter @bionicpro/example-etl-job start                       # runs on day 1 at 02:00 UTC, every month
 *   pnpm --filter @bionicpro/example-etl-job start -- --once --months 2024-01..2024-03
 */
import { parseArgs } from 'node:util';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { createExtractPool, runMonthlyJob } from '@bionicpro/etl';
import { z } from 'zod';
import { monthRangeList, monthlySchedule } from './schedule.js';
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
});

function configFromEnv() {
  const input = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k, v]) => Object.hasOwn(Environment.shape, k) && v !== undefined && v !== '',
    ),
  );
  const parsed = Environment.safeParse(input);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map(
        (i) => `${String(i.path[0])}: ${i.input === undefined ? 'is required' : i.message}`,
      );
  if ((input['CLICKHOUSE_URL'] === undefined) === (input['CLICKHOUSE_PATH'] === undefined)) {
    problems.push(
      'CLICKHOUSE_URL: set exactly one of CLICKHOUSE_URL (a server) and CLICKHOUSE_PATH (embedded chDB)',
    );
  }
  if (!parsed.success || problems.length > 0) {
    process.stderr.write(`etl-job: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(2);
  }
  return parsed.data;
}

async function clickhouseClient(env: ReturnType<typeof configFromEnv>): Promise<ClickHouseClient> {
  const settings = {
    output_format_json_quote_decimals: 1,
    output_format_json_quote_64bit_integers: 1,
  } as const;
  if (env.CLICKHOUSE_PATH !== undefined) {
    const { createChdbConnection } = await import('chdb/connection');
    return createClient({
      connection: createChdbConnection({ path: env.CLICKHOUSE_PATH }) as never,
      clickhouse_settings: settings,
    });
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
const scheduler = createMonthlyScheduler({
  schedule: monthlySchedule({ day: env.ETL_DAY, hour: env.ETL_HOUR, minute: env.ETL_MINUTE }),
  log,
  run: (month) =>
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
    }),
});
const close = async () => {
  await scheduler.stop();
  await Promise.allSettled([crm.end(), telemetry.end(), clickhouse.close()]);
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
