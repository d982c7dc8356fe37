/**
 * A compiled ClickHouse statement: SQL text with `{name:Type}` placeholders and
 * the values to bind, sent apart from the text. Builders in every package
 * return it (compile, then execute — docs/architecture.md); a separate call runs
 * it, so a test can read the SQL without a server and chDB, a ClickHouse server
 * or a cluster run the same statement. Nothing but validated identifiers is
 * spliced into `query`.
 *
 * @example
 * ```ts
 * import type { CompiledQuery } from '@bionicpro/models';
 * const compiled: CompiledQuery = { query: 'SELECT {n:UInt8} AS n', query_params: { n: 1 } };
 * // await client.query({ ...compiled, format: 'JSONEachRow' });
 * ```
 */
export interface CompiledQuery {
  readonly query: string;
  readonly query_params: Readonly<Record<string, unknown>>;
}
