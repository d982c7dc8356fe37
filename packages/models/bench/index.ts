/**
 * @bionicpro/models benchmarks. Every figure is printed next to its baseline
 * measured in the same run, as a ratio.
 *
 *   pnpm --filter @bionicpro/models bench
 */
import { TelemetryEvent, validateBatch } from '../src/index.js';
import { generateDataset } from '../src/testing.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 500_000);
const ROUNDS = 5;

function best(fn: () => void): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < ROUNDS; i += 1) {
    const t0 = performance.now();
    fn();
    fastest = Math.min(fastest, performance.now() - t0);
  }
  return fastest;
}

const rate = (rows: number, ms: number) => Math.round((rows / ms) * 1000);
const fmt = (n: number) => n.toLocaleString('en-US');

// 1. Validation throughput vs JSON.parse on the same bytes.
const data = generateDataset({ seed: 1, users: Math.ceil(ROWS / 3000), eventsPerDay: 100 });
const lines: string[] = [];
for (const event of data.telemetryEvents()) {
  lines.push(JSON.stringify(event));
  if (lines.length === ROWS) break;
}
const bytes = lines.reduce((sum, line) => sum + line.length, 0);
let parsed: unknown[] = [];
const parseMs = best(() => {
  parsed = lines.map((line) => JSON.parse(line));
});
let rejected = -1;
const validateMs = best(() => {
  rejected = validateBatch(TelemetryEvent, parsed).rejected.length;
});
const zodMs = best(() => {
  for (const row of parsed) TelemetryEvent.safeParse(row);
});
if (rejected !== 0) throw new Error(`benchmark rows were rejected: ${rejected}`);
console.log(
  `TelemetryEvent batch validation (${fmt(lines.length)} rows, ${(bytes / 1e6).toFixed(1)} MB of JSON)`,
);
console.log(`  JSON.parse                 ${fmt(rate(lines.length, parseMs))} rows/s   (baseline)`);
console.log(
  `  validateBatch              ${fmt(rate(lines.length, validateMs))} rows/s   ratio ${(parseMs / validateMs).toFixed(2)}x of JSON.parse (target >= 1.00x)`,
);
console.log(
  `  plain zod safeParse        ${fmt(rate(lines.length, zodMs))} rows/s   ratio ${(parseMs / zodMs).toFixed(2)}x of JSON.parse`,
);

// 2. Generator throughput and memory: streaming 1x and 4x the rows must not grow the heap.
function streamRows(users: number): { rows: number; ms: number; heapGrowthMb: number } {
  const dataset = generateDataset({ seed: 2, users, eventsPerDay: 100 });
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  let rows = 0;
  const t0 = performance.now();
  for (const _ of dataset.telemetryEvents()) {
    rows += 1;
    if ((rows & 0xffff) === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  return { rows, ms: performance.now() - t0, heapGrowthMb: (peak - before) / 1e6 };
}
const small = streamRows(350);
const large = streamRows(1400);
console.log('Generator (telemetry_events, streamed)');
console.log(
  `  ${fmt(small.rows)} rows: ${fmt(rate(small.rows, small.ms))} rows/s, heap growth ${small.heapGrowthMb.toFixed(1)} MB`,
);
console.log(
  `  ${fmt(large.rows)} rows: ${fmt(rate(large.rows, large.ms))} rows/s, heap growth ${large.heapGrowthMb.toFixed(1)} MB   (target >= 500,000 rows/s; growth flat: ratio ${(large.heapGrowthMb / Math.max(small.heapGrowthMb, 0.1)).toFixed(2)} for ${(large.rows / small.rows).toFixed(1)}x rows)`,
);
