/**
 * Renders a month's reports into the shared report store ahead of the first
 * request (after an ETL reload, or to fill a new Redis):
 *
 *   CLICKHOUSE_URL=http://clickhouse:8123 REDIS_URL=redis://redis:6379 \
 *   pnpm --filter @bionicpro/example-reports-service prewarm -- --months 2024-01..2024-03 [--users 1,2,3]
 *     [--concurrency 2] [--batch-size 200]
 *
 * Publishes the months' data versions first (every instance then stops serving
 * the older reports), shows progress on stderr (a bar with reports/s and ETA on a
 * terminal, `{"type":"progress",…}` JSON lines otherwise) and prints one JSON
 * summary line per month on stdout. Exit code 0 on success, 1 on a failure,
 * 2 on bad arguments or settings.
 */
import { parseArgs } from 'node:util';
import { formatMonth, ProgressDisplay, parseMonth } from '@bionicpro/models';
import { prewarmReports, reportTables } from '@bionicpro/reports';
import { connectRedisReportStore } from '@bionicpro/reports/redis';
import { z } from 'zod';
import { connectClickHouse } from './engines.js';

const Environment = z.object({
  CLICKHOUSE_URL: z.url().optional(),
  CLICKHOUSE_PATH: z.string().min(1).optional(),
  CLICKHOUSE_USER: z.string().optional(),
  CLICKHOUSE_PASSWORD: z.string().optional(),
  CLICKHOUSE_MART_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default('bionicpro_reports'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'expected redis://… (prewarm writes to the shared store)'),
  REDIS_KEY_PREFIX: z.string().min(1).default('bionicpro:reports:'),
});

/** `2024-01`, `2024-01..2024-03` or `2024-01,2024-05`: the months, in order. */
export function prewarmMonths(spec: string): string[] {
  const months: string[] = [];
  for (const part of spec.split(',').map((s) => s.trim())) {
    const [from, to = from] = part.split('..') as [string, string?];
    const start = parseMonth(from);
    const end = parseMonth(to);
    let cursor = Date.UTC(start.year, start.month - 1, 1);
    const last = Date.UTC(end.year, end.month - 1, 1);
    if (cursor > last) throw new RangeError(`empty month range ${part}`);
    while (cursor <= last) {
      const d = new Date(cursor);
      months.push(formatMonth({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1 }));
      cursor = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
  }
  return months;
}

function fail(message: string): never {
  process.stderr.write(`prewarm: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      months: { type: 'string' },
      users: { type: 'string' },
      concurrency: { type: 'string', default: '2' },
      'batch-size': { type: 'string', default: '200' },
    },
  });
  if (values.months === undefined) fail('--months is required (e.g. 2024-01 or 2024-01..2024-03)');
  let months: string[];
  try {
    months = prewarmMonths(values.months);
  } catch (error) {
    fail(`--months: ${error instanceof Error ? error.message : String(error)}`);
  }
  const users = values.users?.split(',').map((s) => Number(s.trim()));
  if (users?.some((id) => !Number.isSafeInteger(id) || id < 1)) fail('--users: expected user ids like 1,2,3');
  const concurrency = Number(values.concurrency);
  const batchSize = Number(values['batch-size']);
  if (!Number.isSafeInteger(concurrency) || concurrency < 1)
    fail('--concurrency: expected a positive integer');
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) fail('--batch-size: expected a positive integer');
  const parsed = Environment.safeParse(
    Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined && v !== '')),
  );
  if (!parsed.success) {
    fail(parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; '));
  }
  const env = parsed.data;
  if ((env.CLICKHOUSE_URL === undefined) === (env.CLICKHOUSE_PATH === undefined)) {
    fail('CLICKHOUSE_URL: set exactly one of CLICKHOUSE_URL (a server) and CLICKHOUSE_PATH (embedded chDB)');
  }
  const clickhouse = await connectClickHouse(
    env.CLICKHOUSE_PATH !== undefined
      ? { kind: 'embedded', path: env.CLICKHOUSE_PATH }
      : {
          kind: 'server',
          url: env.CLICKHOUSE_URL as string,
          username: env.CLICKHOUSE_USER,
          password: env.CLICKHOUSE_PASSWORD,
        },
  );
  const store = await connectRedisReportStore({
    url: env.REDIS_URL,
    prefix: env.REDIS_KEY_PREFIX,
    onError: (error) => process.stderr.write(`prewarm: redis: ${String(error)}\n`),
  });
  let ok = true;
  try {
    if (!store.connected) throw new Error(`Redis at ${new URL(env.REDIS_URL).host} is not reachable`);
    for (const month of months) {
      // Users are the work (known up front); reports are what the rate counts.
      const display = new ProgressDisplay(process.stderr, { unit: 'reports' });
      const summary = await prewarmReports({
        client: clickhouse,
        store,
        month,
        tables: reportTables({ database: env.CLICKHOUSE_MART_DATABASE }),
        concurrency,
        batchSize,
        ...(users === undefined ? {} : { userIds: users }),
        onProgress: (p) =>
          display.update({
            done: p.usersDone,
            total: p.users,
            rows: p.reportsWritten,
            label: `prewarm ${p.month}: ${p.usersDone}/${p.users} users`,
          }),
      }).catch((error: unknown) => {
        display.abort();
        throw error;
      });
      display.finish(`prewarm ${summary.month}: ${summary.users}/${summary.users} users`);
      process.stdout.write(
        `${JSON.stringify({ ...summary, elapsedMs: Math.round(summary.elapsedMs), users_per_s: Math.round((summary.users / summary.elapsedMs) * 1000) })}\n`,
      );
    }
  } catch (error) {
    ok = false;
    process.stderr.write(`prewarm: failed: ${error instanceof Error ? error.message : String(error)}\n`);
  } finally {
    await Promise.allSettled([store.close(), clickhouse.close()]);
  }
  process.exit(ok ? 0 : 1);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
