/**
 * The first-hour verbs of `bionicpro-etl`: `init` creates the PostgreSQL tables
 * and the ClickHouse warehouse, `load-files` loads table files into PostgreSQL
 * for a trial. Both are idempotent.
 */
import {
  BionicProError,
  columnsOf,
  postgresSchemaDdl,
  type SourceTableName,
  type TableDefinition,
  tables,
} from '@bionicpro/models';
import { inputFiles, type InputReadOptions, streamInputFile } from './input-files.js';
import type { PgClientLike, PgPoolLike } from './postgres-extract.js';

/** A setup step failed for a reason the user can fix (a missing table, a row the database refuses). */
export class SetupError extends BionicProError {
  readonly code = 'setup_failed' as const;
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'SetupError';
  }
}

/** The OLTP databases and their tables, each after the tables its foreign keys reference. */
export const SOURCE_DATABASES = {
  crm: ['users', 'prosthetics', 'subscriptions', 'payments', 'support_tickets'],
  telemetry: ['telemetry_events', 'device_events', 'battery_metrics'],
} as const satisfies Record<'crm' | 'telemetry', readonly SourceTableName[]>;

export type SourceDatabase = keyof typeof SOURCE_DATABASES;

/**
 * Opens a pool on `url`, creating the database first when the server says it
 * does not exist (connecting through the server's `postgres` database).
 */
export async function openOrCreateDatabase(
  url: string,
  open: (url: string) => Promise<PgPoolLike & { end(): Promise<void> }>,
): Promise<{ pool: PgPoolLike & { end(): Promise<void> }; created: boolean }> {
  const pool = await open(url);
  try {
    await pool.query('SELECT 1');
    return { pool, created: false };
  } catch (error) {
    await pool.end();
    if ((error as { code?: string }).code !== '3D000') throw error;
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const maintenance = await open(admin.toString());
  try {
    await maintenance.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (error) {
    // Another `init` may have created it meanwhile.
    if ((error as { code?: string }).code !== '42P04') throw error;
  } finally {
    await maintenance.end();
  }
  return { pool: await open(url), created: true };
}

/** Creates every table of one OLTP database in foreign-key order, in one transaction. */
export async function createSourceTables(pool: PgPoolLike, database: SourceDatabase): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const statement of postgresSchemaDdl(database)) await client.query(statement);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return [...SOURCE_DATABASES[database]];
}

/** What `load-files` did per table. */
export interface LoadedTable {
  readonly file: string;
  readonly rows: number;
  readonly inserted: number;
  /** Rows whose key was already stored (a repeated load). */
  readonly skipped: number;
}

/** The table files of `dir` per database, checked by {@link inputFiles}. */
export function filesByDatabase(dir: string): Record<SourceDatabase, Map<SourceTableName, string>> {
  const all: readonly SourceTableName[] = [...SOURCE_DATABASES.crm, ...SOURCE_DATABASES.telemetry];
  const found = inputFiles(dir, all);
  const pick = (names: readonly SourceTableName[]) =>
    new Map(names.flatMap((name) => (found.has(name) ? [[name, found.get(name)!] as const] : [])));
  return { crm: pick(SOURCE_DATABASES.crm), telemetry: pick(SOURCE_DATABASES.telemetry) };
}

/**
 * Loads the table files of one database into PostgreSQL: every row validated
 * by its model, inserted in batches in one transaction (a bad row or a refused
 * foreign key rolls the whole database back: nothing is half-loaded), rows
 * whose key exists skipped (`ON CONFLICT DO NOTHING`), identity sequences moved
 * past the loaded ids.
 */
export async function loadSourceFiles(
  pool: PgPoolLike,
  files: ReadonlyMap<SourceTableName, string>,
  options: InputReadOptions & { readonly batchSize?: number } = {},
): Promise<Record<string, LoadedTable>> {
  const batchSize = options.batchSize ?? 500;
  const client = await pool.connect();
  const result: Record<string, LoadedTable> = {};
  try {
    await client.query('BEGIN');
    for (const [table, file] of files) {
      const definition = tables[table] as TableDefinition;
      const columns = columnsOf(definition).map((c) => c.name);
      let rows = 0;
      let inserted = 0;
      let batch: Record<string, unknown>[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        inserted += await insertBatch(client, definition, columns, batch, file);
        batch = [];
      };
      for await (const row of streamInputFile(file, table, options)) {
        rows += 1;
        batch.push(row as Record<string, unknown>);
        if (batch.length >= batchSize) await flush();
      }
      await flush();
      for (const column of definition.identity ?? []) {
        await client.query(
          `SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT max(${column}) FROM ${table}), 1))`,
          [table, column],
        );
      }
      result[table] = { file, rows, inserted, skipped: rows - inserted };
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return result;
}

async function insertBatch(
  client: PgClientLike,
  table: TableDefinition,
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
  file: string,
): Promise<number> {
  const params: unknown[] = [];
  const tuples = rows.map((row) => {
    const slots = columns.map((column) => {
      params.push(row[column] ?? null);
      return `$${params.length}`;
    });
    return `(${slots.join(', ')})`;
  });
  const sql = `INSERT INTO ${table.name} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`;
  try {
    const { rowCount } = await client.query(sql, params);
    return rowCount ?? 0;
  } catch (error) {
    const pgError = error as { code?: string; message?: string; detail?: string };
    if (pgError.code === '42P01') {
      throw new SetupError(`table ${table.name} does not exist: run \`bionicpro-etl init\` first`, {
        cause: error,
      });
    }
    if (pgError.code?.startsWith('23') || pgError.code?.startsWith('22')) {
      const detail = pgError.detail ? ` (${pgError.detail})` : '';
      throw new SetupError(
        `${file}: PostgreSQL refused a row: ${pgError.message}${detail}; nothing of this database was loaded`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}
