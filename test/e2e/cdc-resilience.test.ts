/**
 * The CDC path under failure: a sink that dies between writing to ClickHouse and committing its
 * Kafka offsets, poison messages produced straight into a topic, and a 3-partition topic read by
 * two consumers of one group. Each must end with ClickHouse equal to PostgreSQL, row for row.
 */
import type { CdcConsumer } from '@bionicpro/cdc';
import { tables } from '@bionicpro/models';
import { generateDataset } from '@bionicpro/models/testing';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { requireService } from '../services.js';
import { type CdcHarness, createCdcHarness, type RunningSink } from './support/cdc-harness.js';
import { insertRows } from './support/source-database.js';
import { queryRows } from './support/warehouse.js';

const services = {
  postgres: requireService('postgres'),
  kafka: requireService('kafka'),
  connect: requireService('connect'),
  clickhouse: requireService('clickhouse'),
};

const dataset = generateDataset({ seed: 11, users: 30, months: 3 });
const open: { h: CdcHarness; sinks: RunningSink[] }[] = [];

afterAll(async () => {
  for (const { h, sinks } of open) {
    for (const s of sinks) await s.stop().catch(() => undefined);
    await h.close();
  }
});

async function crmHarness(name: string, partitions = 1) {
  const h = await createCdcHarness({
    name,
    tables: ['users', 'subscriptions', 'payments'],
    services,
    partitions,
  });
  const entry = { h, sinks: [] as RunningSink[] };
  open.push(entry);
  await insertRows(h.pool, tables.users, dataset.users);
  await insertRows(h.pool, tables.subscriptions, dataset.subscriptions);
  await h.registerConnector();
  return entry;
}

/** Updates every payment a few times, in many small transactions (a stream, not one batch). */
async function churnPayments(h: CdcHarness, rounds: number): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    await h.pool.query(
      `update payments set amount = round((amount * 1.01)::numeric, 2), status = case when id % 4 = $1 then 'failed' else 'success' end where id % 5 = $2`,
      [r % 4, r % 5],
    );
  }
}

describe('a sink killed between the ClickHouse write and the offset commit', () => {
  it('restarts from the last committed offsets: nothing lost, nothing duplicated', async () => {
    const { h, sinks } = await crmHarness('crash');
    let commits = 0;
    const committed = new Map<string, bigint>();
    let lost = 0n; // messages written to ClickHouse by the batch whose commit never happened
    let crashed!: () => void;
    const crashPoint = new Promise<void>((resolve) => {
      crashed = resolve;
    });
    // Dies at its 3rd commit: the batch is in ClickHouse, Kafka never hears of it.
    const dying = (c: CdcConsumer): CdcConsumer => ({
      ...c,
      poll: (max, timeoutMs) => c.poll(max, timeoutMs),
      commit: async (offsets) => {
        if (++commits === 3) {
          for (const o of offsets)
            lost += BigInt(o.offset) - (committed.get(`${o.topic}/${o.partition}`) ?? 0n);
          crashed();
          await new Promise(() => undefined);
        }
        await c.commit(offsets);
        for (const o of offsets) committed.set(`${o.topic}/${o.partition}`, BigInt(o.offset));
      },
    });
    const first = await h.startSink('e2e-crash', {
      batch: { maxMessages: 200, maxWaitMs: 100 },
      wrap: dying,
    });
    sinks.push(first);
    const writing = (async () => {
      await insertRows(h.pool, tables.payments, dataset.payments, 50);
      await churnPayments(h, 10);
    })();
    await crashPoint;
    await first.crash();
    const writtenBeforeRestart = first.batches.reduce((n, b) => n + b.rows, 0);
    await writing;
    await h.pool.query("delete from payments where status = 'pending'");

    const second = await h.startSink('e2e-crash');
    sinks.push(second);
    await h.waitCaughtUp('e2e-crash');
    await h.waitInSync(60_000);
    for (const t of ['users', 'subscriptions', 'payments'] as const) {
      const { source, target } = await h.snapshot(t);
      expect(target).toEqual(source);
    }
    // The crashed batch was written but not committed, so Kafka delivered it again: the restarted
    // sink read from the last committed offsets (more messages than were produced after them),
    // and the versions kept one current row per key.
    expect(writtenBeforeRestart).toBeGreaterThan(0);
    expect(lost).toBeGreaterThan(0n);
    const replayed = second.batches.reduce((n, b) => n + b.messages, 0);
    const produced = await h.endOffsets();
    const fromCommitted = [...produced].reduce((n, [tp, end]) => n + end - (committed.get(tp) ?? 0n), 0n);
    expect(BigInt(replayed)).toBeGreaterThanOrEqual(fromCommitted);
    expect([...first.deadLetters, ...second.deadLetters]).toEqual([]);
  });
});

describe('poison messages', () => {
  it('go to the dead-letter destination with a reason while the rest flows on', async () => {
    const { h, sinks } = await crmHarness('poison');
    const sink = await h.startSink('e2e-poison');
    sinks.push(sink);
    await insertRows(h.pool, tables.payments, dataset.payments.slice(0, 100));
    const kafka = new Kafka({
      clientId: 'bionicpro-e2e-poison',
      brokers: [...services.kafka.brokers],
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    const topic = `${h.id}.public.payments`;
    await producer.send({
      topic,
      messages: [
        { key: '{"id":999001}', value: '{"payload": {"op": "c", "after": ' }, // truncated JSON
        {
          // a well-formed envelope whose row breaks the model: an unknown payment status
          key: '{"id":999002}',
          value: JSON.stringify({
            before: null,
            after: {
              id: 999002,
              user_id: 1,
              subscription_id: null,
              payment_date: '2024-01-15T10:00:00Z',
              amount: '10.00',
              payment_method: 'card',
              status: 'refunded',
              description: null,
              created_at: '2024-01-15T10:00:00Z',
            },
            source: {
              version: '3.4.3.Final',
              connector: 'postgresql',
              name: h.id,
              ts_ms: Date.now(),
              snapshot: 'false',
              db: h.id,
              schema: 'public',
              table: 'payments',
              txId: 1,
              lsn: 1,
            },
            op: 'c',
            ts_ms: Date.now(),
          }),
        },
      ],
    });
    await producer.disconnect();
    await insertRows(h.pool, tables.payments, dataset.payments.slice(100));
    await h.waitInSync(60_000);
    const { source, target } = await h.snapshot('payments');
    expect(target).toEqual(source);
    const reasons = sink.deadLetters.map((d) => `${d.code}: ${d.reason}`);
    expect(reasons.length, reasons.slice(0, 5).join('\n')).toBe(2);
    expect(sink.deadLetters.map((d) => d.key && new TextDecoder().decode(d.key)).sort()).toEqual([
      '{"id":999001}',
      '{"id":999002}',
    ]);
    for (const letter of sink.deadLetters) expect(letter.reason.length).toBeGreaterThan(0);
    const stored = await queryRows<{ key: string; code: string; reason: string }>(
      h.ch,
      `SELECT key, code, reason FROM ${h.id}.cdc_dead_letters ORDER BY key`,
    );
    expect(stored.map((s) => s.key)).toEqual(['{"id":999001}', '{"id":999002}']);
    expect(stored.every((s) => s.code.length > 0 && s.reason.length > 0)).toBe(true);
  });
});

describe('a 3-partition topic read by two consumers of one group', () => {
  it('ends in the same state as PostgreSQL, with both consumers doing work', async () => {
    const { h, sinks } = await crmHarness('partitions', 3);
    const a = await h.startSink('e2e-partitions');
    const b = await h.startSink('e2e-partitions');
    sinks.push(a, b);
    await insertRows(h.pool, tables.payments, dataset.payments, 100);
    await churnPayments(h, 5);
    await h.pool.query('delete from payments where id % 7 = 0');
    await h.waitInSync(60_000);
    for (const t of ['users', 'subscriptions', 'payments'] as const) {
      const { source, target } = await h.snapshot(t);
      expect(target).toEqual(source);
    }
    const partitionsOf = (s: RunningSink) =>
      new Set(
        s.batches.flatMap((x) =>
          x.offsets.filter((o) => o.topic.endsWith('.payments')).map((o) => o.partition),
        ),
      );
    const pa = partitionsOf(a);
    const pb = partitionsOf(b);
    expect(pa.size).toBeGreaterThan(0);
    expect(pb.size).toBeGreaterThan(0);
    expect(new Set([...pa, ...pb]).size).toBe(3);
  });
});
