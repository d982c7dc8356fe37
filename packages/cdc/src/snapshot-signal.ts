/**
 * Executes the re-snapshot signal built by {@link incrementalSnapshotSignal}
 * against the source database; the only code of the connector setup that runs SQL.
 */
import { incrementalSnapshotSignal, type SnapshotSignalOptions } from './debezium-connector.js';

/** The one method of `pg`'s Client/Pool (or any driver) the signal needs. */
export interface SqlExecutor {
  query(sql: string, params: unknown[]): Promise<unknown>;
}

/**
 * Inserts an `execute-snapshot` signal; returns the signal id.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { requestIncrementalSnapshot } from '@bionicpro/cdc';
 * const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1/crm_db' });
 * await requestIncrementalSnapshot(pool, { tables: ['public.users', 'public.payments'] });
 * ```
 */
export async function requestIncrementalSnapshot(
  db: SqlExecutor,
  options: SnapshotSignalOptions,
): Promise<string> {
  const statement = incrementalSnapshotSignal(options);
  await db.query(statement.sql, [...statement.params]);
  return statement.params[0] as string;
}
