/**
 * The ClickHouse client seam every package executes through
 * (docs/architecture.md: each I/O client behind an interface a few methods wide).
 * `@clickhouse/client`'s client satisfies it as is; chDB plugs in behind the same
 * client (`@bionicpro/etl/chdb`). The models never import a client: these are
 * types only.
 */

/** Query settings as `@clickhouse/client` takes them. */
export type ClickHouseSettingsLike = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * A batch of rows handed over as bytes, e.g. to chDB's zero-copy `rawInsert`
 * ({@link ClickHouseLike.insertBody}).
 */
export interface InsertBodyParams {
  /** Target table, database-qualified. */
  readonly table: string;
  /** `TabSeparated` lines (no names; see `columns`) or `JSONEachRow` objects. */
  readonly format: 'TabSeparated' | 'JSONEachRow';
  /** The columns of each line, in order (TabSeparated lines carry no names). */
  readonly columns?: readonly string[];
  /** The rows; only valid until the returned promise settles. */
  readonly body: Uint8Array;
  /** Settings the body needs (none for TabSeparated; JSONEachRow: `date_time_input_format: best_effort`). */
  readonly settings: Readonly<Record<string, string | number>>;
}

/**
 * The methods of `@clickhouse/client`'s client the packages use: `command`,
 * `insert`, `query`, and optionally `insertBody` (zero-copy bytes, set by
 * `createChdbClient`; without it a loader streams its bytes through `insert`).
 * A function that needs less takes a `Pick<ClickHouseLike, …>`.
 *
 * `Stream` is the byte-stream type `insert` may also take as `values` (the ETL's
 * loader passes a Node `Readable`); the default `never` admits row arrays only,
 * so these declarations need no Node types.
 *
 * @example
 * ```ts
 * import type { ClickHouseLike } from '@bionicpro/models';
 * async function countRows(client: Pick<ClickHouseLike, 'query'>, table: string): Promise<number> {
 *   const result = await client.query({
 *     query: 'SELECT count() AS n FROM {table:Identifier}',
 *     query_params: { table },
 *     format: 'JSONEachRow',
 *   });
 *   const [row] = await result.json<{ n: number }>();
 *   return row?.n ?? 0;
 * }
 * ```
 */
export interface ClickHouseLike<Stream = never> {
  command(params: {
    query: string;
    query_params?: Record<string, unknown>;
    clickhouse_settings?: ClickHouseSettingsLike;
  }): Promise<unknown>;
  insert(params: {
    table: string;
    /** Row objects (`JSONEachRow`), arrays in `columns` order (`JSONCompactEachRow`), or a byte stream (`TabSeparated`). */
    values: readonly unknown[] | Stream;
    format: 'JSONEachRow' | 'JSONCompactEachRow' | 'TabSeparated';
    /** The columns of each row, in order (`JSONCompactEachRow`, `TabSeparated`). */
    columns?: [string, ...string[]];
    clickhouse_settings?: ClickHouseSettingsLike;
  }): Promise<unknown>;
  query(params: {
    query: string;
    query_params?: Record<string, unknown>;
    format: 'JSONEachRow';
    clickhouse_settings?: ClickHouseSettingsLike;
  }): Promise<{ json<T = unknown>(): Promise<T[]> }>;
  /** Hands a batch's bytes to the engine without a copy (chDB's `rawInsert`); optional. */
  readonly insertBody?: (params: InsertBodyParams) => Promise<unknown>;
}
