/**
 * Both Kafka adapters against a real broker (test/services.ts: KAFKA_BROKERS,
 * or scripts/infra/up.sh kafka): real Debezium records produced to a topic,
 * consumed through the adapter into chDB, bad messages produced to a
 * dead-letter topic, offsets committed only after ClickHouse has the rows, and
 * a restarted consumer of the same group continuing where the first stopped.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tables } from '@bionicpro/models';
import { Consumer as PlatformaticConsumer, Producer as PlatformaticProducer } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../../../test/services.js';
import {
  type BatchStats,
  type CdcConsumer,
  type ChangeDecoder,
  type DeadLetterDestination,
  cdcTargetDdl,
  cdcTargetOf,
  createCdcPipeline,
  createChangeDecoder,
  createClickHouseSink,
  currentRowsQuery,
  PipelineError,
} from '../src/index.js';
import { kafkajsConsumer, kafkajsDeadLetters } from '../src/kafkajs.js';
import { platformaticConsumer, platformaticDeadLetters } from '../src/platformatic.js';
import { createChdbClient } from './chdb-client.js';

const kafkaService = requireService('kafka');
const brokers = [...kafkaService.brokers];
const kafka = new Kafka({ clientId: 'cdc-adapter-test', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const producer = kafka.producer();
const client = createChdbClient();
const sinkTables = [tables.users, tables.payments, tables.subscriptions];

const fixture = readFileSync(
  fileURLToPath(new URL('./fixtures/debezium/crm-schemas-precise.jsonl', import.meta.url)),
  'utf8',
)
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as { topic: string; key: string | null; value: string | null })
  .filter((r) => /^crm\.public\.(users|payments|subscriptions)$/.test(r.topic));

beforeAll(async () => {
  await admin.connect();
  await producer.connect();
});
afterAll(async () => {
  await producer.disconnect();
  await admin.disconnect();
  await client.close();
});

interface Started {
  consumer: CdcConsumer;
  deadLetters: DeadLetterDestination;
  stop(): Promise<void>;
}

async function runUntil(started: Started, database: string, expectedMessages: number) {
  const batches: BatchStats[] = [];
  let seen = 0;
  const sink = createClickHouseSink({ client, targets: sinkTables.map((t) => cdcTargetOf(t, { database })) });
  const pipeline = createCdcPipeline({
    consumer: started.consumer,
    sink,
    deadLetters: started.deadLetters,
    batch: { maxMessages: 25, maxWaitMs: 200 },
    metrics: {
      onBatch: (stats) => {
        batches.push(stats);
        seen += stats.messages;
        if (seen >= expectedMessages) pipeline.stop();
      },
    },
  });
  const timeout = setTimeout(() => pipeline.stop(), 90_000);
  await pipeline.run();
  clearTimeout(timeout);
  await started.stop();
  return { batches, seen };
}

async function state(database: string) {
  const out: Record<string, unknown[]> = {};
  for (const table of sinkTables) {
    const q = currentRowsQuery(`${database}.${table.name}`, { columns: ['id'], orderBy: ['id'] });
    out[table.name] = (
      (await (await client.query({ ...q, format: 'JSONEachRow' })).json()) as { id: number }[]
    ).map((r) => r.id);
  }
  return out;
}

async function produce(topic: string, records: { key: string | null; value: string | null }[]) {
  await producer.send({
    topic,
    messages: records.map((r) => ({ key: r.key, value: r.value })),
  });
}

const adapters: Record<string, (topic: string, group: string, dlqTopic: string) => Promise<Started>> = {
  kafkajs: async (topic, group, dlqTopic) => {
    const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    await consumer.connect();
    const adapter = await kafkajsConsumer(consumer, { topics: [topic], heartbeatIntervalMs: 500 });
    return {
      consumer: adapter,
      deadLetters: kafkajsDeadLetters(producer, dlqTopic),
      stop: async () => {
        await adapter.stop();
        await consumer.disconnect();
      },
    };
  },
  platformatic: async (topic, group, dlqTopic) => {
    const consumer = new PlatformaticConsumer({
      groupId: group,
      clientId: `cdc-${group}`,
      bootstrapBrokers: brokers,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
    });
    const dlqProducer = new PlatformaticProducer({ clientId: `cdc-dlq-${group}`, bootstrapBrokers: brokers });
    const adapter = await platformaticConsumer(consumer, { topics: [topic] });
    return {
      consumer: adapter,
      deadLetters: platformaticDeadLetters(dlqProducer, dlqTopic),
      stop: async () => {
        await adapter.close();
        await consumer.close();
        await dlqProducer.close();
      },
    };
  },
};

describe.each(Object.keys(adapters))('%s adapter against a real broker', (name) => {
  it('delivers every record into ClickHouse, dead-letters the bad one with its bytes, commits, and resumes after a restart', async () => {
    const suffix = `${name}-${Date.now()}`;
    const topic = `cdc-test-${suffix}`;
    const dlqTopic = `cdc-test-dlq-${suffix}`;
    const group = `cdc-test-group-${suffix}`;
    const database = `kafka_${name}`;
    await admin.createTopics({
      topics: [
        { topic, numPartitions: 2 },
        { topic: dlqTopic, numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
    for (const table of sinkTables) await client.command({ query: cdcTargetDdl(table, { database }) });

    // Phase 1: the snapshot and the first half of the stream, plus one broken message.
    const half = Math.floor(fixture.length / 2);
    const first = [...fixture.slice(0, half), { key: '{"id":999}', value: '{broken' }];
    await produce(topic, first);
    const run1 = await runUntil(await adapters[name]!(topic, group, dlqTopic), database, first.length);
    expect(run1.seen).toBe(first.length);
    expect(run1.batches.reduce((n, b) => n + b.deadLetters, 0)).toBe(1);
    const committed1 = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const committedTotal1 = committed1[0]!.partitions.reduce((n, p) => n + Number(p.offset), 0);
    expect(committedTotal1).toBe(first.length);

    // Phase 2: a new consumer of the same group continues from the committed offsets: no record twice, none lost.
    const second = fixture.slice(half);
    await produce(topic, second);
    const run2 = await runUntil(await adapters[name]!(topic, group, dlqTopic), database, second.length);
    expect(run2.seen).toBe(second.length);
    const committed2 = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(committed2[0]!.partitions.reduce((n, p) => n + Number(p.offset), 0)).toBe(fixture.length + 1);

    expect(await state(database)).toEqual({ users: [1, 2, 100], payments: [1, 5, 6], subscriptions: [1] });

    // The dead letter carries the original bytes and where it came from.
    const reader = kafka.consumer({ groupId: `${group}-dlq-reader` });
    await reader.connect();
    await reader.subscribe({ topics: [dlqTopic], fromBeginning: true });
    const letter = await new Promise<{ value: string; headers: Record<string, string> }>((resolve) => {
      void reader.run({
        eachMessage: async ({ message }) => {
          const headers = Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
          );
          resolve({ value: String(message.value), headers });
        },
      });
    });
    await reader.disconnect();
    expect(letter.value).toBe('{broken');
    expect(letter.headers['bionicpro.dlq.topic']).toBe(topic);
    expect(letter.headers['bionicpro.dlq.code']).toBe('invalid_envelope');
    expect(letter.headers['bionicpro.dlq.reason']).toMatch(/not JSON/);
    expect(letter.headers['bionicpro.dlq.offset']).toMatch(/^\d+$/);
  });
});

describe.each(Object.keys(adapters))('%s adapter: a defect stops the consumer', (name) => {
  it('stops without committing the message that met the defect; a restart resumes at it', async () => {
    const suffix = `${name}-defect-${Date.now()}`;
    const topic = `cdc-test-${suffix}`;
    const group = `cdc-test-group-${suffix}`;
    const database = `kafka_defect_${name}`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
    for (const table of sinkTables) await client.command({ query: cdcTargetDdl(table, { database }) });
    const users = fixture.filter((r) => r.topic === 'crm.public.users' && r.value !== null).slice(0, 3);
    expect(users).toHaveLength(3);
    await produce(topic, users);
    const sink = createClickHouseSink({
      client,
      targets: sinkTables.map((t) => cdcTargetOf(t, { database })),
    });

    // A decoder with a bug that throws on the second record (offset 1): not bad data, a defect.
    const real = createChangeDecoder();
    const buggy: ChangeDecoder = {
      decode(record) {
        if (record.offset === '1') throw new TypeError("Cannot read properties of undefined (reading 'id')");
        return real.decode(record);
      },
    };
    const first = await adapters[name]!(topic, group, `${topic}-unused-dlq`);
    const letters: unknown[] = [];
    const pipeline = createCdcPipeline({
      consumer: first.consumer,
      sink,
      decoder: buggy,
      deadLetters: async (batch) => {
        letters.push(...batch);
      },
      batch: { maxMessages: 25, maxWaitMs: 200 },
    });
    const timeout = setTimeout(() => pipeline.stop(), 60_000);
    const error = await pipeline.run().then(
      () => 'stopped without an error',
      (e: unknown) => e,
    );
    clearTimeout(timeout);
    await first.stop();
    expect(error).toBeInstanceOf(PipelineError);
    expect(error).toMatchObject({ code: 'defect', topic, partition: 0, offset: '1' });
    expect(letters).toEqual([]);
    expect(pipeline.health()).toMatchObject({ state: 'failed', healthy: false });
    // The record before the defect was written and committed; the defective one was not.
    const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(committed[0]!.partitions.map((p) => p.offset)).toEqual(['1']);

    // After the fix (the real decoder), a consumer of the same group starts at the defective record.
    const offsets: string[] = [];
    const second = await adapters[name]!(topic, group, `${topic}-unused-dlq`);
    const fixed = createCdcPipeline({
      consumer: {
        ...second.consumer,
        poll: async (max, timeoutMs) => {
          const polled = await second.consumer.poll(max, timeoutMs);
          offsets.push(...polled.map((m) => m.offset));
          return polled;
        },
      },
      sink,
      deadLetters: async () => {},
      batch: { maxMessages: 25, maxWaitMs: 200 },
      metrics: {
        onBatch: () => {
          if (offsets.length >= 2) fixed.stop();
        },
      },
    });
    const timeout2 = setTimeout(() => fixed.stop(), 60_000);
    await fixed.run();
    clearTimeout(timeout2);
    await second.stop();
    expect(offsets).toEqual(['1', '2']);
    const rows = await state(database);
    expect(rows['users']).toHaveLength(
      new Set(users.map((r) => (JSON.parse(r.key!) as { payload: { id: number } }).payload.id)).size,
    );
    const committed2 = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    expect(committed2[0]!.partitions.map((p) => p.offset)).toEqual(['3']);
  });
});
