import { PGlite } from '@electric-sql/pglite';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clickhouseDdl,
  columnsOf,
  postgresDdl,
  type SourceTableName,
  sourceTableNames,
  tables,
  validateBatch,
} from '../src/index.js';
import { generateDataset } from '../src/testing.js';

/**
 * The DDL generated from the models is applied to a real PostgreSQL server, to
 * PGlite, and to embedded ClickHouse; generated rows go in and come back equal
 * after parsing with the same models.
 */
const data = generateDataset({
  seed: 3,
  users: 4,
  months: 1,
  eventsPerDay: 5,
  batterySamplesPerDay: 6,
  deviceEventsPerDay: 2,
});
const rowsByTable: Record<SourceTableName, Record<string, unknown>[]> = {
  users: data.users,
  prosthetics: data.prosthetics,
  subscriptions: data.subscriptions,
  payments: data.payments,
  support_tickets: data.supportTickets,
  telemetry_events: [...data.telemetryEvents()].slice(0, 200),
  device_events: [...data.deviceEvents()].slice(0, 200),
  battery_metrics: [...data.batteryMetrics()].slice(0, 200),
};
const order: SourceTableName[] = [
  'users',
  'prosthetics',
  'subscriptions',
  'payments',
  'support_tickets',
  'telemetry_events',
  'device_events',
  'battery_metrics',
];

interface SqlRunner {
  query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** Keeps PostgreSQL `date` as text and bigint as text, as the ETL's extract does. */
const PG_DATE = 1082;

async function roundTripPostgres(db: SqlRunner) {
  for (const name of order) for (const statement of postgresDdl(tables[name])) await db.query(statement);
  for (const name of order) {
    const columns = columnsOf(tables[name]).map((c) => c.name);
    for (const row of rowsByTable[name]) {
      const values = columns.map((c) => {
        const v = row[c];
        return v instanceof Date ? v.toISOString() : v;
      });
      await db.query(
        `INSERT INTO ${name} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
        values,
      );
    }
  }
  for (const name of order) {
    const { rows } = await db.query(`SELECT * FROM ${name} ORDER BY id`);
    const parsed = validateBatch(tables[name].model, rows);
    expect(parsed.rejected, name).toEqual([]);
    const expected = [...rowsByTable[name]].sort((a, b) => (a.id as number) - (b.id as number));
    expect(parsed.valid, name).toEqual(expected);
  }
}

describe('PostgreSQL DDL round trip', () => {
  const database = `models_ddl_${process.pid}`;
  const admin = new pg.Client({
    connectionString: process.env.BIONICPRO_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  });
  let client: pg.Client;

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(process.env.BIONICPRO_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
    url.pathname = `/${database}`;
    client = new pg.Client({
      connectionString: url.toString(),
      types: {
        getTypeParser: (oid: number, format?: 'text' | 'binary') =>
          oid === PG_DATE ? (v: string) => v : pg.types.getTypeParser(oid, format),
      },
    });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.end();
  });

  it('applies to the PostgreSQL server and stores generated rows losslessly', async () => {
    await roundTripPostgres(client);
  });
});

describe('PGlite DDL round trip', () => {
  it('applies to PGlite and stores generated rows losslessly', async () => {
    const db = new PGlite({ parsers: { [PG_DATE]: (v: string) => v } });
    try {
      await roundTripPostgres({
        query: async (sql, params) => ({ rows: (await db.query<Record<string, unknown>>(sql, params)).rows }),
      });
    } finally {
      await db.close();
    }
  });
});

describe('ClickHouse DDL round trip (embedded chDB)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'models-chdb-'));
  // chdb bundles its own @clickhouse/client-common typings; the runtime interface is the same.
  const ch = createClient({ connection: createChdbConnection({ path: dir }) as never });

  afterAll(async () => {
    await ch.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates every raw table and mart and reads generated rows back equal', async () => {
    await ch.command({ query: 'CREATE DATABASE IF NOT EXISTS models_test' });
    for (const table of Object.values(tables)) {
      await ch.command({ query: clickhouseDdl(table, { database: 'models_test' }) });
    }
    for (const name of sourceTableNames) {
      const rows = rowsByTable[name].map((row) =>
        Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])),
      );
      await ch.insert({
        table: `models_test.${name}`,
        values: rows,
        format: 'JSONEachRow',
        clickhouse_settings: { date_time_input_format: 'best_effort' },
      });
      const result = await ch.query({
        query: `SELECT * EXCEPT (_version, _is_deleted) FROM models_test.${name} FINAL ORDER BY id`,
        format: 'JSONEachRow',
        clickhouse_settings: {
          output_format_json_quote_decimals: 1,
          output_format_json_quote_64bit_integers: 1,
        },
      });
      const parsed = validateBatch(tables[name].model, await result.json());
      expect(parsed.rejected, name).toEqual([]);
      const expected = [...rowsByTable[name]].sort((a, b) => (a.id as number) - (b.id as number));
      expect(parsed.valid, name).toEqual(expected);
    }
    const marts = await ch.query({
      query: "SELECT name FROM system.tables WHERE database = 'models_test' ORDER BY name",
      format: 'JSONEachRow',
    });
    expect((await marts.json<{ name: string }>()).map((r) => r.name)).toEqual(Object.keys(tables).sort());
  });
});
