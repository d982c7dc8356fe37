/**
 * ClickHouse target tables of the CDC sink and the query helper that reads
 * their current rows.
 *
 * Each source table gets a `ReplacingMergeTree(_version, _is_deleted)` table
 * with the model's columns plus `_version UInt64` (see `change-version.ts`)
 * and `_is_deleted UInt8`, ordered by the source PRIMARY KEY and not
 * partitioned: ReplacingMergeTree collapses rows only inside one partition and
 * one sorting key, so a partition or sort column that an UPDATE can change
 * (payment_date, user_id, ...) would leave the old row behind, and a delete
 * (which under REPLICA IDENTITY DEFAULT knows only the key) could not reach it.
 */
import {
  assertIdentifier,
  columnsOf,
  DELETED_COLUMN,
  type CompiledQuery,
  type TableDefinition,
  VERSION_COLUMN,
} from '@bionicpro/models';

export { VERSION_COLUMN, DELETED_COLUMN };

/**
 * The ClickHouse client seam, its settings and the compiled-query value are
 * defined once in `@bionicpro/models`; the sink takes the row-array form of
 * `ClickHouseLike` (no byte streams).
 */
export type { ClickHouseLike, ClickHouseSettingsLike, CompiledQuery } from '@bionicpro/models';

/** Where one source table lands in ClickHouse. */
export interface CdcTarget {
  /** Source table name (`source.table`), e.g. `payments`. */
  readonly source: string;
  /** Target table, optionally `database.table`. */
  readonly table: string;
  /** Primary key columns. */
  readonly key: readonly string[];
  /** ClickHouse type of each key column (used to bind keys when reading current rows). */
  readonly keyTypes: readonly string[];
  /** Every data column (without `_version`/`_is_deleted`); undefined means "whatever the change carries". */
  readonly columns: readonly string[] | undefined;
  /**
   * ClickHouse type of each of `columns` (same order), when known. With it the sink writes
   * `Date` values of `DateTime64(p, 'UTC')` columns as plain `YYYY-MM-DD hh:mm:ss.sss` text and
   * needs no `date_time_input_format=best_effort` for such batches (cheaper to parse).
   */
  readonly columnTypes?: readonly string[];
}

/** Options of {@link cdcTargetOf} and {@link cdcTargetDdl}. */
export interface CdcTargetOptions {
  readonly database?: string;
  /** Target table name (default: the source table name). */
  readonly tableName?: string;
  readonly cluster?: string;
}

function qualified(name: string, database: string | undefined): string {
  assertIdentifier('table', name);
  return database ? `${assertIdentifier('database', database)}.${name}` : name;
}

/**
 * The sink target of a table the models define.
 *
 * @example
 * ```ts
 * import { tables } from '@bionicpro/models';
 * import { cdcTargetOf } from '@bionicpro/cdc';
 * cdcTargetOf(tables.payments, { database: 'cdc' }).table; // 'cdc.payments'
 * ```
 */
export function cdcTargetOf(table: TableDefinition, options: CdcTargetOptions = {}): CdcTarget {
  const columns = columnsOf(table);
  return {
    source: table.name,
    table: qualified(options.tableName ?? table.name, options.database),
    key: table.primaryKey,
    keyTypes: table.primaryKey.map((name) => columns.find((c) => c.name === name)!.ch),
    columns: columns.map((c) => c.name),
    columnTypes: columns.map((c) => c.ch),
  };
}

/**
 * `CREATE TABLE IF NOT EXISTS` of a CDC target table: the model's columns,
 * `_version UInt64`, `_is_deleted UInt8`,
 * `ReplacingMergeTree(_version, _is_deleted)` ordered by the primary key.
 *
 * @example
 * ```ts
 * import { tables } from '@bionicpro/models';
 * import { cdcTargetDdl } from '@bionicpro/cdc';
 * await client.command({ query: cdcTargetDdl(tables.users, { database: 'cdc' }) });
 * ```
 */
export function cdcTargetDdl(table: TableDefinition, options: CdcTargetOptions = {}): string {
  const name = qualified(options.tableName ?? table.name, options.database);
  const cluster = options.cluster ? ` ON CLUSTER ${assertIdentifier('cluster', options.cluster)}` : '';
  const lines = columnsOf(table).map((column) => {
    const low = /^LowCardinality\((.*)\)$/.exec(column.ch);
    const type = !column.nullable
      ? column.ch
      : low
        ? `LowCardinality(Nullable(${low[1]}))`
        : `Nullable(${column.ch})`;
    return `  ${column.name} ${type}`;
  });
  lines.push(`  ${VERSION_COLUMN} UInt64`, `  ${DELETED_COLUMN} UInt8 DEFAULT 0`);
  return [
    `CREATE TABLE IF NOT EXISTS ${name}${cluster} (`,
    lines.join(',\n'),
    `)`,
    `ENGINE = ReplacingMergeTree(${VERSION_COLUMN}, ${DELETED_COLUMN})`,
    `ORDER BY (${table.primaryKey.join(', ')})`,
  ].join('\n');
}

/** Options of {@link currentRowsQuery}. */
export interface CurrentRowsOptions {
  readonly columns?: readonly string[];
  /** Extra condition with its own placeholders, e.g. `user_id = {user_id:Int32}`. */
  readonly where?: string;
  readonly params?: Record<string, unknown>;
  readonly orderBy?: readonly string[];
  readonly limit?: number;
}

/**
 * The current rows of a CDC target: `SELECT … FROM t FINAL WHERE
 * _is_deleted = 0`. FINAL collapses versions at read time, so the answer is
 * right whether or not background merges have run.
 *
 * @example
 * ```ts
 * import { currentRowsQuery } from '@bionicpro/cdc';
 * const q = currentRowsQuery('cdc.payments', { where: 'user_id = {user_id:Int32}', params: { user_id: 7 } });
 * const rows = await (await client.query({ ...q, format: 'JSONEachRow' })).json();
 * ```
 */
export function currentRowsQuery(table: string, options: CurrentRowsOptions = {}): CompiledQuery {
  for (const part of table.split('.')) assertIdentifier('table', part);
  const columns =
    options.columns?.map((c) => assertIdentifier('column', c)).join(', ') ??
    `* EXCEPT (${VERSION_COLUMN}, ${DELETED_COLUMN})`;
  let query = `SELECT ${columns} FROM ${table} FINAL WHERE ${DELETED_COLUMN} = 0`;
  if (options.where) query += ` AND (${options.where})`;
  if (options.orderBy?.length)
    query += ` ORDER BY ${options.orderBy.map((c) => assertIdentifier('column', c)).join(', ')}`;
  if (options.limit !== undefined) query += ` LIMIT ${Math.max(0, Math.trunc(options.limit))}`;
  return { query, query_params: { ...options.params } };
}
