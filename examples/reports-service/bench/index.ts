/**
 * `pnpm bench` for the reports service: requests/s and p50/p99 latency of the
 * monthly report endpoint (`GET /reports/user/{id}?month=`) with real RS256
 * verification on every request, uncached and from the cache, under a bounded
 * loopback load (autocannon in a separate process), on embedded engines.
 * Baseline from the same run: `GET /health/live` (no token, no query), the
 * HTTP ceiling of this adapter on this machine. Targets (issue 7): ≥ 200 req/s
 * uncached, ≥ 5,000 req/s cached.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedStack } from '../src/embedded/embedded-stack.js';
import { silentLogger } from '../src/logger.js';
import { startService } from '../src/service.js';

const DURATION_SEC = Number(process.env['BENCH_DURATION_SEC'] ?? 8);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 16);
const USERS = 40;

interface LoadResult {
  requestsPerSec: number;
  total: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

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
const now = new Date();
const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 1)).toISOString().slice(0, 7);
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
  for (const r of requests) await fetch(`${cachedService.url}${r.path}`, { headers: r.headers });

  const ceiling = await load(stack.url, [{ path: '/health/live', headers: {} }]);
  const uncached = await load(stack.url, requests);
  const cached = await load(cachedService.url, requests);

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
      `reports-service on embedded chDB + PGlite, ${CONNECTIONS} connections × ${DURATION_SEC} s each, loopback, ${USERS} users cycled`,
      row('baseline: GET /health/live (no auth, no query)', ceiling),
      row('GET /reports/user/{id}?month= uncached (JWT)', uncached, 200),
      row('GET /reports/user/{id}?month= cached (JWT)', cached, 5_000),
      '',
    ].join('\n'),
  );
  if (uncached.non2xx + cached.non2xx > 0) process.exitCode = 1;
} finally {
  await cachedService.stop();
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
