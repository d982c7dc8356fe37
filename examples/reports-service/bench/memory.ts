/**
 * Where the embedded reports service's memory is, right after setup: RSS
 * split into anonymous and file-backed pages (`/proc/self/smaps_rollup`), the
 * V8 heap (committed and live after a full GC), external memory (PGlite's
 * WebAssembly memory is counted there) and the largest mappings. One line per
 * setup phase, then after a GC. Run it with the flags under test, e.g.
 *
 *   node --expose-gc --import tsx bench/memory.ts
 *   MALLOC_ARENA_MAX=1 MALLOC_TRIM_THRESHOLD_=131072 node --expose-gc --max-semi-space-size=1 --optimize-for-size --import tsx bench/memory.ts
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monthsAgo, startEmbeddedStack } from '../src/embedded/embedded-stack.js';
import { silentLogger } from '../src/logger.js';

const mb = (bytes: number) => (bytes / 1_048_576).toFixed(0);

function snapshot(label: string): void {
  const rollup = readFileSync('/proc/self/smaps_rollup', 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? 0);
  const peakKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
  const m = process.memoryUsage();
  console.log(
    `${label.padEnd(16)} RSS ${mb(kb('Rss') * 1024)} MB (anonymous ${mb(kb('Anonymous') * 1024)}, file ${mb((kb('Rss') - kb('Anonymous')) * 1024)}), ` +
      `peak ${mb(peakKb * 1024)} | V8 heap ${mb(m.heapTotal)} committed, ${mb(m.heapUsed)} used | external ${mb(m.external)} (array buffers ${mb(m.arrayBuffers)})`,
  );
}

/** The mappings holding the most resident memory (`[heap]` is the brk heap of glibc's malloc). */
function largestMappings(count: number): string[] {
  const mappings = readFileSync('/proc/self/smaps', 'utf8').split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/);
  return mappings
    .map((m) => {
      const head = (m.split('\n')[0] as string).split(/\s+/);
      return {
        name: head.slice(5).join(' ') || '(anonymous)',
        rss: Number(/^Rss:\s+(\d+)/m.exec(m)?.[1] ?? 0),
      };
    })
    .sort((a, b) => b.rss - a.rss)
    .slice(0, count)
    .map((m) => `${mb(m.rss * 1024).padStart(6)} MB  ${m.name}`);
}

snapshot('before setup');
const dir = await mkdtemp(join(tmpdir(), 'bionicpro-memory-'));
const stack = await startEmbeddedStack({
  dir,
  // The demo's defaults: 12 users, 3 months.
  dataset: { seed: 42, users: 12, start: monthsAgo(3), months: 3, eventsPerDay: 100 },
  logger: silentLogger,
  cacheEntries: 0,
  onProgress(progress) {
    if (progress.phase === 'etl-done') snapshot(`ETL ${progress.month}`);
    else if (progress.phase === 'service') snapshot('service started');
  },
});
try {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) console.log('(run with --expose-gc for the line after a full GC)');
  else {
    gc();
    snapshot('after a full GC');
  }
  console.log('largest mappings (resident):');
  for (const line of largestMappings(8)) console.log(line);
} finally {
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
