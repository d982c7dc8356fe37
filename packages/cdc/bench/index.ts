/**
 * CDC benchmarks. Each figure is printed next to its baseline from the same run:
 *
 * 1. parse + decode + validate of Debezium envelopes (telemetry_events, with and
 *    without schemas) against plain `JSON.parse` of the same messages
 *    (target: ≥ 0.5× JSON.parse);
 * 2. sink throughput into embedded ClickHouse (chDB), from decoded changes to
 *    acknowledged inserts, against a bare `client.insert` of the same rows
 *    prebuilt in the sink's insert format (target: ≥ 100,000 rows/s); rounds
 *    alternate, best of three each;
 * 3. heap growth while the pipeline drains a backlog, against the batch size
 *    (memory must be bounded by the batch, not the backlog).
 *
 * 4. `verifyReplica` rows verified per second on 10 M equal rows (bench/verify.ts; needs PostgreSQL
 *    through BIONICPRO_PG_URL; target ≥ 1,000,000 rows/s).
 *
 * Run: pnpm --filter @bionicpro/cdc bench (models must be built); `… bench/index.ts decode|sink|verify`
 * runs one section (each runs in its own process).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@clickhouse/client';
import { tables } from '@bionicpro/models';
import { generateDataset } from '@bionicpro/models/testing';
import { createChdbConnection } from 'chdb/connection';
import {
  type CdcMessage,
  type RowChange,
  cdcTargetDdl,
  cdcTargetOf,
  createCdcPipeline,
  createChangeDecoder,
  createClickHouseSink,
  STREAMED_VERSION_BASE,
} from '../src/index.js';

const fixtureLine = readFileSync(
  fileURLToPath(new URL('../test/fixtures/debezium/telemetry-schemas-precise.jsonl', import.meta.url)),
  'utf8',
)
  .split('\n')
  .find(
    (line) =>
      line.includes('"topic":"telemetry.public.telemetry_events"') && line.includes('\\"op\\":\\"c\\"'),
  )!;
const template = JSON.parse(JSON.parse(fixtureLine).value) as {
  schema: unknown;
  payload: Record<string, unknown>;
};

const micros = (d: Date) =>
  `${d.toISOString().slice(0, 23)}${String((d.getTime() * 7) % 1000).padStart(3, '0')}Z`;

function envelopes(count: number, schemas: boolean): CdcMessage[] {
  const dataset = generateDataset({ seed: 7, users: 50, eventsPerDay: 400, months: 1 });
  const out: CdcMessage[] = [];
  let lsn = 30_000_000;
  for (const event of dataset.telemetryEvents()) {
    if (out.length === count) break;
    lsn += 56;
    const payload = {
      ...template.payload,
      after: {
        // Debezium writes int64 as a JSON number; the generator's ids (Int64Text) are small.
        id: Number(event.id),
        event_uuid: event.event_uuid,
        user_id: event.user_id,
        prosthetic_id: event.prosthetic_id,
        prosthesis_type: event.prosthesis_type,
        muscle_group: event.muscle_group,
        signal_frequency: event.signal_frequency,
        signal_duration: event.signal_duration,
        signal_amplitude: event.signal_amplitude,
        event_timestamp: micros(event.event_timestamp),
        saved_ts: micros(event.saved_ts),
      },
      source: { ...(template.payload['source'] as object), lsn, txId: 900 + (lsn % 1000) },
      op: 'c',
    };
    out.push({
      topic: 'telemetry.public.telemetry_events',
      partition: 0,
      offset: String(out.length),
      key: schemas
        ? `{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"}],"optional":false,"name":"telemetry.public.telemetry_events.Key"},"payload":{"id":${event.id}}}`
        : `{"id":${event.id}}`,
      value: JSON.stringify(schemas ? { schema: template.schema, payload } : payload),
    });
  }
  return out;
}

function rate(count: number, ms: number): number {
  return (count / ms) * 1000;
}

function time(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function decodeBench(schemas: boolean) {
  const messages = envelopes(100_000, schemas);
  const decoder = createChangeDecoder();
  const values = messages.map((m) => m.value as string);
  let sink = 0;
  // Warm up both paths.
  for (let i = 0; i < 5000; i++) {
    sink += (JSON.parse(values[i]!) as object) ? 1 : 0;
    sink += decoder.decode(messages[i]!).kind === 'change' ? 1 : 0;
  }
  let best = { parse: Number.POSITIVE_INFINITY, decode: Number.POSITIVE_INFINITY };
  for (let round = 0; round < 3; round++) {
    const parse = time(() => {
      for (const value of values) sink += (JSON.parse(value) as object) ? 1 : 0;
    });
    const decode = time(() => {
      for (const message of messages) {
        const event = decoder.decode(message);
        if (event.kind !== 'change' || event.row === null) throw new Error('bench message did not validate');
        sink += 1;
      }
    });
    best = { parse: Math.min(best.parse, parse), decode: Math.min(best.decode, decode) };
  }
  const bytes = values.reduce((n, v) => n + v.length, 0) / values.length;
  const parseRate = rate(messages.length, best.parse);
  const decodeRate = rate(messages.length, best.decode);
  console.log(
    `decode ${schemas ? 'with schemas   ' : 'without schemas'} (${Math.round(bytes)} B/msg): parse+decode+validate ${fmt(decodeRate)} msg/s | JSON.parse ${fmt(parseRate)} msg/s | ratio ${(decodeRate / parseRate).toFixed(2)}× (target ≥ 0.50×)${sink < 0 ? '' : ''}`,
  );
}

async function sinkBench() {
  const client = createClient({
    connection: createChdbConnection({ path: mkdtempSync(join(tmpdir(), 'cdc-bench-')) }) as never,
  });
  await client.command({ query: 'CREATE DATABASE bench' });
  const decoder = createChangeDecoder();
  const count = 200_000;
  // Decoded before timing: this measures the sink (fold, versions, row mapping, serialisation, insert).
  const changes = envelopes(count, false).map((m) => decoder.decode(m) as RowChange);
  const target = (tableName: string) =>
    cdcTargetOf(tables.telemetry_events, { database: 'bench', tableName });
  const batch = 50_000;
  // Baseline: the rows the sink writes, prebuilt in its insert format (JSONCompactEachRow arrays, Dates as
  // DateTime64 text), inserted directly with client.insert in the same batches: ClickHouse's and the
  // client's share, without the sink's own work.
  const columns: [string, ...string[]] = ['_version', '_is_deleted', ...target('x').columns!];
  const baseline = changes.map((c) =>
    columns.map((column) => {
      if (column === '_version') return (STREAMED_VERSION_BASE + BigInt(c.source!.lsn!)).toString();
      if (column === '_is_deleted') return 0;
      const value = c.row![column];
      return value instanceof Date ? value.toISOString().replace('T', ' ').slice(0, 23) : value;
    }),
  );
  let tables_ = 0;
  const fresh = async () => {
    const tableName = `t${tables_++}`;
    await client.command({ query: cdcTargetDdl(tables.telemetry_events, { database: 'bench', tableName }) });
    return tableName;
  };
  const sinkRuns: number[] = [];
  const baseRuns: number[] = [];
  // Alternating rounds into fresh tables (the machine is shared: compare within a round, report the best).
  for (let round = 0; round < 3; round++) {
    const sinkTable = await fresh();
    const sink = createClickHouseSink({ client, targets: [target(sinkTable)] });
    const start = performance.now();
    for (let i = 0; i < changes.length; i += batch) await sink.write(changes.slice(i, i + batch));
    sinkRuns.push(performance.now() - start);
    const written = (await (
      await client.query({
        query: `SELECT count() AS n FROM bench.${sinkTable} FINAL`,
        format: 'JSONEachRow',
      })
    ).json()) as { n: string }[];
    if (Number(written[0]!.n) !== count)
      throw new Error(`sink wrote ${written[0]!.n} rows, expected ${count}`);
    const baseTable = await fresh();
    const baseStart = performance.now();
    for (let i = 0; i < baseline.length; i += batch) {
      await client.insert({
        table: `bench.${baseTable}`,
        values: baseline.slice(i, i + batch),
        format: 'JSONCompactEachRow',
        columns,
      });
    }
    baseRuns.push(performance.now() - baseStart);
  }
  const sinkRate = rate(count, Math.min(...sinkRuns));
  const baseRate = rate(count, Math.min(...baseRuns));
  console.log(
    `sink into chDB (${fmt(count)} decoded changes, write() batches of ${fmt(batch)}, best of ${sinkRuns.length}): ${fmt(sinkRate)} rows/s | bare client.insert of the prebuilt rows ${fmt(baseRate)} rows/s | ratio ${(sinkRate / baseRate).toFixed(2)}× (target ≥ 100,000 rows/s)`,
  );
  console.log(
    `  rounds (ms) sink ${sinkRuns.map((ms) => ms.toFixed(0)).join(', ')} | bare ${baseRuns.map((ms) => ms.toFixed(0)).join(', ')}`,
  );

  // Memory: drain a backlog through the whole pipeline; heap growth must follow the batch size, not the backlog.
  const backlog = envelopes(100_000, true);
  await client.command({
    query: cdcTargetDdl(tables.telemetry_events, { database: 'bench', tableName: 'drain' }),
  });
  const drainSink = createClickHouseSink({
    client,
    targets: [cdcTargetOf(tables.telemetry_events, { database: 'bench', tableName: 'drain' })],
  });
  for (const maxMessages of [1000, 10_000]) {
    let position = 0;
    (globalThis as { gc?: () => void }).gc?.();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    let probeMs = 0;
    const pipeline = createCdcPipeline({
      consumer: {
        poll: async (max) => {
          const out = backlog.slice(position, position + max);
          position += out.length;
          return out;
        },
        commit: async () => {},
        pause: () => {},
        resume: () => {},
      },
      sink: drainSink,
      deadLetters: async () => {},
      batch: { maxMessages, maxWaitMs: 50 },
      metrics: {
        onBatch: () => {
          // Live memory only: collect garbage before sampling (node --expose-gc). The forced collection
          // (a full GC over a heap holding the whole backlog) is the probe's cost, not the pipeline's:
          // its time is taken out of the throughput figure.
          const probeStart = performance.now();
          (globalThis as { gc?: () => void }).gc?.();
          peak = Math.max(peak, process.memoryUsage().heapUsed);
          probeMs += performance.now() - probeStart;
          if (position >= backlog.length) pipeline.stop();
        },
      },
    });
    const drainStart = performance.now();
    await pipeline.run();
    const drainMs = performance.now() - drainStart - probeMs;
    const backlogBytes = backlog.reduce((n, m) => n + (m.value as string).length, 0);
    console.log(
      `pipeline drain of a ${fmt(backlog.length)}-message backlog (${fmt(backlogBytes / 1e6)} MB), batch ${fmt(maxMessages)}: peak heap growth ${(
        (peak - baseline) / 1e6
      ).toFixed(
        1,
      )} MB vs backlog ${fmt(backlogBytes / 1e6)} MB; ${fmt(rate(backlog.length, drainMs))} msg/s end to end (decode + sink + commit; ${fmt(probeMs)} ms of forced GC for the heap probe excluded)`,
    );
  }
  await client.close();
}

// Each section runs in a fresh process (same node flags): decoding 4 × 100,000 messages of 4 KB leaves
// heap and JIT state that slowed the sink section when it ran after them in one process (58,484 rows/s
// there vs 153,877 rows/s alone, two runs two minutes apart on the shared machine).
const section = process.argv[2];
if (section === 'decode') {
  decodeBench(true);
  decodeBench(false);
} else if (section === 'sink') {
  await sinkBench();
} else {
  // `verify` (bench/verify.ts) needs PostgreSQL: it runs when BIONICPRO_PG_URL names one.
  const sections =
    section === 'verify'
      ? ['verify']
      : ['decode', 'sink', ...(process.env['BIONICPRO_PG_URL'] ? ['verify'] : [])];
  if (!sections.includes('verify'))
    console.log('verify bench not run: set BIONICPRO_PG_URL to a PostgreSQL server');
  for (const name of sections) {
    const file =
      name === 'verify'
        ? fileURLToPath(new URL('./verify.ts', import.meta.url))
        : fileURLToPath(import.meta.url);
    const child = spawnSync(process.execPath, [...process.execArgv, file, name], { stdio: 'inherit' });
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
}
