/**
 * Captures REAL Debezium change events from a real PostgreSQL connector into
 * packages/cdc/test/fixtures/debezium/*.jsonl, so the cdc package's unit tests decode what
 * Debezium actually sends, and can be refreshed when Debezium changes.
 *
 * Run with scripts/infra/capture-fixtures.sh (which brings PostgreSQL, Kafka and Connect up).
 * It recreates the tables of docs/data-contract.md in crm_db and telemetry_db (from @bionicpro/models' DDL)
 * plus a `type_samples` table with the types a decoder must handle, registers one connector per
 * variant (JSON schemas on/off × decimal.handling.mode precise/string/double, and the
 * ExtractNewRecordState-unwrapped form), runs one scripted workload that every variant sees, and
 * writes every Kafka record as `{"topic","partition","offset","key","value"}` with key and value as
 * the raw record strings (null for a tombstone / a null key).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { postgresDdl, tables } from '@bionicpro/models';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { type ConnectorConfig, deleteConnector, putConnector, waitRunning } from './connect-rest.js';

const ROOT = join(import.meta.dirname, '..', '..');
const OUT = join(ROOT, 'packages', 'cdc', 'test', 'fixtures', 'debezium');
const PG_URL = process.env.BIONICPRO_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CONNECT = process.env.KAFKA_CONNECT_URL ?? 'http://127.0.0.1:18083';
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
/** Host and port of PostgreSQL as the Connect worker sees it. */
const PG = new URL(PG_URL);
const PG_HOST_FOR_CONNECT = process.env.BIONICPRO_PG_HOST_FOR_CONNECT ?? PG.hostname;
const PG_PORT_FOR_CONNECT = process.env.BIONICPRO_PG_PORT_FOR_CONNECT ?? (PG.port || '5432');

const log = (msg: string) => console.log(`[capture ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function dbUrl(db: string): string {
  const u = new URL(PG_URL);
  u.pathname = `/${db}`;
  return u.toString();
}

async function withDb<T>(db: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: dbUrl(db) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

// ------------------------------------------------------------------ schema
const SIGNAL_DDL =
  'CREATE TABLE debezium_signal (id varchar(42) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048))';

/** Every PostgreSQL type a Debezium decoder meets in BionicPRO's tables, and a few beyond them. */
const TYPE_SAMPLES_DDL = `CREATE TABLE type_samples (
  id integer PRIMARY KEY,
  amount numeric(10,2) NOT NULL,
  ratio numeric,
  sample_uuid uuid NOT NULL,
  at_tz timestamptz NOT NULL,
  at_local timestamp,
  at_ms timestamp(3),
  day date,
  clock time,
  clock_ms time(3),
  span interval,
  doc jsonb,
  notes text,
  big bigint,
  flag boolean,
  amplitude double precision,
  tags text[]
)`;

async function createSchema(): Promise<void> {
  await withDb('postgres', async (c) => {
    for (const db of ['crm_db', 'telemetry_db']) {
      const r = await c.query('select 1 from pg_database where datname = $1', [db]);
      if (r.rowCount === 0) await c.query(`create database ${db}`);
    }
  });
  const crm = ['users', 'prosthetics', 'subscriptions', 'payments', 'support_tickets'] as const;
  const telemetry = ['telemetry_events', 'device_events', 'battery_metrics'] as const;
  await withDb('crm_db', async (c) => {
    await c.query(
      'drop table if exists support_tickets, payments, subscriptions, prosthetics, users, type_samples, debezium_signal cascade',
    );
    for (const name of crm) for (const stmt of postgresDdl(tables[name])) await c.query(stmt);
    await c.query(TYPE_SAMPLES_DDL);
    await c.query(SIGNAL_DDL);
    // REPLICA IDENTITY FULL on one table, so the fixtures show a full `before` beside the key-only one.
    await c.query('alter table subscriptions replica identity full');
  });
  await withDb('telemetry_db', async (c) => {
    await c.query(
      'drop table if exists telemetry_events, device_events, battery_metrics, debezium_signal cascade',
    );
    for (const name of telemetry) for (const stmt of postgresDdl(tables[name])) await c.query(stmt);
    await c.query(SIGNAL_DDL);
  });
}

// Fixed timestamps, so the fixtures differ between captures only in LSNs, txIds and ts_ms.
const T0 = '2024-01-15T09:30:00.123456Z';

async function seedBeforeConnectors(): Promise<void> {
  await withDb('crm_db', async (c) => {
    await c.query(
      `insert into users (id, user_uuid, name, email, age, gender, country, address, phone, ldap_username, registered_at, updated_at) values
       (1, '8d2f6a54-3c1e-4b7a-9f0d-2a6c1e5b7d01', 'Ivan Petrov', 'ivan.petrov@bionicpro.test', 34, 'male', 'RU', 'Moscow', '+7 900 000-00-01', 'ivan.petrov', $1, $1),
       (2, '3b9e1c72-5a4d-4e8f-8c2b-7d0a9f1e6c02', 'Maria Sidorova', 'maria.sidorova@bionicpro.test', null, null, null, null, null, 'maria.sidorova', $1, $1)`,
      [T0],
    );
    await c.query(
      `insert into subscriptions (id, user_id, subscription_type, start_date, end_date, is_active, monthly_cost, created_at, updated_at)
       values (1, 1, 'basic', '2024-01-01', null, true, 2999.00, $1, $1)`,
      [T0],
    );
    await c.query(
      `insert into payments (id, user_id, subscription_id, payment_date, amount, payment_method, status, description, created_at)
       values (1, 1, 1, '2024-01-01T00:00:00Z', 2999.00, 'card', 'success', 'January', $1),
              (2, 1, 1, '2024-01-02T00:00:00Z', 2999.00, 'card', 'failed', 'January retry', $1)`,
      [T0],
    );
    await c.query(
      `insert into type_samples values
       (1, 2999.00, 3.14159265358979323846, 'a3c1e2f4-0000-4000-8000-000000000001', $1, '2024-01-15 09:30:00.123456',
        '2024-01-15 09:30:00.123', '2024-01-31', '09:30:00.123456', '09:30:00.123', '1 year 2 mons 3 days 04:05:06.789',
        '{"firmware":"2.4.1","limits":{"max_ma":1500}}', 'short note', 9007199254740993, true, 0.000123, '{a,b}')`,
      [T0],
    );
  });
  await withDb('telemetry_db', async (c) => {
    await c.query(
      `insert into telemetry_events (id, event_uuid, user_id, prosthetic_id, prosthesis_type, muscle_group, signal_frequency, signal_duration, signal_amplitude, event_timestamp, saved_ts)
       values (1, 'e0000000-0000-4000-8000-000000000001', 1, 1, 'arm', 'biceps', 250, 120, 0.75, '2024-01-15T09:30:00Z', $1)`,
      [T0],
    );
    await c.query(
      `insert into device_events (id, prosthetic_id, event_type, event_timestamp, event_value, severity, response_time_ms, created_at)
       values (1, 1, 'power_on', '2024-01-15T08:00:00Z', 'battery_85%', 'info', 42, $1)`,
      [T0],
    );
    await c.query(
      `insert into battery_metrics (id, prosthetic_id, metric_timestamp, charge_level, current_ma, is_charging, created_at)
       values (1, 1, '2024-01-15T08:00:00Z', 85, -120, false, $1)`,
      [T0],
    );
  });
}

// ------------------------------------------------------------------ connectors
interface Variant {
  /** Fixture file stem and connector name suffix. */
  readonly name: string;
  readonly db: 'crm_db' | 'telemetry_db';
  readonly prefix: string;
  readonly schemas: boolean;
  readonly decimal: 'precise' | 'string' | 'double';
  readonly unwrap?: boolean;
  readonly description: string;
}

const CRM_TABLES =
  'public.users,public.subscriptions,public.payments,public.support_tickets,public.type_samples,public.debezium_signal';
const TELEMETRY_TABLES =
  'public.telemetry_events,public.device_events,public.battery_metrics,public.debezium_signal';

export const VARIANTS: readonly Variant[] = [
  {
    name: 'crm-schemas-precise',
    db: 'crm_db',
    prefix: 'crm',
    schemas: true,
    decimal: 'precise',
    description: 'the full workload; JSON with schemas; decimal.handling.mode=precise (the defaults)',
  },
  {
    name: 'crm-schemaless-precise',
    db: 'crm_db',
    prefix: 'crm_nos',
    schemas: false,
    decimal: 'precise',
    description: 'the same workload without schemas (scale of Decimal lost: base64 only)',
  },
  {
    name: 'crm-schemas-string',
    db: 'crm_db',
    prefix: 'crm_str',
    schemas: true,
    decimal: 'string',
    description: 'decimal.handling.mode=string, with schemas',
  },
  {
    name: 'crm-schemaless-string',
    db: 'crm_db',
    prefix: 'crm_nos_str',
    schemas: false,
    decimal: 'string',
    description: 'decimal.handling.mode=string, without schemas',
  },
  {
    name: 'crm-schemas-double',
    db: 'crm_db',
    prefix: 'crm_dbl',
    schemas: true,
    decimal: 'double',
    description: 'decimal.handling.mode=double, with schemas',
  },
  {
    name: 'crm-schemaless-double',
    db: 'crm_db',
    prefix: 'crm_nos_dbl',
    schemas: false,
    decimal: 'double',
    description: 'decimal.handling.mode=double, without schemas',
  },
  {
    name: 'crm-unwrapped-schemas',
    db: 'crm_db',
    prefix: 'crm_flat',
    schemas: true,
    decimal: 'precise',
    unwrap: true,
    description:
      'ExtractNewRecordState, add.fields=op,table,lsn,source.ts_ms, delete.tombstone.handling.mode=rewrite, with schemas',
  },
  {
    name: 'crm-unwrapped-schemaless',
    db: 'crm_db',
    prefix: 'crm_flat_nos',
    schemas: false,
    decimal: 'precise',
    unwrap: true,
    description: 'the same unwrapped form without schemas',
  },
  {
    name: 'telemetry-schemas-precise',
    db: 'telemetry_db',
    prefix: 'telemetry',
    schemas: true,
    decimal: 'precise',
    description: 'telemetry_db: bigint ids, double amplitude, inserts/updates/deletes, snapshot',
  },
  {
    name: 'telemetry-schemaless-precise',
    db: 'telemetry_db',
    prefix: 'telemetry_nos',
    schemas: false,
    decimal: 'precise',
    description: 'telemetry_db without schemas',
  },
];

function connectorConfig(v: Variant): ConnectorConfig {
  const slot = `bp_fx_${v.prefix}`;
  const base: Record<string, string> = {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'tasks.max': '1',
    'database.hostname': PG_HOST_FOR_CONNECT,
    'database.port': String(PG_PORT_FOR_CONNECT),
    'database.user': decodeURIComponent(PG.username || 'postgres'),
    'database.password': decodeURIComponent(PG.password || 'postgres'),
    'database.dbname': v.db,
    'topic.prefix': v.prefix,
    'plugin.name': 'pgoutput',
    'slot.name': slot,
    'publication.name': slot,
    'publication.autocreate.mode': 'filtered',
    'table.include.list': v.db === 'crm_db' ? CRM_TABLES : TELEMETRY_TABLES,
    'snapshot.mode': 'initial',
    'decimal.handling.mode': v.decimal,
    'signal.data.collection': 'public.debezium_signal',
    'heartbeat.interval.ms': '1000',
    // Debezium skips truncates by default; the fixtures need one.
    'skipped.operations': 'none',
    'slot.drop.on.stop': 'false',
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': String(v.schemas),
    'value.converter.schemas.enable': String(v.schemas),
    'producer.override.linger.ms': '5',
  };
  if (v.unwrap) {
    Object.assign(base, {
      transforms: 'unwrap',
      'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
      'transforms.unwrap.add.fields': 'op,table,lsn,source.ts_ms',
      'transforms.unwrap.delete.tombstone.handling.mode': 'rewrite',
    });
  }
  return base;
}

// ------------------------------------------------------------------ workload
/** Out-of-line TOAST needs a value that stays > 2 kB after compression: random hex does. */
const TOAST_VALUE_SQL = "(select string_agg(md5(random()::text), '') from generate_series(1, 400))";

async function crmWorkload(): Promise<void> {
  await withDb('crm_db', async (c) => {
    // c: inserts, one transaction of several rows, exact money at the numeric(10,2) edges
    await c.query(
      `insert into users (id, user_uuid, name, email, ldap_username, registered_at, updated_at)
       values (3, 'c4d5e6f7-1111-4222-8333-444455556666', 'Olga Analyst', 'olga.analyst@bionicpro.test', 'olga.analyst', $1, $1)`,
      [T0],
    );
    await c.query('begin');
    await c.query(
      `insert into subscriptions (id, user_id, subscription_type, start_date, end_date, is_active, monthly_cost, created_at, updated_at)
       values (2, 2, 'enterprise', '2024-01-10', '2024-12-31', true, 9999.00, $1, $1)`,
      [T0],
    );
    await c.query(
      `insert into payments (id, user_id, subscription_id, payment_date, amount, payment_method, status, description, created_at) values
       (3, 2, 2, '2024-01-10T12:00:00Z', 9999.00, 'bank_transfer', 'success', 'max-ish', $1),
       (4, 2, 2, '2024-01-11T12:00:00Z', 0.01, 'paypal', 'pending', 'one kopeck', $1),
       (5, 2, null, '2024-01-12T12:00:00Z', 99999999.99, 'card', 'success', 'numeric(10,2) maximum', $1),
       (6, 2, null, '2024-01-13T12:00:00Z', -5.50, 'card', 'success', 'refund (negative)', $1)`,
      [T0],
    );
    await c.query('commit');
    // a large TOASTed text column, then an update that leaves it unchanged (→ __debezium_unavailable_value)
    await c.query(
      `insert into type_samples (id, amount, ratio, sample_uuid, at_tz, at_local, at_ms, day, clock, clock_ms, span, doc, notes, big, flag, amplitude, tags)
       values (2, 0.10, 12345678901234567890.123456789, 'a3c1e2f4-0000-4000-8000-000000000002', '2024-02-29T23:59:59.999999Z',
               'infinity', '1970-01-01 00:00:00.001', '1969-12-31', '23:59:59.999999', '00:00:00.001', '-1 days',
               '[1, "two", null, {"three": 3.0}]', ${TOAST_VALUE_SQL}, -9007199254740993, false, -1.5e-10, '{}')`,
    );
    await c.query(
      `insert into type_samples (id, amount, sample_uuid, at_tz) values (3, -0.01, 'a3c1e2f4-0000-4000-8000-000000000003', '0001-01-01T00:00:00Z')`,
    );
    await c.query('update type_samples set amount = 1.23, ratio = -0.5 where id = 2'); // notes (TOAST) unchanged
    await c.query(`update type_samples set notes = ${TOAST_VALUE_SQL} where id = 2`); // TOAST changed
    await c.query(`update type_samples set notes = null, doc = 'null'::jsonb where id = 1`);
    // u: ordinary updates; subscriptions has REPLICA IDENTITY FULL (full `before`)
    await c.query(
      `update users set email = 'ivan.p@bionicpro.test', updated_at = '2024-02-01T00:00:00Z' where id = 1`,
    );
    await c.query(
      `update subscriptions set is_active = false, end_date = '2024-01-31', monthly_cost = 5999.00 where id = 1`,
    );
    await c.query(`update payments set status = 'success' where id = 4`);
    // a primary-key update: delete + tombstone (old key) + create (new key)
    await c.query('update users set id = 100 where id = 3');
    // d + tombstone
    await c.query('delete from payments where id = 2');
    await c.query('delete from subscriptions where id = 2');
    // m: logical decoding messages, transactional and not
    await c.query(`select pg_logical_emit_message(true, 'bionicpro', '{"kind":"batch-marker","batch":1}')`);
    await c.query(`select pg_logical_emit_message(false, 'bionicpro-nontx', 'plain text payload')`);
    // t: truncate
    await c.query(
      `insert into support_tickets (id, user_id, title, description, status, created_at, updated_at)
       values (1, 1, 'Grip weak', 'Left hand grip weakens after 2h', 'open', $1, $1)`,
      [T0],
    );
    await c.query('truncate support_tickets');
  });
}

async function telemetryWorkload(): Promise<void> {
  await withDb('telemetry_db', async (c) => {
    await c.query(
      `insert into telemetry_events (id, event_uuid, user_id, prosthetic_id, prosthesis_type, muscle_group, signal_frequency, signal_duration, signal_amplitude, event_timestamp, saved_ts) values
       (2, 'e0000000-0000-4000-8000-000000000002', 1, 1, 'hand', 'flexor', 300, 80, 1.25, '2024-01-15T09:31:00.5Z', $1),
       (9007199254740993, 'e0000000-0000-4000-8000-000000000003', 2, null, 'leg', 'quadriceps', 150, 200, 0.1, '2024-01-15T09:32:00Z', $1)`,
      [T0],
    );
    await c.query(
      `insert into device_events (id, prosthetic_id, event_type, event_timestamp, event_value, severity, response_time_ms, created_at) values
       (2, 1, 'error', '2024-01-15T10:00:00Z', 'motor_fault', 'critical', null, $1),
       (3, 1, 'power_off', '2024-01-15T11:00:00Z', null, 'info', 15, $1)`,
      [T0],
    );
    await c.query(
      `insert into battery_metrics (id, prosthetic_id, metric_timestamp, charge_level, current_ma, is_charging, created_at)
       values (2, 1, '2024-01-15T11:00:00Z', 40, 900, true, $1)`,
      [T0],
    );
    await c.query('update telemetry_events set signal_amplitude = 0.8 where id = 1');
    await c.query(`update device_events set severity = 'warning' where id = 2`);
    await c.query('delete from battery_metrics where id = 1');
    await c.query('delete from telemetry_events where id = 9007199254740993');
  });
}

async function requestIncrementalSnapshot(db: string, collections: string[]): Promise<void> {
  await withDb(db, (c) =>
    c.query('insert into debezium_signal (id, type, data) values ($1, $2, $3)', [
      `fixture-${db}-incremental`,
      'execute-snapshot',
      JSON.stringify({ 'data-collections': collections, type: 'incremental' }),
    ]),
  );
}

// ------------------------------------------------------------------ Kafka
interface CapturedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
}

const kafka = new Kafka({
  clientId: 'bionicpro-fixture-capture',
  brokers: BROKERS,
  logLevel: logLevel.NOTHING,
});

function topicsOf(all: string[], prefix: string): string[] {
  return all.filter((t) => t.startsWith(`${prefix}.`) || t === `__debezium-heartbeat.${prefix}`).sort();
}

async function endOffsets(topics: string[]): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out = new Map<string, number>();
    for (const t of topics) {
      for (const p of await admin.fetchTopicOffsets(t)) out.set(`${t}/${p.partition}`, Number(p.high));
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

async function listTopics(): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

/** Waits until no data topic of any variant grows for `quietMs` (heartbeat topics keep growing). */
async function waitQuiet(quietMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let since = Date.now();
  while (Date.now() < deadline) {
    const topics = (await listTopics()).filter((t) => VARIANTS.some((v) => t.startsWith(`${v.prefix}.`)));
    const now = JSON.stringify([...(await endOffsets(topics))].sort());
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    await sleep(500);
  }
  throw new Error('topics did not go quiet');
}

/** Reads every record of the topics, up to their current end. */
async function readAll(topics: string[], maxHeartbeats: number): Promise<CapturedRecord[]> {
  const ends = await endOffsets(topics);
  const want = [...ends.values()].reduce((a, b) => a + b, 0);
  const consumer = kafka.consumer({ groupId: `bionicpro-fixture-capture-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  const records: CapturedRecord[] = [];
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${seen}/${want} records`)), 60_000);
    consumer
      .run({
        eachMessage: async ({ topic, partition, message }) => {
          if (Number(message.offset) >= (ends.get(`${topic}/${partition}`) ?? 0)) return;
          seen++;
          records.push({
            topic,
            partition,
            offset: message.offset,
            key: message.key === null ? null : message.key.toString('utf8'),
            value: message.value === null ? null : message.value.toString('utf8'),
          });
          if (seen >= want) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
    if (want === 0) resolve();
  });
  await consumer.disconnect();
  records.sort(
    (a, b) =>
      a.topic.localeCompare(b.topic) || a.partition - b.partition || Number(a.offset) - Number(b.offset),
  );
  // Heartbeats arrive every second for as long as the capture runs: keep the first few.
  let heartbeats = 0;
  return records.filter((r) => !r.topic.startsWith('__debezium-heartbeat.') || heartbeats++ < maxHeartbeats);
}

// ------------------------------------------------------------------ main
async function main(): Promise<void> {
  const t0 = Date.now();
  for (const v of VARIANTS) await deleteConnector(CONNECT, `bp-fx-${v.prefix}`);
  await withDb('postgres', async (c) => {
    await sleep(1000); // let deleted connectors release their slots
    await c.query(
      `select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name like 'bp\\_fx\\_%' and not active`,
    );
  });
  const admin = kafka.admin();
  await admin.connect();
  const stale = (await admin.listTopics()).filter((t) =>
    VARIANTS.some((v) => topicsOf([t], v.prefix).length > 0),
  );
  if (stale.length > 0) await admin.deleteTopics({ topics: stale });
  await admin.disconnect();
  await sleep(stale.length > 0 ? 2000 : 0);

  log('creating tables in crm_db and telemetry_db');
  await createSchema();
  await seedBeforeConnectors();
  log(`registering ${VARIANTS.length} connectors`);
  for (const v of VARIANTS) await putConnector(CONNECT, `bp-fx-${v.prefix}`, connectorConfig(v));
  for (const v of VARIANTS) await waitRunning(CONNECT, `bp-fx-${v.prefix}`, 120_000);
  log('connectors running; waiting for the initial snapshots');
  await waitQuiet(4000, 120_000);
  log('running the workload');
  await crmWorkload();
  await telemetryWorkload();
  await waitQuiet(3000, 120_000);
  log('requesting incremental snapshots through the signal tables');
  await requestIncrementalSnapshot('crm_db', ['public.users', 'public.payments']);
  await requestIncrementalSnapshot('telemetry_db', ['public.telemetry_events']);
  await waitQuiet(5000, 120_000);

  mkdirSync(OUT, { recursive: true });
  const all = await listTopics();
  const summary: string[] = [];
  for (const v of VARIANTS) {
    const records = await readAll(topicsOf(all, v.prefix), 3);
    const file = join(OUT, `${v.name}.jsonl`);
    writeFileSync(file, `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const byTopic = new Map<string, number>();
    for (const r of records) byTopic.set(r.topic, (byTopic.get(r.topic) ?? 0) + 1);
    summary.push(
      `${v.name}.jsonl: ${records.length} records (${[...byTopic].map(([t, n]) => `${t} ${n}`).join(', ')})`,
    );
    log(summary.at(-1) ?? '');
  }
  for (const v of VARIANTS) await deleteConnector(CONNECT, `bp-fx-${v.prefix}`);
  await sleep(1500);
  await withDb('postgres', (c) =>
    c.query(
      `select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name like 'bp\\_fx\\_%' and not active`,
    ),
  );
  log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s; fixtures in ${OUT}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
