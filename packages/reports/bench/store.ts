/**
 * Reports served through a report store, side by side in one run:
 *
 * 1. engine calls and time of a cold monthly-user report: the two queries the
 *    package sent before (finance, devices) against the one UNION ALL it sends now;
 * 2. prewarm throughput (`prewarmReports`, batched across users) against the
 *    one-at-a-time uncached rate (`reports.userMonthly` per user);
 * 3. after prewarm, every user's first request through `StoredReports.serve`
 *    with the in-memory store and with Redis (the ratio is the figure).
 *
 *   pnpm --filter @bionicpro/reports bench:store
 *   BENCH_STORE_USERS=2000 BENCH_STORE_CONCURRENCY=32 REDIS_URL=redis://127.0.0.1:6379 …
 *
 * The marts are generated inside chDB (`numbers()`), one month, 1.5 prostheses per user.
 * Redis keys go under a unique prefix and are deleted at the end.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clickhouseDdl, tables } from '@bionicpro/models';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { createClient as createRedisClient } from 'redis';
import {
  createMemoryReportStore,
  createReportService,
  createStoredReports,
  monthDataset,
  monthPeriod,
  prewarmReports,
  type ReportQueryClient,
  type ReportStore,
  reportTables,
  runQuery,
  trustedReportScope,
  userMonthlyDevicesQuery,
  userMonthlyFinancialQuery,
} from '../src/index.js';
import { connectRedisReportStore } from '../src/redis.js';

const USERS = Number(process.env['BENCH_STORE_USERS'] ?? 2_000);
const CONCURRENCY = Number(process.env['BENCH_STORE_CONCURRENCY'] ?? 32);
const COLD_SAMPLE = Math.min(USERS, Number(process.env['BENCH_STORE_COLD'] ?? 300));
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const PROSTHESES = Math.round(USERS * 1.5);
const MONTH = '2025-03';
const DB = 'reports';
const log = (...args: unknown[]) => console.log(...args);

async function load(client: ReturnType<typeof createClient>) {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${DB}` });
  for (const table of [
    tables.report_user_monthly_metrics,
    tables.report_prosthetic_monthly_metrics,
    tables.user_prosthesis_stats,
  ]) {
    await client.command({ query: clickhouseDdl(table, { database: DB }) });
  }
  await client.command({
    query: `INSERT INTO ${DB}.report_user_monthly_metrics
      SELECT u AS user_id, toDate('${MONTH}-01') AS report_date, generateUUIDv4(),
             toDecimal128(if(u % 10 = 0, 5998, 8997), 2), toDecimal128(5998, 2), u % 10 = 0 ? 0 : 1, 0,
             1, toDecimal128(2999, 2), 0.66, toDecimal128(35988, 2), now64(3)
      FROM (SELECT 1 + number AS u FROM numbers(${USERS}))`,
  });
  await client.command({
    query: `INSERT INTO ${DB}.report_prosthetic_monthly_metrics
      SELECT 1 + (p - 1) % ${USERS}, p, toDate('${MONTH}-01'), generateUUIDv4(), generateUUIDv4(),
             ['left_arm', 'right_arm', 'left_leg', 'right_leg'][1 + p % 4],
             20 + p % 15, 19 + p % 15, 100 + ((p * 31) % 2000) / 10, NULL, NULL, NULL,
             p % 5, p % 3, p % 4, p % 13 = 0, if(p % 13 = 0, 95.5, 0), 4.2,
             99, if(p % 5 < 3, 'good', 'worn'), if(p % 13 = 0, 'critical', 'healthy'), now64(3)
      FROM (SELECT 1 + number AS p FROM numbers(${PROSTHESES}))`,
  });
}

/** A client that counts the engine calls going through it. */
function counting(client: ReportQueryClient) {
  let calls = 0;
  return {
    client: {
      query: (params: Parameters<ReportQueryClient['query']>[0]) => {
        calls += 1;
        return client.query(params);
      },
    } satisfies ReportQueryClient,
    take() {
      const n = calls;
      calls = 0;
      return n;
    },
  };
}

/** Runs `task(i)` for i in [0, n) with `concurrency` in flight; returns requests per second. */
async function rate(n: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next;
        next += 1;
        await task(i);
      }
    }),
  );
  return (n / (performance.now() - t0)) * 1000;
}

async function firstRequests(store: ReportStore, label: string) {
  const t = reportTables({ database: DB });
  const prewarm = await prewarmReports({
    client: engine,
    store,
    month: MONTH,
    tables: t,
    reports: ['user_monthly'],
    batchSize: 500,
    concurrency: 2,
  });
  const stored = createStoredReports({ store });
  let rendered = 0;
  const perSecond = await rate(USERS, CONCURRENCY, async (i) => {
    const scope = trustedReportScope(i + 1);
    const served = await stored.serve({
      key: { scope, report: 'user_monthly', period: monthPeriod(MONTH) },
      dataset: monthDataset(MONTH),
      render: async () => {
        rendered += 1;
        return reports.userMonthly(scope, MONTH);
      },
    });
    if (served.status !== 'ok') throw new Error('expected a report');
  });
  if (rendered > 0) throw new Error(`${label}: ${rendered} first requests were not store hits`);
  return { prewarm, perSecond };
}

const dir = mkdtempSync(join(tmpdir(), 'reports-store-bench-'));
const chdb = createClient({ connection: createChdbConnection({ path: dir }) as never });
const engine: ReportQueryClient = chdb;
const reports = createReportService({ client: engine, database: DB });

async function main() {
  log(`@bionicpro/reports store bench: ${USERS} users, ${PROSTHESES} prostheses, month ${MONTH}`);
  log('Timings on a shared machine are noisy: compare the ratios within this run.');
  await load(chdb);
  const t = reportTables({ database: DB });

  // 1. Engine calls and time of a cold report, before (two queries) and after (one UNION ALL).
  const counted = counting(engine);
  const countedReports = createReportService({ client: counted.client, database: DB });
  const before = async (user: number) => {
    const scope = trustedReportScope(user);
    await runQuery(counted.client, userMonthlyFinancialQuery(t, scope, MONTH).compile());
    await runQuery(counted.client, userMonthlyDevicesQuery(t, scope, MONTH).compile());
  };
  const after = (user: number) => countedReports.userMonthly(trustedReportScope(user), MONTH);
  await before(1);
  await after(1);
  counted.take();
  await before(2);
  const callsBefore = counted.take();
  await after(2);
  const callsAfter = counted.take();
  let beforeMs = 0;
  let afterMs = 0;
  // Interleaved, user by user, so machine load hits both alike.
  for (let i = 0; i < COLD_SAMPLE; i += 1) {
    let t0 = performance.now();
    await before(1 + i);
    beforeMs += performance.now() - t0;
    t0 = performance.now();
    await after(1 + i);
    afterMs += performance.now() - t0;
  }
  counted.take();
  const coldBefore = (COLD_SAMPLE / beforeMs) * 1000;
  const coldAfter = (COLD_SAMPLE / afterMs) * 1000;

  // 2. + 3. Prewarm, then every user's first request, memory store and Redis.
  const memory = await firstRequests(createMemoryReportStore({ maxEntries: USERS * 2 }), 'memory');
  const prefix = `bionicpro:bench:${randomUUID()}:`;
  const redisStore = await connectRedisReportStore({ url: REDIS_URL, prefix });
  let redis: Awaited<ReturnType<typeof firstRequests>> | undefined;
  try {
    if (!redisStore.connected) throw new Error(`Redis at ${REDIS_URL} is not reachable`);
    redis = await firstRequests(redisStore, 'redis');
  } finally {
    await redisStore.close();
    const cleaner = createRedisClient({ url: REDIS_URL });
    await cleaner.connect().catch(() => undefined);
    if (cleaner.isReady) {
      for await (const keys of cleaner.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
        if (keys.length > 0) await cleaner.del(keys);
      }
      await cleaner.close();
    }
  }

  const prewarmRate = (p: { users: number; elapsedMs: number }) => (p.users / p.elapsedMs) * 1000;
  log('');
  log('cold monthly-user report (one at a time, uncached)    engine calls   reports/s   ratio');
  log(
    `  before: finance + devices queries             ${String(callsBefore).padStart(12)} ${coldBefore.toFixed(0).padStart(11)}   1.00x`,
  );
  log(
    `  now: one UNION ALL                            ${String(callsAfter).padStart(12)} ${coldAfter.toFixed(0).padStart(11)}   ${(coldAfter / coldBefore).toFixed(2)}x`,
  );
  log('');
  log('prewarm (batched across users) vs one at a time   users/s   ratio to one at a time (target >= 5x)');
  log(`  one at a time, uncached (reports.userMonthly)  ${coldAfter.toFixed(0).padStart(7)}   1.00x`);
  log(
    `  prewarmReports into memory                     ${prewarmRate(memory.prewarm).toFixed(0).padStart(7)}   ${(prewarmRate(memory.prewarm) / coldAfter).toFixed(1)}x (${memory.prewarm.engineCalls} engine calls for ${memory.prewarm.users} users)`,
  );
  if (redis) {
    log(
      `  prewarmReports into Redis                      ${prewarmRate(redis.prewarm).toFixed(0).padStart(7)}   ${(prewarmRate(redis.prewarm) / coldAfter).toFixed(1)}x`,
    );
  }
  log('');
  log(`first request of every user after prewarm (${CONCURRENCY} in flight)   req/s   ratio to memory`);
  log(`  memory store                                    ${memory.perSecond.toFixed(0).padStart(7)}   1.00x`);
  if (redis) {
    log(
      `  Redis store                                     ${redis.perSecond.toFixed(0).padStart(7)}   ${(redis.perSecond / memory.perSecond).toFixed(2)}x`,
    );
  }
}

try {
  await main();
} finally {
  await chdb.close();
  rmSync(dir, { recursive: true, force: true });
}
