import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { postgresDdl, type TableDefinition, type TableHome, tables } from '@bionicpro/models';
import { ensureWarehouse } from '@bionicpro/etl';
import pg from 'pg';
import type { ClickHouseTarget, ServiceConfig } from './config.js';
import type { PgQueryable } from './ingestion/postgres-writer.js';

/** Settings every ClickHouse client of the examples sends: exact decimals, 64-bit ints as text. */
export const CLICKHOUSE_SETTINGS = {
  output_format_json_quote_decimals: 1,
  output_format_json_quote_64bit_integers: 1,
} as const;

/**
 * A ClickHouse client for a server (HTTP) or embedded chDB (a data
 * directory). The rest of the code cannot tell which: both are
 * `@clickhouse/client` clients.
 *
 * @example
 * ```ts
 * const client = await connectClickHouse({ kind: 'embedded', path: '/tmp/chdb' });
 * ```
 */
export async function connectClickHouse(target: ClickHouseTarget): Promise<ClickHouseClient> {
  if (target.kind === 'server') {
    return createClient({
      url: target.url,
      ...(target.username === undefined ? {} : { username: target.username }),
      ...(target.password === undefined ? {} : { password: target.password }),
      clickhouse_settings: { ...CLICKHOUSE_SETTINGS },
    });
  }
  // chdb is loaded only when embedded mode is used (it is a native module).
  const { createChdbConnection } = await import('chdb/connection');
  return createClient({
    connection: createChdbConnection({ path: target.path }) as never,
    clickhouse_settings: { ...CLICKHOUSE_SETTINGS },
  });
}

/**
 * Creates the OLTP tables of one database (`crm` or `telemetry`) from the models, if missing.
 *
 * @example
 * ```ts
 * await ensureOltpSchema(crmPool, 'crm');
 * ```
 */
export async function ensureOltpSchema(
  db: PgQueryable,
  home: Exclude<TableHome, 'warehouse'>,
): Promise<void> {
  for (const table of Object.values(tables) as TableDefinition[]) {
    if (table.home !== home) continue;
    for (const statement of postgresDdl(table)) await db.query(statement);
  }
}

/**
 * A `pg` pool with the settings the service relies on: UTC session time zone
 * and bounded size. `numeric` stays text (exact money), as `pg` returns it.
 *
 * @example
 * ```ts
 * const crm = createPgPool(config.crmDatabaseUrl, { max: 10 });
 * ```
 */
export function createPgPool(connectionString: string, options: { max?: number } = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    options: '-c TimeZone=UTC',
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return pool;
}

/**
 * Creates whatever is missing: the OLTP tables in both PostgreSQL databases
 * and the ClickHouse databases and tables of the ETL's layout.
 *
 * @example
 * ```ts
 * if (config.ensureSchema) await ensureSchemas(config);
 * ```
 */
export async function ensureSchemas(config: ServiceConfig): Promise<void> {
  const crm = createPgPool(config.crmDatabaseUrl, { max: 1 });
  const telemetry = createPgPool(config.telemetryDatabaseUrl, { max: 1 });
  try {
    await ensureOltpSchema(crm, 'crm');
    await ensureOltpSchema(telemetry, 'telemetry');
  } finally {
    await Promise.allSettled([crm.end(), telemetry.end()]);
  }
  const clickhouse = await connectClickHouse(config.clickhouse);
  try {
    await ensureWarehouse(clickhouse, { rawDatabase: config.rawDatabase, martDatabase: config.martDatabase });
  } finally {
    await clickhouse.close();
  }
}
