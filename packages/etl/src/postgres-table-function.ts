import {
  columnsOf,
  DELETED_COLUMN,
  qualifiedTableName,
  tables,
  VERSION_COLUMN,
  type TimeWindow,
  type CompiledQuery,
} from '@bionicpro/models';
import { clickhouseTimestamp } from './clickhouse-values.js';
import { TELEMETRY_TIME_COLUMN, type TelemetrySourceTable } from './source-rules-sql.js';

/**
 * `extract: 'clickhouse'`: ClickHouse reads the month's telemetry straight
 * from PostgreSQL with its `postgresql()` table function (embedded chDB has it
 * too) and writes the raw tables in one `INSERT … SELECT` per table; no row
 * passes through this process. The month's time condition is pushed down to
 * PostgreSQL, which streams the rows to ClickHouse with COPY.
 */

/** Where ClickHouse finds a PostgreSQL database: what `postgresql()` takes. */
export interface PostgresTableFunctionSource {
  /** `host:port` as ClickHouse reaches it (port 5432 when the URL has none). */
  readonly hostPort: string;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  /** Schema of the tables (default: PostgreSQL's `public`). */
  readonly schema?: string;
}

/**
 * A `postgres://user:password@host:port/database` URL as `postgresql()`'s arguments.
 *
 * @example
 * ```ts
 * import { postgresTableFunctionSource } from '@bionicpro/etl';
 * postgresTableFunctionSource('postgres://etl:s3cret@pg:5432/telemetry_db');
 * // { hostPort: 'pg:5432', database: 'telemetry_db', user: 'etl', password: 's3cret' }
 * ```
 */
export function postgresTableFunctionSource(url: string): PostgresTableFunctionSource {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new TypeError(`not a PostgreSQL URL: ${JSON.stringify(url.replace(/:[^:@/]*@/, ':***@'))}`, {
      cause: error,
    });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new TypeError(`not a PostgreSQL URL (postgres://…): protocol ${parsed.protocol}`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '') throw new TypeError('the PostgreSQL URL names no database');
  return {
    hostPort: `${parsed.hostname}:${parsed.port || '5432'}`,
    database,
    user: decodeURIComponent(parsed.username) || 'postgres',
    password: decodeURIComponent(parsed.password),
  };
}

/** A ClickHouse string literal. */
function literal(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** Column expressions that make the values what the model parsers would have made them. */
const NORMALISE: Partial<Record<string, string>> = {
  // RequiredText trims (JavaScript's String#trim: any white space).
  muscle_group: `replaceRegexpAll(muscle_group, '^\\\\s+|\\\\s+$', '')`,
};

/**
 * `INSERT INTO raw.<table> … SELECT … FROM postgresql(…) WHERE <month>`: one
 * window of a telemetry table copied by ClickHouse itself, every row stamped
 * with the job's `_version`. Session time zone UTC: `postgresql()` reads
 * `timestamptz` text as local time of the session. Parts are cut at 64 Ki
 * rows, so the engine's memory does not grow with the month.
 *
 * @example
 * ```ts
 * import { monthPeriod, monthWindow, postgresTableFunctionSource, telemetryWindowFromPostgresSql } from '@bionicpro/etl';
 * const source = postgresTableFunctionSource('postgres://etl@pg:5432/telemetry_db');
 * await clickhouse.command(telemetryWindowFromPostgresSql('device_events', monthWindow(monthPeriod('2024-01')), source, { rawDatabase: 'raw', version: Date.now() }));
 * ```
 */
export function telemetryWindowFromPostgresSql(
  table: TelemetrySourceTable,
  window: TimeWindow,
  source: PostgresTableFunctionSource,
  options: { readonly rawDatabase: string; readonly version: number },
): CompiledQuery & { clickhouse_settings: Record<string, string | number> } {
  const columns = columnsOf(tables[table]).map((c) => c.name);
  const ts = TELEMETRY_TIME_COLUMN[table];
  const args = [source.hostPort, source.database, table, source.user, source.password];
  if (source.schema !== undefined) args.push(source.schema);
  const select = columns.map((c) => NORMALISE[c] ?? c);
  // Literal bounds (not query parameters) so ClickHouse pushes the condition down to PostgreSQL.
  const query = `INSERT INTO ${qualifiedTableName(table, options.rawDatabase)} (${[...columns, VERSION_COLUMN, DELETED_COLUMN].join(', ')})
SELECT ${select.join(', ')}, {version:UInt64}, 0
FROM postgresql(${args.map(literal).join(', ')})
WHERE ${ts} >= '${clickhouseTimestamp(window.start)}' AND ${ts} < '${clickhouseTimestamp(window.end)}'`;
  return {
    query,
    query_params: { version: options.version },
    clickhouse_settings: {
      session_timezone: 'UTC',
      // An INSERT … SELECT gathers up to about a million rows per part by default: memory that grows with
      // the month. Parts of at most 64 Ki rows / 8 MiB, read from PostgreSQL in blocks of 16 Ki rows,
      // keep it flat, whatever the month's size (docs/performance.md: peak RSS at 10 M rows 508 → 456 MB;
      // 128 Ki rows / 16 MiB and 64 Ki-row blocks held 508 MB).
      min_insert_block_size_rows: 65_536,
      min_insert_block_size_bytes: 8 << 20,
      max_block_size: 16_384,
    },
  };
}
