/**
 * A throwaway PostgreSQL database per end-to-end test file, with the OLTP tables of
 * @bionicpro/models, and row writers that put generated rows in with their own ids.
 */
import { columnsOf, postgresDdl, type TableDefinition, tables } from '@bionicpro/models';
import pg from 'pg';
import { type PostgresService, postgresUrl } from '../../services.js';

// Keep timestamps, dates and bigints as PostgreSQL's text so comparisons see every microsecond.
for (const oid of [20, 1082, 1114, 1184, 1700]) pg.types.setTypeParser(oid, (v: string) => v);

export type SourceTableName =
  | 'users'
  | 'prosthetics'
  | 'subscriptions'
  | 'payments'
  | 'support_tickets'
  | 'telemetry_events'
  | 'device_events'
  | 'battery_metrics';

/** Drops (after dropping its replication slots) and recreates a database; returns a pool on it. */
export async function freshDatabase(service: PostgresService, name: string): Promise<pg.Pool> {
  const admin = new pg.Client({ connectionString: postgresUrl(service, 'postgres') });
  await admin.connect();
  try {
    await admin.query(
      `select pg_terminate_backend(active_pid) from pg_replication_slots where database = $1 and active_pid is not null`,
      [name],
    );
    await admin.query(
      `select pg_drop_replication_slot(slot_name) from pg_replication_slots where database = $1`,
      [name],
    );
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return new pg.Pool({ connectionString: postgresUrl(service, name), max: 4 });
}

/** Drops a database made by {@link freshDatabase}, ending its connections. */
export async function dropDatabase(service: PostgresService, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: postgresUrl(service, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end();
  }
}

/** Creates the tables (in dependency order as given) from the models' PostgreSQL DDL. */
export async function createTables(pool: pg.Pool, names: readonly SourceTableName[]): Promise<void> {
  for (const name of names) for (const statement of postgresDdl(tables[name])) await pool.query(statement);
}

function toParam(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** Multi-row INSERT of model rows (every column, ids included), in chunks. */
export async function insertRows(
  db: pg.Pool | pg.PoolClient,
  table: TableDefinition,
  rows: readonly Record<string, unknown>[],
  chunk = 500,
): Promise<void> {
  const columns = columnsOf(table).map((c) => c.name);
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    const params: unknown[] = [];
    const values = part.map(
      (row) => `(${columns.map((c) => `$${params.push(toParam(row[c] ?? null))}`).join(', ')})`,
    );
    await db.query(`insert into ${table.name} (${columns.join(', ')}) values ${values.join(', ')}`, params);
  }
}

/** Every row of a table, ordered by primary key, values as PostgreSQL text. */
export async function sourceRows(pool: pg.Pool, table: TableDefinition): Promise<Record<string, unknown>[]> {
  const columns = columnsOf(table).map((c) => c.name);
  const { rows } = await pool.query(
    `select ${columns.join(', ')} from ${table.name} order by ${table.primaryKey.join(', ')}`,
  );
  return rows;
}
