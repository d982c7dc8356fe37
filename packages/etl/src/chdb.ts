/**
 * `@bionicpro/etl/chdb` — embedded ClickHouse (chDB) behind `@clickhouse/client`,
 * typed. Needs the optional peers `chdb` and `@clickhouse/client`.
 */
import {
  type ClickHouseClient,
  type ClickHouseClientConfigOptions,
  type ClickHouseSettings,
  createClient,
} from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import type { InsertBodyParams } from '@bionicpro/models';

/** Query settings the embedded engine gets by default: it shares the process, so one thread and no parallel parsing keep its memory small. */
export const CHDB_SETTINGS = { max_threads: 1, input_format_parallel_parsing: 0 } as const;

/** Options of {@link createChdbClient}. */
export interface ChdbClientOptions {
  /** Data directory of the embedded engine (created when missing); one process per directory. */
  readonly path: string;
  /** Settings for every query (default {@link CHDB_SETTINGS}). */
  readonly clickhouse_settings?: ClickHouseSettings;
  /** `log` of `@clickhouse/client`: a `LoggerClass` routing its messages into your logger, and a `level`. */
  readonly log?: ChdbClientLog;
}

type ClickHouseLog = NonNullable<ClickHouseClientConfigOptions['log']>;

/** The `log` option of `@clickhouse/client`, as {@link createChdbClient} passes it on. */
export interface ChdbClientLog {
  /** A class implementing `@clickhouse/client`'s `Logger` (trace, debug, info, warn, error). */
  readonly LoggerClass?: ClickHouseLog['LoggerClass'];
  /** The lowest level logged (`@clickhouse/client`'s `ClickHouseLogLevel`). */
  readonly level?: ClickHouseLog['level'];
}

/** A `@clickhouse/client` client on chDB, plus `insertBody` (zero-copy raw inserts the ETL's loader uses). */
export type ChdbClient = ClickHouseClient & {
  insertBody(params: InsertBodyParams): Promise<unknown>;
};

/** The same option without absent keys, as `exactOptionalPropertyTypes` wants it. */
function clickHouseLog(log: ChdbClientLog): ClickHouseLog {
  return {
    ...(log.LoggerClass === undefined ? {} : { LoggerClass: log.LoggerClass }),
    ...(log.level === undefined ? {} : { level: log.level }),
  };
}

/**
 * `createClient({ connection: createChdbConnection({ path }) })`, typed: the
 * `chdb/connection` declarations describe `Connection` with the types of
 * `@clickhouse/client-common`, which `@clickhouse/client` ≥ 1.23.1 declares
 * separately, so the documented one-liner fails `tsc --strict` (TS2322) although
 * it works. The conversion is made once, here.
 *
 * @example
 * ```ts
 * import { createChdbClient } from '@bionicpro/etl/chdb';
 * const clickhouse = createChdbClient({ path: './warehouse' });
 * await clickhouse.command({ query: 'CREATE DATABASE IF NOT EXISTS reports' });
 * await clickhouse.close();
 * ```
 */
export function createChdbClient(options: ChdbClientOptions): ChdbClient {
  const connection = createChdbConnection({ path: options.path });
  const settings: ClickHouseSettings = options.clickhouse_settings ?? CHDB_SETTINGS;
  const client = createClient({
    connection: connection as unknown as NonNullable<ClickHouseClientConfigOptions['connection']>,
    clickhouse_settings: settings,
    ...(options.log === undefined ? {} : { log: clickHouseLog(options.log) }),
  });
  // Batches go to chDB as TabSeparated bytes (zero-copy rawInsert), not as row
  // objects turned into one query string per batch.
  const insertBody = (params: InsertBodyParams) =>
    connection.chdb.rawInsert({
      table: params.table,
      format: params.format,
      ...(params.columns ? { columns: params.columns } : {}),
      values: params.body,
      settings: { ...(settings as Record<string, string | number>), ...params.settings },
    });
  return Object.assign(client, { insertBody });
}
