/**
 * The Kafka-engine path for real: PostgreSQL → Debezium → Kafka → embedded chDB's own `Kafka` table
 * engine → the applying and dead-letter views of `kafkaEngineDdl`. No library consumer runs: the
 * engine's background consumers read the broker. ClickHouse must end equal to PostgreSQL row for row
 * (64-bit ids, exact money, UUIDs, microsecond instants, deletes), and a message that is not a
 * change must land in the dead-letter table with its reason.
 */
import { currentRowsQuery, kafkaEngineDdl } from '@bionicpro/cdc';
import { tables } from '@bionicpro/models';
import { generateDataset } from '@bionicpro/models/testing';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../services.js';
import { canonicalRow } from './support/canonical-row.js';
import { type CdcHarness, CRM_AND_TELEMETRY_TABLES, createSeededCdcHarness } from './support/cdc-harness.js';
import { sourceRows } from './support/source-database.js';
import { queryRows } from './support/warehouse.js';

const services = {
  postgres: requireService('postgres'),
  kafka: requireService('kafka'),
  connect: requireService('connect'),
  clickhouse: requireService('clickhouse'),
};

const TABLES = CRM_AND_TELEMETRY_TABLES;
const dataset = generateDataset({ seed: 11, users: 12, months: 1 });

let h: CdcHarness;
let ke: string;

beforeAll(async () => {
  h = await createSeededCdcHarness('kengine', services, dataset);
  ke = `${h.id}_ke`;
  // 64-bit ids beyond 2^53, and the largest bigint.
  await h.pool.query(`
    insert into telemetry_events (id, user_id, prosthesis_type, muscle_group, signal_frequency, signal_duration,
                                  signal_amplitude, event_timestamp)
    select id, 1, 'arm', 'biceps', 250, 1200, id % 1000 / 7.0, timestamptz '2024-01-15 10:00:00.123456Z' + id % 1000 * interval '1 s'
    from (select 9007199254740990 + g as id from generate_series(1, 20) g
          union all select 9223372036854775807) ids`);
  await h.registerConnector();
  await h.ch.command({ query: `DROP DATABASE IF EXISTS ${ke}` });
  await h.ch.command({ query: `CREATE DATABASE ${ke}` });
  const group = `${ke}_${Date.now().toString(36)}`;
  for (const t of TABLES) {
    for (const query of kafkaEngineDdl(tables[t], {
      brokers: services.kafka.brokers,
      topic: `${h.id}.public.${t}`,
      database: ke,
      groupName: `${group}_${t}`,
      kafkaSettings: { kafka_flush_interval_ms: 250 },
    })) {
      await h.ch.command({ query });
    }
  }
});

afterAll(async () => {
  // Stop the engine's consumers before the connector and topics go away.
  for (const t of TABLES) await h?.ch.command({ query: `DROP TABLE IF EXISTS ${ke}.${t}_kafka SYNC` });
  await h?.close();
});

async function canonical(t: (typeof TABLES)[number]) {
  const def = tables[t];
  const source = (await sourceRows(h.pool, def)).map((r) => canonicalRow(def, r));
  const q = currentRowsQuery(`${ke}.${t}`, { orderBy: [...def.primaryKey] });
  const target = (await queryRows(h.ch, q.query, q.query_params)).map((r) => canonicalRow(def, r));
  return { source, target };
}

async function expectInSync(timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let equal = true;
    for (const t of TABLES) {
      const { source, target } = await canonical(t);
      if (JSON.stringify(source) !== JSON.stringify(target)) {
        equal = false;
        if (Date.now() > deadline) expect({ table: t, rows: target }).toEqual({ table: t, rows: source });
        break;
      }
    }
    if (equal) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function deadLetters() {
  return queryRows<{ topic: string; offset: string; code: string; reason: string; value: string }>(
    h.ch,
    `SELECT topic, offset, code, reason, value FROM ${ke}.cdc_dead_letters FINAL ORDER BY topic, offset`,
  );
}

describe(`Kafka-engine path end to end (chDB Kafka engine, kafka ${services.kafka.provider})`, () => {
  it("consumes the initial snapshot from the broker with chDB's Kafka engine, row for row", async () => {
    await expectInSync();
    const [big] = await queryRows<{ id: string }>(
      h.ch,
      `SELECT toString(max(id)) AS id FROM ${ke}.telemetry_events`,
    );
    expect(big?.id).toBe('9223372036854775807');
    expect(await deadLetters()).toEqual([]);
  });

  it('follows inserts, updates with exact money and deletes; a non-JSON message is dead-lettered with its reason', async () => {
    await h.pool.query(
      "update payments set amount = 99999999.99, status = 'success' where id = (select min(id) from payments)",
    );
    await h.pool.query("update users set email = 'ke@bionicpro.test', updated_at = now() where id = 2");
    await h.pool.query("delete from payments where status = 'pending'");
    await h.pool.query('delete from telemetry_events where id = 9007199254740993');
    await h.pool.query(
      "update telemetry_events set signal_amplitude = 0.1 + 0.2, saved_ts = timestamptz '2299-12-31 23:59:59.999Z' where id = 9223372036854775807",
    );
    const producer = new Kafka({
      clientId: 'e2e-ke',
      brokers: [...services.kafka.brokers],
      logLevel: logLevel.NOTHING,
    }).producer();
    await producer.connect();
    const [sent] = await producer.send({
      topic: `${h.id}.public.users`,
      messages: [{ key: '{"id":999}', value: '{not json' }],
    });
    await producer.disconnect();
    await expectInSync();
    const deadline = Date.now() + 30_000;
    let letters = await deadLetters();
    while (letters.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      letters = await deadLetters();
    }
    // JSONAsString itself rejects it: the engine hands it over with `_error` (kafka_handle_error_mode='stream').
    expect(letters).toEqual([
      {
        topic: `${h.id}.public.users`,
        offset: String(sent?.baseOffset),
        code: 'invalid_json',
        reason: expect.stringMatching(/^the value is not JSON: .*JSON/),
        value: '{not json',
      },
    ]);
  });
});
