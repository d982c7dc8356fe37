/**
 * The consumer process on embedded chDB, fed the real Debezium 3.4.3 stream
 * the cdc package captured (crm_db workload: snapshot, inserts, updates, a
 * primary-key change, deletes with cascades, a truncate, an incremental
 * snapshot). The end state must be the source's, the offsets committed, and
 * the health and metrics endpoints must tell the truth.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { currentRowsQuery } from '@bionicpro/cdc';
import { createChdbConnection } from 'chdb/connection';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readRecordedStream, RECORDED_STREAMS } from '../../reports-service/src/embedded/cdc-replay.js';
import { type ConsumerProcess, startConsumerProcess } from '../src/consumer-process.js';
import { recordedConsumer, type RecordedConsumer } from '../src/recorded-consumer.js';

let dir: string;
let clickhouse: ClickHouseClient;
let consumer: RecordedConsumer;
let running: ConsumerProcess;
const logs: { level: string; msg: string }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bionicpro-cdc-consumer-'));
  clickhouse = createClient({ connection: createChdbConnection({ path: join(dir, 'chdb') }) as never });
  // Only the crm connector with default settings (topic prefix `crm.`).
  const messages = (await readRecordedStream(RECORDED_STREAMS[0] as URL)).filter(
    (m) => m.topic.startsWith('crm.') || m.topic === '__debezium-heartbeat.crm',
  );
  consumer = recordedConsumer(messages);
  running = await startConsumerProcess({
    consumer,
    clickhouse,
    database: 'cdc',
    host: '127.0.0.1',
    port: 0,
    batch: { maxMessages: 10, maxWaitMs: 50 },
    log: (level, msg) => logs.push({ level, msg }),
  });
  const deadline = Date.now() + 60_000;
  while (!consumer.drained || running.metrics.figures.messages < messages.length) {
    if (Date.now() > deadline) throw new Error('the consumer did not drain the recorded stream in 60 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

afterAll(async () => {
  await running?.stop();
  await clickhouse?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function ids(table: string): Promise<number[]> {
  const rows = (await (
    await clickhouse.query({
      ...currentRowsQuery(`cdc.${table}`, { columns: ['id'], orderBy: ['id'] }),
      format: 'JSONEachRow',
    })
  ).json()) as { id: number | string }[];
  return rows.map((r) => Number(r.id));
}

it('leaves ClickHouse with the source state row for row', async () => {
  expect(await ids('users')).toEqual([1, 2, 100]);
  expect(await ids('subscriptions')).toEqual([1]);
  expect(await ids('payments')).toEqual([1, 5, 6]);
  expect(await ids('support_tickets')).toEqual([]);
});

it('commits every topic partition after the last message', () => {
  expect(consumer.committed.get('crm.public.users/0')).toMatch(/^\d+$/);
  expect(consumer.committed.size).toBeGreaterThanOrEqual(4);
});

it('serves liveness, readiness and Prometheus metrics', async () => {
  expect((await fetch(`${running.url}/health/live`)).status).toBe(200);
  const ready = await fetch(`${running.url}/health/ready`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toMatchObject({ status: 'ready', pipeline: 'running', clickhouse: 'up' });
  const text = await (await fetch(`${running.url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
  expect(value('bionicpro_cdc_messages_total')).toBe(running.metrics.figures.messages);
  expect(value('bionicpro_cdc_rows_written_total')).toBeGreaterThan(0);
  expect(value('bionicpro_cdc_batches_total')).toBeGreaterThan(1);
  expect(text).toContain('# TYPE bionicpro_cdc_dead_letters_total counter');
  expect((await fetch(`${running.url}/nope`)).status).toBe(404);
});

it('stops after the current batch and reports not alive', async () => {
  const url = running.url;
  await running.stop();
  await expect(fetch(`${url}/health/live`)).rejects.toThrow();
  expect(logs.some((l) => l.msg === 'cdc consumer stopped')).toBe(true);
});
