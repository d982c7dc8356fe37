/**
 * CDC benchmarks. Each figure is printed next to its baseline from the same run:
 *
 * 1. parse + decode + validate of Debezium envelopes (telemetry_events, with and
 *    without schemas) against plain `JSON.parse` of the same messages
 *    (target: ≥ 0.5× JSON.parse);
 * 2. sink throughput into embedded ClickHouse (chDB) against a bare
 *    `client.insert` of the same rows (target: ≥ 100,000 rows/s);
 * 3. heap growth while the pipeline drains a backlog, against the batch size
 *    (memory must be bounded by the batch, not the backlog).
 *
 * Run: pnpm --filter @bionicpro/cdc bench (models must be built).
 */
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
        id: event.id,
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
  await client.command({ query: cdcTargetDdl(tables.telemetry_events, { database: 'bench' }) });
  await client.command({
    query: cdcTargetDdl(tables.telemetry_events, { database: 'bench', tableName: 'baseline' }),
  });
  const decoder = createChangeDecoder();
  const count = 200_000;
  const changes = envelopes(count, false).map((m) => decoder.decode(m) as RowChange);
  const sink = createClickHouseSink({
    client,
    targets: [cdcTargetOf(tables.telemetry_events, { database: 'bench' })],
  });
  const batch = 50_000;
  const start = performance.now();
  for (let i = 0; i < changes.length; i += batch) await sink.write(changes.slice(i, i + batch));
  const sinkMs = performance.now() - start;
  // Baseline: the same rows, already in ClickHouse's JSON form, inserted directly.
  const rows = changes.map((c) => ({
    ...(c.row as Record<string, unknown>),
    event_timestamp: (c.row!['event_timestamp'] as Date).toISOString(),
    saved_ts: (c.row!['saved_ts'] as Date).toISOString(),
    _version: '1',
    _is_deleted: 0,
  }));
  const baseStart = performance.now();
  for (let i = 0; i < rows.length; i += batch) {
    await client.insert({
      table: 'bench.baseline',
      values: rows.slice(i, i + batch),
      format: 'JSONEachRow',
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
  }
  const baseMs = performance.now() - baseStart;
  const written = (await (
    await client.query({
      query: 'SELECT count() AS n FROM bench.telemetry_events FINAL',
      format: 'JSONEachRow',
    })
  ).json()) as { n: string }[];
  if (Number(written[0]!.n) !== count) throw new Error(`sink wrote ${written[0]!.n} rows, expected ${count}`);
  const sinkRate = rate(count, sinkMs);
  const baseRate = rate(count, baseMs);
  console.log(
    `sink into chDB (${fmt(count)} rows, batches of ${fmt(batch)}): ${fmt(sinkRate)} rows/s | bare client.insert ${fmt(baseRate)} rows/s | ratio ${(sinkRate / baseRate).toFixed(2)}× (target ≥ 100,000 rows/s)`,
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
          // Live memory only: collect garbage before sampling (node --expose-gc).
          (globalThis as { gc?: () => void }).gc?.();
          peak = Math.max(peak, process.memoryUsage().heapUsed);
          if (position >= backlog.length) pipeline.stop();
        },
      },
    });
    const drainStart = performance.now();
    await pipeline.run();
    const drainMs = performance.now() - drainStart;
    const backlogBytes = backlog.reduce((n, m) => n + (m.value as string).length, 0);
    console.log(
      `pipeline drain of a ${fmt(backlog.length)}-message backlog (${fmt(backlogBytes / 1e6)} MB), batch ${fmt(maxMessages)}: peak heap growth ${(
        (peak - baseline) / 1e6
      ).toFixed(
        1,
      )} MB vs backlog ${fmt(backlogBytes / 1e6)} MB; ${fmt(rate(backlog.length, drainMs))} msg/s end to end`,
    );
  }
  await client.close();
}

decodeBench(true);
decodeBench(false);
await sinkBench();
