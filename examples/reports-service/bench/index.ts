/**
 * `pnpm bench` for the reports service: requests/s and p50/p99 latency of the
 * monthly report endpoint (`GET /reports/user/{id}?month=`) with real RS256
 * verification on every request, uncached and from the cache, under a bounded
 * loopback load (autocannon in a separate process; `BENCH_LOAD=wrk` for wrk), on
 * embedded engines.
 * Baseline from the same run: `GET /health/live` (no token, no query), the
 * HTTP ceiling of this adapter on this machine. Targets (issue 7): ≥ 200 req/s
 * uncached, ≥ 5,000 req/s cached.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monthsAgo, startEmbeddedStack } from '../src/embedded/embedded-stack.js';
import { silentLogger } from '../src/logger.js';
import type { LoadResult } from './load.js';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { createReportService, prewarmReports, trustedReportScope } from '@bionicpro/reports';
import { connectRedisReportStore } from '@bionicpro/reports/redis';
import { createClient as createRedisClient } from 'redis';
import { serviceReportTables, startService, verifierFor } from '../src/service.js';

const DURATION_SEC = Number(process.env['BENCH_DURATION_SEC'] ?? 8);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 16);
const USERS = 40;

const loadScript = fileURLToPath(new URL('./load.ts', import.meta.url));
// Asynchronous on purpose: the server under test runs in this process's event loop.
async function load(
  url: string,
  requests: { path: string; headers: Record<string, string> }[],
): Promise<LoadResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      loadScript,
      JSON.stringify({ url, connections: CONNECTIONS, durationSec: DURATION_SEC, requests }),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop() as string) as LoadResult;
}

const dir = await mkdtemp(join(tmpdir(), 'bionicpro-bench-'));
const start = monthsAgo(2);
process.stderr.write(`setting up: ${USERS} users, 2 months on PGlite + chDB…\n`);
const stack = await startEmbeddedStack({
  dir,
  dataset: { seed: 3, users: USERS, start, months: 2, eventsPerDay: 20, batterySamplesPerDay: 24 },
  logger: silentLogger,
  cacheEntries: 0,
});
const cachedService = await startService(
  { ...stack.config, port: 0, cache: { ...stack.config.cache, maxEntries: 10_000 } },
  { logger: silentLogger, clickhouse: stack.clickhouse },
);
// The same service with the shared Redis store (REDIS_URL, default the machine's 6379), keys under a unique prefix.
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const redisPrefix = `bionicpro:bench:${randomUUID()}:`;
const redisService = await startService(
  {
    ...stack.config,
    port: 0,
    cache: { ...stack.config.cache, maxEntries: 10_000, redisUrl: REDIS_URL, redisKeyPrefix: redisPrefix },
  },
  { logger: silentLogger, clickhouse: stack.clickhouse },
);
/**
 * Where an uncached request's time goes: token verification (jose, RS256),
 * the report (chDB query, assembly, zod validation), the JSON body, the
 * whole HTTP round trip; and what 16 concurrent report calls achieve
 * in-process without HTTP, the ceiling chDB sets for the uncached endpoint.
 */
async function uncachedStages(
  requests: { path: string; headers: Record<string, string> }[],
  month: string,
): Promise<string[]> {
  const verifier = await verifierFor(stack.config);
  const reports = createReportService({
    client: stack.clickhouse,
    tables: serviceReportTables(stack.config),
  });
  const ids = stack.data.users.map((u) => u.id);
  const token = (i: number) => (requests[i % requests.length]?.headers['authorization'] ?? '').slice(7);
  const report = (i: number) => reports.userMonthly(trustedReportScope(ids[i % ids.length] as number), month);
  const sample = await report(0);
  const p50 = async (run: (i: number) => Promise<unknown> | unknown) => {
    for (let i = 0; i < 20; i += 1) await run(i);
    const times: number[] = [];
    for (let i = 0; i < 200; i += 1) {
      const t0 = performance.now();
      await run(i);
      times.push(performance.now() - t0);
    }
    return (times.sort((a, b) => a - b)[100] as number).toFixed(3);
  };
  const lines = [
    `  verify JWT (jose, RS256)                      ${await p50((i) => verifier.verify(token(i)))} ms`,
    `  report: chDB query + assembly + zod           ${await p50(report)} ms`,
    `  JSON body of the report                       ${await p50(() => JSON.stringify(sample))} ms`,
    `  whole GET over loopback (fetch in-process)    ${await p50(async (i) => {
      const r = requests[i % requests.length] as (typeof requests)[number];
      await (await fetch(`${stack.url}${r.path}`, { headers: r.headers })).text();
    })} ms`,
  ];
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async (_, c) => {
      while (performance.now() - t0 < 3_000) await report(c + done++);
    }),
  );
  lines.push(
    `  ${CONNECTIONS} concurrent report calls, no HTTP: ${(done / ((performance.now() - t0) / 1000)).toFixed(0)} reports/s (chDB runs one query at a time)`,
  );
  return lines;
}

try {
  const month = stack.months[1] as string;
  const requests = await Promise.all(
    stack.data.users.map(async (user) => ({
      path: `/reports/user/${user.id}?month=${month}`,
      headers: { authorization: `Bearer ${await stack.tokenFor(user.id)}` },
    })),
  );
  // Sanity: every request is a 200 before measuring.
  for (const r of requests.slice(0, 3)) {
    const status = (await fetch(`${stack.url}${r.path}`, { headers: r.headers })).status;
    if (status !== 200) throw new Error(`warm-up ${r.path} answered ${status}`);
  }
  // Prewarm both stores (as the ETL step does), so every first request is a store hit.
  const memoryStore = cachedService.stored?.store;
  const sharedStore = await connectRedisReportStore({ url: REDIS_URL, prefix: redisPrefix });
  const tablesOfService = serviceReportTables(stack.config);
  if (!memoryStore) throw new Error('the cached service has no report store');
  const prewarmed = [];
  for (const store of [memoryStore, sharedStore]) {
    prewarmed.push(
      await prewarmReports({
        client: stack.clickhouse,
        store,
        month,
        tables: tablesOfService,
        reports: ['user_monthly'],
      }),
    );
  }
  await sharedStore.close();
  const rendersBefore = [cachedService, redisService].map((s) => s.stored?.stats().renders ?? 0);

  const ceiling = await load(stack.url, [{ path: '/health/live', headers: {} }]);
  const uncached = await load(stack.url, requests);
  // Memory and Redis in turn, twice: the machine's load hits both alike, and the ratio of each round is the figure.
  const rounds: { cached: LoadResult; shared: LoadResult }[] = [];
  for (let round = 0; round < 2; round += 1) {
    rounds.push({
      cached: await load(cachedService.url, requests),
      shared: await load(redisService.url, requests),
    });
  }
  const better = (a: LoadResult, b: LoadResult) => (a.requestsPerSec >= b.requestsPerSec ? a : b);
  const cached = rounds.map((r) => r.cached).reduce(better);
  const shared = rounds.map((r) => r.shared).reduce(better);
  const renders = [cachedService, redisService].map(
    (s, i) => (s.stored?.stats().renders ?? 0) - (rendersBefore[i] as number),
  );

  const stages = await uncachedStages(requests, month);

  const row = (name: string, r: LoadResult, target?: number) =>
    `${name.padEnd(44)} ${r.requestsPerSec.toFixed(0).padStart(7)} req/s  p50 ${String(r.p50).padStart(4)} ms  p99 ${String(r.p99).padStart(4)} ms  ` +
    `${(r.requestsPerSec / ceiling.requestsPerSec).toFixed(3)}x baseline` +
    (target === undefined
      ? ''
      : `  target ≥ ${target} req/s: ${r.requestsPerSec >= target ? 'met' : 'NOT met'}`) +
    (r.non2xx + r.errors + r.timeouts > 0
      ? `  (non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts})`
      : '');
  process.stdout.write(
    [
      `reports-service on embedded chDB + PGlite, ${CONNECTIONS} connections × ${DURATION_SEC} s each from ${process.env['BENCH_LOAD'] === 'wrk' ? 'wrk' : 'autocannon'}, loopback, ${USERS} users cycled`,
      row('baseline: GET /health/live (no auth, no query)', ceiling),
      row('GET /reports/user/{id}?month= uncached (JWT)', uncached, 200),
      row('GET /reports/user/{id}?month= prewarmed, memory store', cached, 5_000),
      row('GET /reports/user/{id}?month= prewarmed, Redis store', shared, 2_000) +
        `  ${(shared.requestsPerSec / cached.requestsPerSec).toFixed(2)}x memory`,
      `  memory / Redis in turn: ${rounds.map((r) => `${r.cached.requestsPerSec.toFixed(0)} / ${r.shared.requestsPerSec.toFixed(0)} req/s (Redis ${(r.shared.requestsPerSec / r.cached.requestsPerSec).toFixed(2)}x)`).join(', then ')}; the rows above are the better round of each`,
      `  load average: ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
      `  renders during the load after prewarm: memory ${renders[0]}, Redis ${renders[1]} (0 = every request a store hit)`,
      `  prewarm of ${USERS} users: ${prewarmed.map((p, i) => `${i === 0 ? 'memory' : 'Redis'} ${p.elapsedMs.toFixed(0)} ms (${p.engineCalls} engine calls)`).join(', ')}`,
      '',
      'one uncached request, stage by stage (in-process, sequential, p50 of 200):',
      ...stages,
      '',
    ].join('\n'),
  );
  if (uncached.non2xx + cached.non2xx + shared.non2xx > 0) process.exitCode = 1;
} finally {
  await redisService.stop();
  const cleaner = createRedisClient({ url: REDIS_URL });
  await cleaner.connect().catch(() => undefined);
  if (cleaner.isReady) {
    for await (const keys of cleaner.scanIterator({ MATCH: `${redisPrefix}*`, COUNT: 1000 })) {
      if (keys.length > 0) await cleaner.del(keys);
    }
    await cleaner.close();
  }
  await cachedService.stop();
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
