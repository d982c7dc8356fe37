/**
 * The Kafka-engine path's views on embedded chDB, fed through plain tables
 * standing in for the Kafka table (the end-to-end test in test/e2e runs the
 * real `Kafka` engine against the broker): the captured envelopes must reach
 * the same current rows as the library sink, and every message the applying
 * view does not apply must land in the dead-letter view with its reason.
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
  kafkaEngineDeadLetterSelect,
  kafkaEngineSelect,
  kafkaEngineSourceDdl,
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
      query: `INSERT INTO ${database}.${table.name} ${kafkaEngineSelect(table, { from: `${database}.${table.name}_raw`, rawOnly: true, decimalHandlingMode: mode })}`,
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
      query: `INSERT INTO toast_ke.payments ${kafkaEngineSelect(tables.payments, { from: 'toast_ke.raw', rawOnly: true })}`,
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
    // The Kafka table needs a broker (see test/e2e): a Null table with its columns stands in here.
    await client.command({ query: statements[0]! });
    await client.command({ query: statements[1]! });
    await client.command({ query: kafkaEngineSourceDdl('ddl_ke.users_kafka', { engine: 'Null' }) });
    await client.command({ query: statements[3]! });
    await client.command({ query: statements[4]! });
    expect(() => kafkaEngineSelect(tables.users, { from: 'x; DROP TABLE y' })).toThrow();
    // Lazily evaluated forms, merged with the views' filter, re-ran every conversion per branch
    // (50–100× slower): the views use eager forms only, and ARRAY JOIN as their filter.
    for (const table of Object.values(tables)) {
      for (const select of [
        kafkaEngineSelect(table, { from: 'm' }),
        kafkaEngineDeadLetterSelect(table, { from: 'm', decimalHandlingMode: 'string' }),
      ]) {
        expect(select).not.toMatch(/\b(if|multiIf|ifNull|coalesce)\(|\b(AND|OR|BETWEEN)\b|WHERE __code/);
      }
    }
  });
});

/** A Debezium envelope (schemas off) as the connector writes it. */
function envelope(op: string, row: Record<string, unknown> | null, source: Record<string, unknown>): string {
  const body = {
    before: op === 'd' ? row : null,
    after: op === 'd' ? null : row,
    source: {
      connector: 'postgresql',
      name: 'ke',
      db: 'db',
      schema: 'public',
      table: 'telemetry_events',
      ...source,
    },
    op,
    ts_ms: 1705312800999,
  };
  return JSON.stringify(body);
}

const event = (id: number | string, extra: Record<string, unknown> = {}) => ({
  id: typeof id === 'number' ? id : `@@${id}`,
  event_uuid: '6f9619ff-8b86-d011-b42d-00cf4fc964ff',
  user_id: 7,
  prosthetic_id: null,
  prosthesis_type: 'arm',
  muscle_group: 'biceps',
  signal_frequency: 250,
  signal_duration: 1200,
  signal_amplitude: 0.1 + 0.2,
  event_timestamp: '2024-01-15T10:00:00.123456Z',
  saved_ts: '2024-01-15T10:00:01Z',
  ...extra,
});

/** `{…"id":"@@<digits>"…}` → `{…"id":<digits>…}`: a JSON number too large for a JS number. */
const exactIds = (text: string) => text.replace(/"@@(-?[0-9.]+)"/g, '$1');

describe('Kafka-engine views: every message applied or dead-lettered with a reason', () => {
  it('applies good changes exactly (64-bit ids, string LSNs, wrapped forms) and dead-letters each bad one', async () => {
    const db = 'ke_views';
    await client.command({ query: `CREATE DATABASE ${db}` });
    const statements = kafkaEngineDdl(tables.telemetry_events, {
      brokers: 'unused:9092',
      topic: 'ke.public.telemetry_events',
      database: db,
    });
    // The views exactly as kafkaEngineDdl emits them, on a Null table with the Kafka table's columns.
    statements[2] = kafkaEngineSourceDdl(`${db}.telemetry_events_kafka`, { engine: 'Null' });
    for (const query of statements) await client.command({ query });

    const schemaWrapped = (text: string) => `{"schema":{"type":"struct","optional":false},"payload":${text}}`;
    const good: [string, string][] = [
      ['c 2^63-1', exactIds(envelope('c', event('9223372036854775807'), { lsn: 100 }))],
      ['c 2^53+1', exactIds(envelope('c', event('9007199254740993'), { lsn: 101 }))],
      [
        'r 5',
        envelope('r', event(5, { signal_frequency: 1 }), { snapshot: 'true', ts_us: 1705312800000001 }),
      ],
      ['u 5', envelope('u', event(5, { signal_frequency: 2 }), { lsn: 102 })],
      [
        'd 2^53+1',
        exactIds(envelope('d', { id: '@@9007199254740993', event_uuid: null, user_id: null }, { lsn: 103 })),
      ],
      ['c 7 wrapped', schemaWrapped(envelope('c', event(7), { lsn: 104 }))],
      ['c 8 payload only', `{"payload":${envelope('c', event(8), { lsn: 105 })}}`],
      ['c 9 lsn as digits', envelope('c', event(9), { lsn: '106' })],
      ['c 10 micro timestamp', envelope('c', event(10, { saved_ts: 1705312801000000 }), { lsn: 107 })],
    ];
    const bad: [string, string, string, RegExp][] = [
      ['not json', '{not json', 'invalid_json', /not JSON/],
      ['no lsn', envelope('c', event(20), {}), 'missing_lsn', /source\.lsn.*got nothing/],
      ['fractional lsn', envelope('c', event(21), { lsn: 1.5 }), 'missing_lsn', /got 1\.5/],
      ['truncate', envelope('t', null, { lsn: 108 }), 'truncate', /cannot delete/],
      ['unknown op', envelope('x', event(22), { lsn: 109 }), 'unknown_op', /op x is not a row change/],
      ['op missing', '{"after":{"id":23},"source":{"lsn":110}}', 'invalid_envelope', /op is missing/],
      ['op null', '{"op":null,"after":{"id":23},"source":{"lsn":110}}', 'invalid_envelope', /op is missing/],
      [
        'bad uuid',
        envelope('c', event(24, { event_uuid: 'not-a-uuid' }), { lsn: 111 }),
        'invalid_value',
        /column event_uuid: expected UUID, got "not-a-uuid"/,
      ],
      [
        'uuid without dashes',
        envelope('c', event(25, { event_uuid: '6f9619ff8b86d011b42d00cf4fc964ff' }), { lsn: 112 }),
        'invalid_value',
        /column event_uuid/,
      ],
      [
        'id 2^63',
        exactIds(envelope('c', event('9223372036854775808'), { lsn: 113 })),
        'invalid_value',
        /column id: expected Int64, got 9223372036854775808/,
      ],
      [
        'fractional id',
        exactIds(envelope('c', event('26.5'), { lsn: 114 })),
        'invalid_value',
        /column id: expected Int64, got 26\.5/,
      ],
      [
        'negative UInt32',
        envelope('c', event(27, { signal_frequency: -1 }), { lsn: 115 }),
        'invalid_value',
        /column signal_frequency: expected UInt32, got -1/,
      ],
      [
        'year 0026',
        envelope('c', event(28, { event_timestamp: '0026-11-20T08:00:00Z' }), { lsn: 116 }),
        'invalid_value',
        /column event_timestamp: expected DateTime64\(3, 'UTC'\), got "0026-11-20T08:00:00Z"/,
      ],
      [
        'month 13',
        envelope('c', event(29, { saved_ts: '2024-13-01T00:00:00Z' }), { lsn: 117 }),
        'invalid_value',
        /column saved_ts/,
      ],
      [
        'null in a non-nullable column',
        envelope('c', event(30, { muscle_group: null }), { lsn: 118 }),
        'invalid_value',
        /column muscle_group: expected String, got null/,
      ],
      [
        'missing column',
        envelope('c', { id: 31 }, { lsn: 119 }),
        'invalid_value',
        /column event_uuid: expected UUID, got nothing/,
      ],
      [
        'number for text',
        envelope('c', event(32, { muscle_group: 5 }), { lsn: 120 }),
        'invalid_value',
        /column muscle_group/,
      ],
      ['unwrapped', '{"id":33,"__op":"c","__lsn":121}', 'unwrapped_record', /ExtractNewRecordState/],
      [
        'delete without before',
        envelope('d', null, { lsn: 122 }),
        'invalid_envelope',
        /delete without before/,
      ],
      ['delete with a bad key', envelope('d', { id: 'x' }, { lsn: 123 }), 'invalid_value', /column id/],
      [
        'toast placeholder',
        envelope('u', event(5, { muscle_group: '__debezium_unavailable_value' }), { lsn: 124 }),
        'toast_without_previous_row',
        /unchanged-TOAST/,
      ],
      ['array value', '[1,2]', 'invalid_envelope', /op is missing/],
    ];
    const rows = [
      ...good.map(([, raw]) => ({ raw, _error: '' })),
      { raw: '', _error: '' }, // a tombstone
      ...bad.map(([, raw]) => ({ raw, _error: '' })),
      // What the engine hands over for a message its format could not read (kafka_handle_error_mode='stream').
      { raw: '', _error: 'Cannot parse JSON object here', _raw_message: '\u0001binary' },
    ].map((row, offset) => ({
      _topic: 'ke.public.telemetry_events',
      _partition: 0,
      _offset: offset,
      _key: `{"id":${offset}}`,
      ...row,
    }));
    await client.insert({ table: `${db}.telemetry_events_kafka`, values: rows, format: 'JSONEachRow' });

    const target = (await (
      await client.query({
        query: `SELECT toString(id) AS id, signal_frequency, toString(saved_ts) AS saved_ts, toString(signal_amplitude) AS amp FROM ${db}.telemetry_events FINAL WHERE _is_deleted = 0 ORDER BY id`,
        format: 'JSONEachRow',
      })
    ).json()) as { id: string; signal_frequency: number; saved_ts: string; amp: string }[];
    expect(target.map((r) => r.id)).toEqual(['10', '5', '7', '8', '9', '9223372036854775807']);
    expect(target.find((r) => r.id === '5')?.signal_frequency).toBe(2);
    expect(target.find((r) => r.id === '10')?.saved_ts).toBe('2024-01-15 10:00:01.000');
    expect(target.find((r) => r.id === '7')?.amp).toBe('0.30000000000000004');
    const [deleted] = (await (
      await client.query({
        query: `SELECT toString(id) AS id FROM ${db}.telemetry_events WHERE _is_deleted = 1`,
        format: 'JSONEachRow',
      })
    ).json()) as { id: string }[];
    expect(deleted?.id).toBe('9007199254740993');

    const letters = (await (
      await client.query({
        query: `SELECT offset, key, value, code, reason FROM ${db}.cdc_dead_letters ORDER BY offset`,
        format: 'JSONEachRow',
      })
    ).json()) as { offset: string; key: string; value: string; code: string; reason: string }[];
    const firstBad = good.length + 1;
    expect(letters.map((l) => Number(l.offset))).toEqual([
      ...bad.map((_, i) => firstBad + i),
      firstBad + bad.length,
    ]);
    bad.forEach(([name, raw, code, reason], i) => {
      const letter = letters[i]!;
      expect({ name, code: letter.code, value: letter.value }).toEqual({ name, code, value: raw });
      expect(letter.reason, name).toMatch(reason);
      expect(letter.key).toBe(`{"id":${firstBad + i}}`);
    });
    expect(letters.at(-1)).toMatchObject({
      code: 'invalid_json',
      value: '\u0001binary',
      reason: 'the value is not JSON: Cannot parse JSON object here',
    });
  });

  it('dead-letters decimals that do not fit, in every decimal handling mode, and dates that do not exist', async () => {
    const db = 'ke_decimals';
    await client.command({ query: `CREATE DATABASE ${db}` });
    await client.command({ query: cdcTargetDdl(tables.payments, { database: db }) });
    await client.command({ query: cdcTargetDdl(tables.prosthetics, { database: db }) });
    await client.command({ query: kafkaEngineSourceDdl(`${db}.messages`) });
    const payment = (id: number, amount: unknown) =>
      envelope(
        'c',
        {
          id,
          user_id: 1,
          subscription_id: null,
          payment_date: '2024-01-15T10:00:00Z',
          amount,
          payment_method: 'card',
          status: 'success',
          description: null,
          created_at: '2024-01-15T10:00:00Z',
        },
        { lsn: 200 + id },
      );
    const bytes = (unscaled: bigint) => {
      const hex = BigInt.asUintN(64, unscaled).toString(16).padStart(16, '0');
      return Buffer.from(hex, 'hex').toString('base64');
    };
    const cases = {
      precise: [
        payment(1, bytes(299900n)),
        payment(2, bytes(-550n)),
        payment(3, 'asdf$$$'),
        payment(4, bytes(10n ** 10n)),
        payment(5, 12.5),
      ],
      string: [
        payment(1, '2999.00'),
        payment(2, '-5.50'),
        payment(3, '12.345'),
        payment(4, '100000000.00'),
        payment(5, 'abc'),
      ],
      double: [payment(1, 2999.0), payment(2, -5.5), payment(3, '12.34'), payment(4, 1e8), payment(5, true)],
    } as const;
    for (const [mode, values] of Object.entries(cases) as [keyof typeof cases, readonly string[]][]) {
      await client.command({ query: `TRUNCATE TABLE ${db}.messages` });
      await client.command({ query: `TRUNCATE TABLE ${db}.payments` });
      await client.insert({
        table: `${db}.messages`,
        values: values.map((raw, i) => ({ raw, _topic: 't', _partition: 0, _offset: i, _key: '' })),
        format: 'JSONEachRow',
      });
      const options = { from: `${db}.messages`, decimalHandlingMode: mode };
      await client.command({
        query: `INSERT INTO ${db}.payments ${kafkaEngineSelect(tables.payments, options)}`,
      });
      const applied = await currentRows(`${db}.payments`);
      expect({ mode, amounts: applied.map((r) => r['amount']) }).toEqual({
        mode,
        amounts: ['2999.00', '-5.50'],
      });
      const letters = (await (
        await client.query({
          query: kafkaEngineDeadLetterSelect(tables.payments, options),
          format: 'JSONEachRow',
        })
      ).json()) as { offset: string; code: string; reason: string }[];
      expect({ mode, letters: letters.map((l) => [Number(l.offset), l.code]) }).toEqual({
        mode,
        letters: [
          [2, 'invalid_value'],
          [3, 'invalid_value'],
          [4, 'invalid_value'],
        ],
      });
      for (const l of letters) expect(l.reason).toMatch(/^column amount: expected Decimal\(10, 2\), got /);
    }

    const prosthetic = (id: number, purchase_date: unknown) =>
      envelope(
        'c',
        {
          id,
          user_id: 1,
          prosthetic_uuid: '6f9619ff-8b86-d011-b42d-00cf4fc964ff',
          device_type: 'arm',
          serial_number: 's',
          chip_id: 'c',
          model: 'm',
          purchase_date,
          warranty_end_date: 19737,
          is_active: true,
          created_at: '2024-01-15T10:00:00Z',
          updated_at: '2024-01-15T10:00:00Z',
        },
        { lsn: 300 + id },
      );
    await client.command({ query: `TRUNCATE TABLE ${db}.messages` });
    await client.insert({
      table: `${db}.messages`,
      values: [
        prosthetic(1, 19737),
        prosthetic(2, '2024-02-29'),
        prosthetic(3, '2024-02-30'),
        prosthetic(4, 70000),
        prosthetic(5, -1),
      ].map((raw, i) => ({ raw, _topic: 't', _partition: 0, _offset: i, _key: '' })),
      format: 'JSONEachRow',
    });
    const options = { from: `${db}.messages` };
    await client.command({
      query: `INSERT INTO ${db}.prosthetics ${kafkaEngineSelect(tables.prosthetics, options)}`,
    });
    const applied = await currentRows(`${db}.prosthetics`);
    expect(applied.map((r) => r['purchase_date'])).toEqual(['2024-01-15', '2024-02-29']);
    const letters = (await (
      await client.query({
        query: kafkaEngineDeadLetterSelect(tables.prosthetics, options),
        format: 'JSONEachRow',
      })
    ).json()) as { offset: string; reason: string }[];
    expect(letters.map((l) => [Number(l.offset), l.reason])).toEqual([
      [2, 'column purchase_date: expected Date, got "2024-02-30"'],
      [3, 'column purchase_date: expected Date, got 70000'],
      [4, 'column purchase_date: expected Date, got -1'],
    ]);
  });
});

/** mulberry32: a small seeded PRNG, so a failing input can be reproduced. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_VALUES = [
  'null',
  '""',
  '"x"',
  '-1',
  '1.5',
  '18446744073709551616',
  '9223372036854775808',
  '-9223372036854775809',
  '1e400',
  'true',
  '{}',
  '[]',
  `"${'y'.repeat(5000)}"`,
  '"__debezium_unavailable_value"',
  '"2024-02-30"',
  '"not-a-uuid"',
  '"asdf$$$"',
  '"0026-11-20T08:00:00Z"',
  '"99999-01-01T00:00:00Z"',
  '"/////////////////////w=="',
  `${'['.repeat(60)}1${']'.repeat(60)}`,
  '"\\u0000"',
  '"t"',
  '"m"',
];

/** One mutation of a real envelope's text: a field replaced, removed or duplicated, the text cut, or nothing. */
function mutate(raw: string, random: () => number): string {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const roll = random();
  if (roll < 0.1) return raw.slice(0, Math.floor(random() * raw.length));
  if (roll < 0.15) return raw;
  // Replace the value after a random `"name":` with an odd one, or drop the pair.
  const names = [...raw.matchAll(/"([A-Za-z_]+)":/g)];
  if (names.length === 0) return raw;
  const at = pick(names);
  const start = at.index! + at[0].length;
  let depth = 0;
  let end = start;
  for (let inString = false; end < raw.length; end++) {
    const c = raw[end]!;
    if (inString) {
      if (c === '\\') end++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      if (depth === 0) break;
      depth--;
    } else if (c === ',' && depth === 0) break;
  }
  if (roll < 0.25) return `${raw.slice(0, at.index!)}"${at[1]}_gone":${raw.slice(start)}`;
  if (roll < 0.3) return `${raw.slice(0, end)},${at[0]}${pick(ODD_VALUES)}${raw.slice(end)}`;
  return `${raw.slice(0, start)}${pick(ODD_VALUES)}${raw.slice(end)}`;
}

describe('Kafka-engine views under mutated envelopes', () => {
  it('never throw, and put each of 6,000 mutated real envelopes in exactly one place: the target or the dead letters with a reason', async () => {
    const db = 'ke_fuzz';
    await client.command({ query: `CREATE DATABASE ${db}` });
    await client.command({ query: kafkaEngineSourceDdl(`${db}.messages`) });
    const random = prng(20261206);
    let total = 0;
    for (const [table, files] of [
      [tables.payments, ['crm-schemas-precise.jsonl', 'crm-schemaless-precise.jsonl']],
      [tables.users, ['crm-schemas-precise.jsonl', 'crm-schemaless-precise.jsonl']],
      [tables.telemetry_events, ['telemetry-schemas-precise.jsonl', 'telemetry-schemaless-precise.jsonl']],
    ] as const) {
      const originals = files
        .flatMap((file) => read(file))
        .filter((m) => m.topic.endsWith(`.public.${table.name}`) && typeof m.value === 'string')
        .map((m) => m.value as string);
      expect(originals.length).toBeGreaterThan(0);
      const values = Array.from({ length: 2000 }, (_, i) => {
        let raw = originals[i % originals.length]!;
        for (let n = 1 + Math.floor(random() * 3); n > 0; n--) raw = mutate(raw, random);
        return { raw, _topic: table.name, _partition: 0, _offset: i, _key: '' };
      });
      await client.command({ query: `TRUNCATE TABLE ${db}.messages` });
      await client.insert({ table: `${db}.messages`, values, format: 'JSONEachRow' });
      const options = { from: `${db}.messages` };
      await client.command({ query: cdcTargetDdl(table, { database: db }) });
      // The applying view's insert, type conversions into the target included, must not throw.
      await client.command({ query: `INSERT INTO ${db}.${table.name} ${kafkaEngineSelect(table, options)}` });
      const count = async (query: string) =>
        Number(
          (
            (await (
              await client.query({ query: `SELECT count() AS n FROM (${query})`, format: 'JSONEachRow' })
            ).json()) as {
              n: string;
            }[]
          )[0]!.n,
        );
      const applied = await count(kafkaEngineSelect(table, options));
      const dead = await count(kafkaEngineDeadLetterSelect(table, options));
      const withoutReason = await count(
        `SELECT * FROM (${kafkaEngineDeadLetterSelect(table, options)}) WHERE code = '' OR reason = ''`,
      );
      const nonEmpty = values.filter((v) => v.raw !== '').length;
      expect({ table: table.name, sum: applied + dead, withoutReason }).toEqual({
        table: table.name,
        sum: nonEmpty,
        withoutReason: 0,
      });
      // The mutations hit both outcomes.
      expect(applied).toBeGreaterThan(0);
      expect(dead).toBeGreaterThan(100);
      total += nonEmpty;
    }
    expect(total).toBeGreaterThan(5900);
  });
});
