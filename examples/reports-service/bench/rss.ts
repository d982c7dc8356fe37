/**
 * Resident memory of the embedded reports service (PGlite + chDB + the
 * service, one process, as the demo runs it) under a steady loopback load:
 * peak RSS and the slope of RSS over the second half of the run, which should
 * be about 0 when the caches are bounded. Every request is uncached (the
 * report store is off), so chDB's caches and pools see the whole load.
 *
 *   pnpm --filter @bionicpro/example-reports-service bench:rss
 *   BENCH_RSS_SEC=600 BENCH_CONNECTIONS=8 BENCH_CHDB_LEAN=0 …   (0: chDB's own defaults, for comparison)
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { monthsAgo, startEmbeddedStack } from '../src/embedded/embedded-stack.js';
import { silentLogger } from '../src/logger.js';

const SECONDS = Number(process.env['BENCH_RSS_SEC'] ?? 600);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 8);
const LEAN = process.env['BENCH_CHDB_LEAN'] !== '0';
const SAMPLE_MS = 5_000;
const mb = (bytes: number) => bytes / 1_048_576;

const dir = await mkdtemp(join(tmpdir(), 'bionicpro-rss-'));
const start = monthsAgo(3);
const stack = await startEmbeddedStack({
  dir,
  // The demo's defaults: 12 users, 3 months.
  dataset: { seed: 42, users: 12, start, months: 3, eventsPerDay: 100 },
  logger: silentLogger,
  cacheEntries: 0,
  ...(LEAN ? {} : { chdbEngineArgs: [] }),
});
const samples: { t: number; rss: number }[] = [];
const t0 = Date.now();
const sample = () => samples.push({ t: (Date.now() - t0) / 1000, rss: process.memoryUsage.rss() });
sample();
const timer = setInterval(sample, SAMPLE_MS);
try {
  const requests = (
    await Promise.all(
      stack.data.users.map(async (user) => {
        const headers = { authorization: `Bearer ${await stack.tokenFor(user.id)}` };
        return stack.months.flatMap((month) => [
          { path: `/reports/user/${user.id}?month=${month}`, headers },
          { path: `/api/reports/${month}-15`, headers },
          { path: '/api/reports/summary', headers },
        ]);
      }),
    )
  ).flat();
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('./load.ts', import.meta.url)),
      JSON.stringify({ url: stack.url, connections: CONNECTIONS, durationSec: SECONDS, requests }),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  const load = JSON.parse(stdout.trim().split('\n').pop() as string) as {
    requestsPerSec: number;
    non2xx: number;
    errors: number;
  };
  sample();
  const peak = Math.max(...samples.map((s) => s.rss));
  const tail = samples.filter((s) => s.t >= SECONDS / 2);
  const meanT = tail.reduce((a, s) => a + s.t, 0) / tail.length;
  const meanR = tail.reduce((a, s) => a + s.rss, 0) / tail.length;
  const slope =
    tail.reduce((a, s) => a + (s.t - meanT) * (s.rss - meanR), 0) /
    Math.max(
      1e-9,
      tail.reduce((a, s) => a + (s.t - meanT) ** 2, 0),
    );
  process.stdout.write(
    [
      `embedded reports service RSS, chDB ${LEAN ? 'lean engine arguments' : "chDB's defaults"}, ${SECONDS} s of uncached load, ${CONNECTIONS} connections`,
      `  load: ${load.requestsPerSec.toFixed(0)} req/s, non-2xx ${load.non2xx}, errors ${load.errors}`,
      `  RSS at start of load ${mb(samples[0]?.rss ?? 0).toFixed(0)} MB, peak ${mb(peak).toFixed(0)} MB (target <= 600 MB: ${mb(peak) <= 600 ? 'met' : 'NOT met'})`,
      `  slope over the second half: ${((mb(slope) * 60) as number).toFixed(2)} MB/min (flat ≈ 0), mean ${mb(meanR).toFixed(0)} MB`,
      `  samples (s:MB): ${samples.map((s) => `${s.t.toFixed(0)}:${mb(s.rss).toFixed(0)}`).join(' ')}`,
      '',
    ].join('\n'),
  );
} finally {
  clearInterval(timer);
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
