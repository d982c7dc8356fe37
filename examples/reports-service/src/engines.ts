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
  const { createChdbClient } = await import('@bionicpro/etl/chdb');
  const engineArgs = target.engineArgs ?? LEAN_CHDB_ARGS;
  // Engine arguments apply when the process's engine opens, and only through a Session: the
  // connection shares the engine of a Session open on the same path, so one is opened first
  // and kept until the client closes.
  let session: { close(): void } | undefined;
  if (engineArgs.length > 0) {
    const { Session } = await import('chdb');
    session = new Session(target.path, { connectionArgs: engineArgs });
  }
  const client = createChdbClient({ path: target.path, clickhouse_settings: { ...CLICKHOUSE_SETTINGS } });
  if (session !== undefined) {
    const close = client.close.bind(client);
    const held = session;
    client.close = async () => {
      await close();
      held.close();
    };
  }
  return client;
}

/**
 * Engine arguments of an embedded chDB sized for a small reports service
 * (docs: examples/README.md, "A lean embedded service"). chDB's defaults are
 * a server's: 5 GiB each for the mark, primary-index and index-mark caches,
 * 128 MiB of compiled expressions, 100 MiB of query-condition cache. Reports
 * read a few granules per user, so small caches keep their hit rate; the
 * uncompressed cache and the query cache are already off (0 bytes) in chDB.
 * Merges still need the background pool (ReplacingMergeTree marts), so it
 * keeps 2 threads. chDB refuses none of these names; it also ignores names it
 * does not know without an error, so each value here was read back from
 * `system.server_settings` (the query cache's `query_cache.*` arguments are
 * ignored that way).
 */
export const LEAN_CHDB_ARGS: readonly string[] = [
  '--mark_cache_size=67108864',
  '--primary_index_cache_size=33554432',
  '--index_mark_cache_size=16777216',
  '--uncompressed_cache_size=0',
  '--index_uncompressed_cache_size=0',
  '--compiled_expression_cache_size=16777216',
  '--query_condition_cache_size=8388608',
  '--mmap_cache_size=256',
  '--max_threads=2',
  '--background_pool_size=2',
  '--background_schedule_pool_size=2',
  '--background_common_pool_size=1',
  '--background_move_pool_size=1',
  '--background_fetches_pool_size=1',
  '--max_thread_pool_size=256',
  '--max_io_thread_pool_size=16',
  '--max_active_parts_loading_thread_pool_size=4',
  '--max_outdated_parts_loading_thread_pool_size=2',
  '--max_parts_cleaning_thread_pool_size=4',
];

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
