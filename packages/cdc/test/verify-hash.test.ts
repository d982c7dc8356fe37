/**
 * The row hash of `verifyReplica` computed by PostgreSQL (its own lookup3 hash functions) and by
 * ClickHouse (the same steps in SQL) agrees on the same values, column type by column type, on
 * values that are easy to get wrong: NULLs, unicode, money, instants stored with microseconds in
 * PostgreSQL and milliseconds in ClickHouse, 64-bit extremes, doubles that need every bit. And a
 * change of one value in one row is found, by key, also one that keeps the 32-bit fold of
 * PostgreSQL's int8 hash (64-bit integers, instants, money).
 */
import {
  BigId,
  columnsOf,
  Id,
  Money,
  postgresDdl,
  type TableDefinition,
  tables,
  Text,
  Timestamp,
} from '@bionicpro/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { requireService } from '../../../test/services.js';
import {
  createTables,
  dropDatabase,
  freshDatabase,
  insertRows,
} from '../../../test/e2e/support/source-database.js';
import { cdcTargetDdl, verifyReplica } from '../src/index.js';
import { replicaLeafQuery, sourceLeafQuery } from '../src/verify-plan.js';
import { createChdbClient } from './chdb-client.js';

const postgres = requireService('postgres');
const database = `cdc_verify_hash_${process.pid}`;
const replicaDatabase = 'verify_hash';

type Row = Record<string, unknown>;

/** What ClickHouse stores of a PostgreSQL value: instants cut to milliseconds. */
function toReplica(row: Row): Row {
  const out: Row = { _version: '1', _is_deleted: 0 };
  for (const [key, value] of Object.entries(row)) {
    out[key] =
      typeof value === 'string' && /^\d{4}-\d\d-\d\dT.*Z$/.test(value)
        ? value.replace(/(\.\d{3})\d*Z$/, '$1Z')
        : value;
  }
  return out;
}

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const rows: Record<'users' | 'subscriptions' | 'payments' | 'telemetry_events' | 'battery_metrics', Row[]> = {
  users: [
    {
      id: 1,
      user_uuid: uuid(1),
      name: 'Zoë Ångström 😀',
      email: 'zoe@example.com',
      age: null,
      gender: null,
      country: 'Ελλάδα',
      address: 'line\u001fwith a unit separator',
      phone: '',
      ldap_username: null,
      registered_at: '1900-01-01T00:00:00.000Z',
      updated_at: '2299-12-31T23:59:59.999999Z',
    },
    {
      id: 2147483647,
      user_uuid: 'ffffffff-ffff-4fff-bfff-ffffffffffff',
      name: '-',
      email: 'x@example.com',
      age: 255,
      gender: 'female',
      country: '',
      address: '-',
      phone: '0',
      ldap_username: 'NULL',
      registered_at: '1969-12-31T23:59:59.999Z',
      updated_at: '2000-01-01T00:00:00.000500Z',
    },
  ],
  subscriptions: [
    {
      id: 1,
      user_id: 1,
      subscription_type: 'basic',
      start_date: '1970-01-01',
      end_date: null,
      is_active: true,
      monthly_cost: '0.00',
      created_at: '2024-02-29T12:00:00.123456Z',
      updated_at: '2024-02-29T12:00:00.123Z',
    },
    {
      id: 2,
      user_id: 2147483647,
      subscription_type: 'premium',
      start_date: '2149-06-06',
      end_date: '2000-01-01',
      is_active: false,
      monthly_cost: '99999999.99',
      created_at: '2024-02-29T12:00:00.999999Z',
      updated_at: '2024-02-29T12:00:00.000Z',
    },
  ],
  payments: [
    {
      id: 1,
      user_id: 1,
      subscription_id: null,
      payment_date: '2026-03-01T00:00:00.000Z',
      amount: '-0.01',
      payment_method: 'card',
      status: 'success',
      description: null,
      created_at: '2026-03-01T00:00:00.001Z',
    },
    {
      id: 2,
      user_id: 1,
      subscription_id: 2,
      payment_date: '2026-03-01T00:00:00.000Z',
      amount: '0.01',
      payment_method: 'card',
      status: 'pending',
      description: '',
      created_at: '2026-03-01T00:00:00.001Z',
    },
  ],
  telemetry_events: [
    {
      id: '9223372036854775807',
      event_uuid: uuid(7),
      user_id: 1,
      prosthetic_id: null,
      prosthesis_type: 'hand',
      muscle_group: 'flexor',
      signal_frequency: 2147483647,
      signal_duration: 0,
      signal_amplitude: 0.30000000000000004,
      event_timestamp: '2026-03-31T23:59:59.999999Z',
      saved_ts: '2026-04-01T00:00:00.000Z',
    },
    {
      id: '1',
      event_uuid: uuid(8),
      user_id: 1,
      prosthetic_id: 2147483647,
      prosthesis_type: 'arm',
      muscle_group: 'Вицепс',
      signal_frequency: 0,
      signal_duration: 2147483647,
      signal_amplitude: 5e-324,
      event_timestamp: '2026-03-31T23:59:59.999Z',
      saved_ts: '2026-04-01T00:00:00.000Z',
    },
    {
      id: '4294967297',
      event_uuid: uuid(9),
      user_id: 1,
      prosthetic_id: 1,
      prosthesis_type: 'arm',
      muscle_group: 'x',
      signal_frequency: 1,
      signal_duration: 1,
      signal_amplitude: 1.7976931348623157e308,
      event_timestamp: '2026-03-31T23:59:59.999Z',
      saved_ts: '2026-04-01T00:00:00.000Z',
    },
  ],
  battery_metrics: [
    {
      id: '1',
      prosthetic_id: 1,
      metric_timestamp: '2026-03-01T00:00:00.000Z',
      charge_level: 0,
      current_ma: -2.5e-308,
      is_charging: true,
      created_at: '2026-03-01T00:00:00.000Z',
    },
    {
      id: '2',
      prosthetic_id: 1,
      metric_timestamp: '2026-03-01T00:00:00.000Z',
      charge_level: 100,
      current_ma: -1e300,
      is_charging: false,
      created_at: '2026-03-01T00:00:00.000Z',
    },
  ],
};

const names = Object.keys(rows) as (keyof typeof rows)[];

/**
 * A table of wide columns (64-bit integers, an instant, money, text): PostgreSQL's int8 hash folds
 * their 64-bit value to 32 bits (low half XOR high half, or XOR its complement when negative).
 */
const wideTable: TableDefinition = {
  name: 'wide_values',
  home: 'telemetry',
  model: z.object({
    id: Id,
    counter: BigId,
    spare: BigId.nullable(),
    at: Timestamp,
    amount: Money,
    note: Text.nullable(),
  }),
  primaryKey: ['id'],
  clickhouse: { engine: 'ReplacingMergeTree', orderBy: ['id'] },
};

/** PostgreSQL's int8 hash key of a 64-bit value: what a change must keep to be missed without the high lane. */
const fold = (v: bigint) => {
  const lo = BigInt.asUintN(32, v);
  const hi = BigInt.asUintN(32, v >> 32n);
  return v >= 0n ? lo ^ hi : lo ^ (hi ^ 0xffffffffn);
};

const PG_EPOCH_MS = 946_684_800_000n;
/** Another millisecond instant whose microseconds since 2000 have the same fold as `iso`'s. */
function sameFoldInstant(iso: string): string {
  const micros = (BigInt(Date.parse(iso)) - PG_EPOCH_MS) * 1000n;
  for (let hi = (micros >> 32n) + 1n; ; hi++) {
    const other = (hi << 32n) | (fold(micros) ^ hi);
    if (other % 1000n === 0n) return new Date(Number(other / 1000n + PG_EPOCH_MS)).toISOString();
  }
}

const at0 = '2026-03-01T00:00:00.000Z';
const at1 = sameFoldInstant(at0);
const wideRows: Row[] = [
  { id: 1, counter: '0', spare: null, at: at0, amount: '0.01', note: null },
  { id: 2, counter: '-1', spare: '-1', at: at0, amount: '-0.01', note: 'x' },
  { id: 3, counter: '4294967297', spare: '9223372036854775807', at: at1, amount: '42949672.96', note: '' },
  {
    id: 4,
    counter: '4294967295',
    spare: '-9223372036854775808',
    at: at0,
    amount: '85899345.90',
    note: 'Zoë',
  },
  {
    id: 5,
    counter: '-9223372036854775808',
    spare: '4294967296',
    at: '1900-01-01T00:00:00.000Z',
    amount: '-99999999.99',
    note: null,
  },
  {
    id: 6,
    counter: '9223372036854775807',
    spare: '0',
    at: '2299-12-31T23:59:59.999Z',
    amount: '99999999.99',
    note: 'y',
  },
];
/** One value changed per row, each keeping the fold of the value it replaces. */
const wideChanges: [number, Row][] = [
  [1, { counter: '4294967297' }],
  [2, { counter: '4294967295' }],
  [3, { at: at0 }],
  [4, { amount: '-0.01' }],
  [5, { spare: '1' }],
];
let pool: Awaited<ReturnType<typeof freshDatabase>>;
const ch = createChdbClient();

beforeAll(async () => {
  pool = await freshDatabase(postgres, database);
  await createTables(pool, names);
  await ch.command({ query: `CREATE DATABASE ${replicaDatabase}` });
  for (const statement of postgresDdl(wideTable)) await pool.query(statement);
  await insertRows(pool, wideTable, wideRows);
  await ch.command({ query: cdcTargetDdl(wideTable, { database: replicaDatabase }) });
  await ch.insert({
    table: `${replicaDatabase}.${wideTable.name}`,
    values: wideRows.map(toReplica),
    format: 'JSONEachRow',
    clickhouse_settings: { date_time_input_format: 'best_effort' },
  });
  for (const name of names) {
    await insertRows(pool, tables[name], rows[name]);
    await ch.command({ query: cdcTargetDdl(tables[name], { database: replicaDatabase }) });
    await ch.insert({
      table: `${replicaDatabase}.${name}`,
      values: rows[name].map(toReplica),
      format: 'JSONEachRow',
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
  }
});

afterAll(async () => {
  await ch.close();
  await pool?.end();
  await dropDatabase(postgres, database);
});

const where = (name: keyof typeof rows) => ({
  table: tables[name] as TableDefinition,
  source: name,
  replica: `${replicaDatabase}.${name}`,
});
/** Every key of the table's first primary-key column (Int32 or Int64). */
const whole = (name: keyof typeof rows) =>
  columnsOf(tables[name]).find((c) => c.name === 'id')?.ch === 'Int64'
    ? { lo: -(1n << 63n), hi: (1n << 63n) - 1n }
    : { lo: -(1n << 31n), hi: (1n << 31n) - 1n };

describe('verify row hash across engines', () => {
  it.each(names)('%s: each row hashes alike in PostgreSQL and ClickHouse, rows apart', async (name) => {
    const source = sourceLeafQuery(where(name), whole(name));
    const s = (await pool.query(source.text, source.values)).rows as { k0: string; hash: string }[];
    const r = (await (
      await ch.query({ ...replicaLeafQuery(where(name), whole(name)), format: 'JSONEachRow' })
    ).json()) as { k0: string; hash: string }[];
    const byKey = (list: { k0: string; hash: string }[]) =>
      Object.fromEntries(list.map((row) => [row.k0, row.hash]));
    expect(s).toHaveLength(rows[name].length);
    expect(byKey(r)).toEqual(byKey(s));
    expect(new Set(s.map((row) => row.hash)).size).toBe(s.length);
    const report = await verifyReplica({
      table: tables[name],
      source: { client: pool },
      replica: { client: ch, table: `${replicaDatabase}.${name}` },
    });
    expect(report).toMatchObject({
      equal: true,
      rows: { source: rows[name].length, replica: rows[name].length },
    });
  });

  it('names the key of each row changed by one value in ClickHouse', async () => {
    const changes: [keyof typeof rows, number, Row, unknown][] = [
      ['users', 0, { name: 'Zoe Ångström 😀' }, 1],
      ['users', 1, { ldap_username: null }, 2147483647],
      ['subscriptions', 0, { end_date: '2000-01-01' }, 1],
      ['payments', 1, { amount: '0.02' }, 2],
      ['payments', 0, { description: '' }, 1],
      ['telemetry_events', 0, { signal_amplitude: 0.3 }, '9223372036854775807'],
      ['telemetry_events', 1, { saved_ts: '2026-04-01T00:00:00.001Z' }, 1],
      ['battery_metrics', 1, { is_charging: true }, 2],
    ];
    for (const [name, index, change] of changes) {
      await ch.insert({
        table: `${replicaDatabase}.${name}`,
        values: [{ ...toReplica({ ...rows[name][index], ...change }), _version: '2' }],
        format: 'JSONEachRow',
        clickhouse_settings: { date_time_input_format: 'best_effort' },
      });
    }
    for (const name of names) {
      const report = await verifyReplica({
        table: tables[name],
        source: { client: pool },
        replica: { client: ch, table: `${replicaDatabase}.${name}` },
      });
      const expected = changes.filter(([n]) => n === name).map(([, , , key]) => key);
      expect(report.different.map((key) => key['id'])).toEqual(
        expected.sort((a, b) => (BigInt(String(a)) < BigInt(String(b)) ? -1 : 1)),
      );
      expect(report).toMatchObject({ missing: [], extra: [], equal: false });
    }
  });

  it('names every change of a wide column that keeps the 32-bit fold of its int8 hash', async () => {
    const money = (text: unknown) => BigInt(String(text).replace('.', ''));
    const micros = (iso: unknown) => (BigInt(Date.parse(String(iso))) - PG_EPOCH_MS) * 1000n;
    for (const [id, change] of wideChanges) {
      const [column, value] = Object.entries(change)[0] as [string, unknown];
      const before = wideRows[id - 1]?.[column];
      const asInt64 =
        column === 'amount' ? money : column === 'at' ? micros : (v: unknown) => BigInt(String(v));
      expect(asInt64(value)).not.toBe(asInt64(before));
      expect(fold(asInt64(value))).toBe(fold(asInt64(before)));
    }
    const whole = { lo: -(1n << 31n), hi: (1n << 31n) - 1n };
    const place = {
      table: wideTable,
      source: wideTable.name,
      replica: `${replicaDatabase}.${wideTable.name}`,
    };
    const source = sourceLeafQuery(place, whole);
    const s = (await pool.query(source.text, source.values)).rows as { k0: string; hash: string }[];
    const r = (await (
      await ch.query({ ...replicaLeafQuery(place, whole), format: 'JSONEachRow' })
    ).json()) as {
      k0: string;
      hash: string;
    }[];
    const byKey = (list: { k0: string; hash: string }[]) =>
      Object.fromEntries(list.map((row) => [row.k0, row.hash]));
    expect(s).toHaveLength(wideRows.length);
    expect(byKey(r)).toEqual(byKey(s));
    const verify = () =>
      verifyReplica({
        table: wideTable,
        source: { client: pool },
        replica: { client: ch, table: place.replica },
      });
    expect(await verify()).toMatchObject({
      equal: true,
      rows: { source: wideRows.length, replica: wideRows.length },
    });
    await ch.insert({
      table: place.replica,
      values: wideChanges.map(([id, change]) => ({
        ...toReplica({ ...wideRows[id - 1], ...change }),
        _version: '2',
      })),
      format: 'JSONEachRow',
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
    const report = await verify();
    expect(report.different.map((key) => key['id'])).toEqual(wideChanges.map(([id]) => id));
    expect(report).toMatchObject({ missing: [], extra: [], equal: false });
  });
});
