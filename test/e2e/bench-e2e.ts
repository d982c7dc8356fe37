/**
 * End-to-end benchmark: PostgreSQL commit → Debezium → Kafka → @bionicpro/cdc sink → row in
 * ClickHouse (embedded chDB unless CLICKHOUSE_URL), at sustained write rates.
 *
 *   pnpm --filter @bionicpro/stack-tests bench         (or root `pnpm bench`)
 *   BENCH_E2E_RATES=2500,5000 BENCH_E2E_SECONDS=20 …   (rows/s offered, seconds per rate;
 *   BENCH_E2E_WARMUP_SECONDS, default 10, at 1000 rows/s before measuring)
 *
 * Uses running services named by BIONICPRO_PG_URL / KAFKA_BROKERS / KAFKA_CONNECT_URL, else starts
 * them with scripts/infra/up.sh (and stops what it started). A writer inserts telemetry_events
 * rows in one transaction every 50 ms at the offered rate and notes when each COMMIT returned; the
 * sink is wrapped to note when ClickHouse acknowledged each row (from then on it is visible to
 * queries). Latency = acknowledged − committed, per row. A rate "holds" when the writer kept the
 * rate, p99 < 1 s, and the sink drained within 2 s of the writer stopping.
 * Baseline, same run: the writer alone, unthrottled, into an uncaptured copy of the table.
 * Runs twice: JSON converter with schemas (the library's default) and without (BENCH_E2E_MODES).
 */
import type { ClickHouseSink } from '@bionicpro/cdc';
import { stackServices } from '../services.js';
import { startLocalStack } from '../stack/local-provider.js';
import type { ServiceName } from '../stack/types.js';
import { createCdcHarness } from './support/cdc-harness.js';

const RATES = (process.env.BENCH_E2E_RATES ?? '1000,2500,5000,10000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 15);
const TICK_MS = 50;
const WARMUP_SECONDS = Number(process.env.BENCH_E2E_WARMUP_SECONDS ?? 10);
const MODES = (process.env.BENCH_E2E_MODES ?? 'schemas,schemaless').split(',') as (
  | 'schemas'
  | 'schemaless'
)[];

const INSERT = `insert into telemetry_events (id, event_uuid, user_id, prosthetic_id, prosthesis_type, muscle_group,
  signal_frequency, signal_duration, signal_amplitude, event_timestamp, saved_ts)
  select g, gen_random_uuid(), (g % 100) + 1, null, 'arm', 'biceps', 250, 120, 0.5, now(), now()
  from generate_series($1::bigint, $2::bigint) g`;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runMode(
  mode: 'schemas' | 'schemaless',
  services: Parameters<typeof createCdcHarness>[0]['services'],
) {
  const h = await createCdcHarness({
    name: `bench_${mode}`,
    tables: ['telemetry_events'],
    services,
    // Latency-leaning source settings: Debezium polls its queue every 500 ms by default.
    connectorExtra: {
      'poll.interval.ms': '50',
      'max.batch.size': '4096',
      'max.queue.size': '16384',
      'key.converter.schemas.enable': String(mode === 'schemas'),
      'value.converter.schemas.enable': String(mode === 'schemas'),
      ...JSON.parse(process.env.BENCH_E2E_CONNECTOR_EXTRA ?? '{}'),
    },
  });

  // Baseline: the writer alone, unthrottled, into an uncaptured copy (5 s).
  await h.pool.query('create table baseline_events (like telemetry_events including all)');
  let next = 1;
  const t0 = performance.now();
  while (performance.now() - t0 < 5000) {
    await h.pool.query(INSERT.replace('into telemetry_events', 'into baseline_events'), [next, next + 999]);
    next += 1000;
  }
  const baselineRate = (next - 1) / ((performance.now() - t0) / 1000);
  await h.pool.query('drop table baseline_events');

  // commit time of each id range, and acknowledgement latency per row
  const commits: { lo: number; hi: number; at: number }[] = [];
  let latencies: number[] = [];
  let acked = 0;
  const commitOf = (id: number): number | undefined => {
    let lo = 0;
    let hi = commits.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = commits[mid];
      if (!c) break;
      if (id < c.lo) hi = mid - 1;
      else if (id > c.hi) lo = mid + 1;
      else return c.at;
    }
    return undefined;
  };
  const measuring = (sink: ClickHouseSink): ClickHouseSink => ({
    async write(events) {
      const result = await sink.write(events);
      const now = performance.now();
      for (const e of events) {
        if (e.kind !== 'change' || e.op !== 'c') continue;
        const at = commitOf(Number(e.key?.id));
        if (at !== undefined) latencies.push(now - at);
        acked += 1;
      }
      return result;
    },
  });

  await h.registerConnector();
  const sink = await h.startSink(`bench-e2e-${mode}`, {
    batch: { maxMessages: 5000, maxWaitMs: 50 },
    wrapSink: measuring,
  });

  let id = 1;
  // Warm-up, not measured: the Connect JVM's JIT and the consumer group settle first.
  const warmupEnd = performance.now() + WARMUP_SECONDS * 1000;
  while (performance.now() < warmupEnd) {
    await h.pool.query(INSERT, [id, id + 49]);
    id += 50;
    await sleep(TICK_MS);
  }
  while (acked < id - 1 && performance.now() - warmupEnd < 60_000) await sleep(50);
  const rows: string[] = [];
  let best = 0;
  for (const rate of RATES) {
    latencies = [];
    const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
    const ackedBefore = acked;
    const start = performance.now();
    let ticks = 0;
    while (performance.now() - start < SECONDS * 1000) {
      const due = start + ticks * TICK_MS;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      await h.pool.query(INSERT, [id, id + perTick - 1]);
      commits.push({ lo: id, hi: id + perTick - 1, at: performance.now() });
      id += perTick;
      ticks += 1;
    }
    const elapsed = (performance.now() - start) / 1000;
    const written = ticks * perTick;
    const writeRate = written / elapsed;
    const stopAt = performance.now();
    const produced = [...(await h.endOffsets()).values()].reduce((a, b) => a + b, 0n);
    while (acked - ackedBefore < written && performance.now() - stopAt < 60_000) await sleep(20);
    const drainMs = performance.now() - stopAt;
    const sorted = [...latencies].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    const visibleRate = (acked - ackedBefore) / ((performance.now() - start) / 1000);
    const holds = writeRate >= rate * 0.95 && p99 < 1000 && drainMs < 2000;
    if (holds) best = Math.max(best, rate);
    rows.push(
      `offered ${String(rate).padStart(6)} rows/s | written ${writeRate.toFixed(0).padStart(6)} rows/s | visible ${visibleRate.toFixed(0).padStart(6)} rows/s (${((visibleRate / baselineRate) * 100).toFixed(1)}% of baseline) | p50 ${p50.toFixed(0).padStart(5)} ms  p99 ${p99.toFixed(0).padStart(5)} ms (target 1000 ms: ${(p99 / 1000).toFixed(2)}×) | drain ${drainMs.toFixed(0)} ms | ${holds ? 'holds' : 'does not hold'}`,
    );
    console.log(rows.at(-1), `| in Kafka when the writer stopped: ${produced} of ${id - 1}`);
  }
  await sink.stop();
  await h.close();
  return { baselineRate, rows, best };
}

async function main(): Promise<void> {
  let stack = stackServices();
  let stopStack: (() => Promise<void>) | undefined;
  const needed: ServiceName[] = ['postgres', 'kafka', 'connect'];
  if (needed.some((n) => !stack.services[n])) {
    const local = await startLocalStack(needed);
    stack = { services: { ...stack.services, ...local.services }, unavailable: {} };
    stopStack = local.stop;
  }
  const { postgres, kafka, connect, clickhouse } = stack.services;
  if (!postgres || !kafka || !connect || !clickhouse) throw new Error('bench-e2e: services unavailable');

  const results = [];
  for (const mode of MODES)
    results.push({ mode, ...(await runMode(mode, { postgres, kafka, connect, clickhouse })) });
  await stopStack?.();

  console.log(
    `\nbench-e2e (PostgreSQL → Debezium 3.4.3 → Kafka 4.1.1 → @bionicpro/cdc → ClickHouse ${clickhouse.provider}; ${SECONDS} s per rate)`,
  );
  for (const { mode, baselineRate, rows, best } of results) {
    console.log(`\n[${mode === 'schemas' ? 'JSON with schemas (the default)' : 'JSON without schemas'}]`);
    console.log(`baseline: PostgreSQL writer alone, unthrottled: ${baselineRate.toFixed(0)} rows/s`);
    for (const r of rows) console.log(r);
    console.log(
      `highest offered rate that holds (p99 < 1 s, writer kept up, drained < 2 s): ${best || 'none'} rows/s`,
    );
  }
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
