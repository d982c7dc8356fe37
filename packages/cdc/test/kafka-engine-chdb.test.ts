/**
 * The Kafka-engine path's parsing SELECT on embedded chDB, fed the real
 * captured envelopes (chDB has no Kafka engine, so the envelopes go through a
 * plain table with the same `raw String` column). It must reach the same
 * current rows as the library sink.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type TableDefinition, tables } from '@bionicpro/models';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CdcMessage,
  cdcTargetDdl,
  cdcTargetOf,
  createCdcPipeline,
  createClickHouseSink,
  currentRowsQuery,
  kafkaEngineDdl,
  kafkaEngineSelect,
} from '../src/index.js';
import { examples } from '../src/fixtures/debezium-examples.js';
import { createChdbClient } from './chdb-client.js';

const client = createChdbClient();
afterAll(() => client.close());

const dir = fileURLToPath(new URL('./fixtures/debezium/', import.meta.url));
const read = (file: string) =>
  readFileSync(`${dir}${file}`, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as CdcMessage);

const sinkTables: TableDefinition[] = [tables.users, tables.subscriptions, tables.payments];
const settings = { output_format_decimal_trailing_zeros: 1 } as const;

async function currentRows(table: string) {
  const q = currentRowsQuery(table, { orderBy: ['id'] });
  return (await (
    await client.query({ ...q, format: 'JSONEachRow', clickhouse_settings: settings })
  ).json()) as Record<string, unknown>[];
}

let n = 0;

async function throughKafkaEngineSelect(file: string, mode: 'precise' | 'string' | 'double') {
  n += 1;
  const database = `ke_${n}`;
  await client.command({ query: `CREATE DATABASE ${database}` });
  const messages = read(file);
  const out: Record<string, unknown> = {};
  for (const table of sinkTables) {
    await client.command({ query: cdcTargetDdl(table, { database }) });
    await client.command({
      query: `CREATE TABLE ${database}.${table.name}_raw (raw String) ENGINE = MergeTree ORDER BY tuple()`,
    });
    const values = messages
      .filter((m) => m.topic.endsWith(`.public.${table.name}`) && m.value !== null)
      .map((m) => ({ raw: m.value }));
    // Twice: the Kafka engine redelivers after a restart; versions make it harmless.
    for (const _ of [0, 1])
      await client.insert({ table: `${database}.${table.name}_raw`, values, format: 'JSONEachRow' });
    await client.command({
      query: `INSERT INTO ${database}.${table.name} ${kafkaEngineSelect(table, { from: `${database}.${table.name}_raw`, decimalHandlingMode: mode })}`,
    });
    out[table.name] = await currentRows(`${database}.${table.name}`);
  }
  return out;
}

async function throughLibrarySink(file: string) {
  n += 1;
  const database = `sink_${n}`;
  await client.command({ query: `CREATE DATABASE ${database}` });
  for (const table of sinkTables) await client.command({ query: cdcTargetDdl(table, { database }) });
  const sink = createClickHouseSink({
    client,
    targets: sinkTables.map((t) => cdcTargetOf(t, { database })),
    unknownTables: 'ignore',
  });
  const pipeline = createCdcPipeline({
    consumer: { poll: async () => [], commit: async () => {}, pause: () => {}, resume: () => {} },
    sink,
    deadLetters: async (letters) => {
      throw new Error(`unexpected dead letters: ${letters.map((l) => l.reason).join('; ')}`);
    },
  });
  await pipeline.processBatch(read(file));
  const out: Record<string, unknown> = {};
  for (const table of sinkTables) out[table.name] = await currentRows(`${database}.${table.name}`);
  return out;
}

describe('Kafka-engine path SELECT on chDB', () => {
  it('applies inserts, updates, deletes and snapshots of real envelopes like the library sink', async () => {
    const reference = await throughLibrarySink('crm-schemas-precise.jsonl');
    expect((reference['users'] as { id: number }[]).map((u) => u.id)).toEqual([1, 2, 100]);
    expect((reference['payments'] as { amount: string }[]).map((p) => p.amount)).toEqual([
      '2999.00',
      '99999999.99',
      '-5.50',
    ]);
    for (const [file, mode] of [
      ['crm-schemas-precise.jsonl', 'precise'],
      ['crm-schemaless-precise.jsonl', 'precise'],
      ['crm-schemas-string.jsonl', 'string'],
      ['crm-schemaless-double.jsonl', 'double'],
    ] as const) {
      expect({ file, rows: await throughKafkaEngineSelect(file, mode) }).toEqual({ file, rows: reference });
    }
  });

  it('never writes an unchanged-TOAST placeholder into the target', async () => {
    await client.command({ query: 'CREATE DATABASE toast_ke' });
    await client.command({ query: cdcTargetDdl(tables.payments, { database: 'toast_ke' }) });
    await client.command({
      query: 'CREATE TABLE toast_ke.raw (raw String) ENGINE = MergeTree ORDER BY tuple()',
    });
    await client.insert({
      table: 'toast_ke.raw',
      values: [
        { raw: examples.createWithSchema.value },
        { raw: examples.updateWithUnavailableDescription.value },
        { raw: '{not json' },
      ],
      format: 'JSONEachRow',
    });
    await client.command({
      query: `INSERT INTO toast_ke.payments ${kafkaEngineSelect(tables.payments, { from: 'toast_ke.raw' })}`,
    });
    const rows = await currentRows('toast_ke.payments');
    expect(rows.map((r) => [r['status'], r['description']])).toEqual([['success', 'January subscription']]);
  });

  it('emits target, dead-letter, Kafka table and views that ClickHouse accepts', async () => {
    const statements = kafkaEngineDdl(tables.users, {
      brokers: ['k1:9092', 'k2:9092'],
      topic: 'crm.public.users',
      database: 'ddl_ke',
    });
    expect(statements).toHaveLength(5);
    expect(statements[2]).toContain("kafka_format = 'JSONAsString'");
    expect(statements[2]).toContain("kafka_broker_list = 'k1:9092,k2:9092'");
    expect(statements[3]).toMatch(
      /^CREATE MATERIALIZED VIEW IF NOT EXISTS ddl_ke\.users_mv TO ddl_ke\.users AS/,
    );
    await client.command({ query: 'CREATE DATABASE ddl_ke' });
    // chDB has no Kafka engine: create the target and dead-letter tables, and check the view's SELECT parses.
    await client.command({ query: statements[0]! });
    await client.command({ query: statements[1]! });
    await client.command({ query: 'CREATE TABLE ddl_ke.users_kafka (raw String) ENGINE = Memory' });
    await client.command({ query: statements[3]! });
    expect(() => kafkaEngineSelect(tables.users, { from: 'x; DROP TABLE y' })).toThrow();
  });
});
