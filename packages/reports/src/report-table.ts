import {
  assertIdentifier,
  DELETED_COLUMN,
  type TableDefinition,
  tables,
  InvalidArgumentError,
} from '@bionicpro/models';

/**
 * A ClickHouse table a report reads, with what a scoped query needs to know:
 * the column holding the user id (first in ORDER BY, so the scope predicate
 * hits the primary key) and whether current rows need `FINAL` (tables kept by
 * the CDC sink and the ETL as `ReplacingMergeTree` with a deletion flag).
 */
export interface ReportTable {
  readonly name: string;
  readonly database: string | undefined;
  /** Column compared with the scope's user id. */
  readonly userColumn: string;
  /** Read with `FINAL` and skip rows flagged deleted. */
  readonly final: boolean;
  readonly deletedColumn: string | undefined;
  /** Columns of the table, from the model; used to validate column names given to builders. */
  readonly columns: ReadonlySet<string>;
}

/** Options of {@link reportTable}. */
export interface ReportTableOptions {
  /** Database holding the table (default: the client's current database). */
  readonly database?: string;
  /** Table name when it differs from the model's (e.g. a Distributed table). */
  readonly name?: string;
  /**
   * Read with `FINAL` and skip rows flagged deleted. Default: true for the
   * models' `ReplacingMergeTree` tables (kept by the CDC sink and the ETL).
   * Set it when the table behind `name` is laid out differently.
   */
  readonly final?: boolean;
}

/**
 * Describes a table of the models' `tables` registry for report queries. The
 * table must have a user column leading its ORDER BY (`user_id`, or `id` for
 * `users`); identifiers are validated here, once, at configuration time.
 *
 * @example
 * ```ts
 * import { tables } from '@bionicpro/models';
 * const marts = reportTable(tables.report_user_monthly_metrics, { database: 'reports' });
 * ```
 */
export function reportTable(definition: TableDefinition, options: ReportTableOptions = {}): ReportTable {
  const name = assertIdentifier('table', options.name ?? definition.name);
  const database =
    options.database === undefined ? undefined : assertIdentifier('database', options.database);
  const columns = new Set(Object.keys(definition.model.shape));
  const userColumn = definition.name === 'users' ? 'id' : 'user_id';
  if (!columns.has(userColumn) || definition.clickhouse.orderBy[0] !== userColumn) {
    throw new InvalidArgumentError(
      'definition',
      `table ${definition.name} cannot be read per user: its ORDER BY must start with ${userColumn}`,
    );
  }
  const final = options.final ?? definition.clickhouse.engine === 'ReplacingMergeTree';
  return Object.freeze({
    name,
    database,
    userColumn,
    final,
    deletedColumn: final ? DELETED_COLUMN : undefined,
    columns,
  });
}

/** The tables the four reports of docs/reports.md read. */
export interface ReportTables {
  /** report_user_monthly_metrics (monthly user report finance). */
  readonly userMonthly: ReportTable;
  /** report_prosthetic_monthly_metrics (monthly user report devices). */
  readonly prostheticMonthly: ReportTable;
  /** user_prosthesis_stats (daily usage report hourly). */
  readonly hourly: ReportTable;
  /** telemetry_events, raw EMG events. */
  readonly telemetryEvents: ReportTable;
  /** users, one current row per user (EMG report name and e-mail). */
  readonly users: ReportTable;
}

/**
 * The default report tables, optionally in one database and with renamed tables.
 *
 * @example
 * ```ts
 * const t = reportTables({ database: 'reports' });
 * t.telemetryEvents.final; // true: kept by the CDC sink as ReplacingMergeTree
 * ```
 */
export function reportTables(
  options: { readonly database?: string; readonly names?: Partial<Record<keyof ReportTables, string>> } = {},
): ReportTables {
  const opts = (key: keyof ReportTables): ReportTableOptions => ({
    ...(options.database === undefined ? {} : { database: options.database }),
    ...(options.names?.[key] === undefined ? {} : { name: options.names[key] }),
  });
  return Object.freeze({
    userMonthly: reportTable(tables.report_user_monthly_metrics, opts('userMonthly')),
    prostheticMonthly: reportTable(tables.report_prosthetic_monthly_metrics, opts('prostheticMonthly')),
    hourly: reportTable(tables.user_prosthesis_stats, opts('hourly')),
    telemetryEvents: reportTable(tables.telemetry_events, opts('telemetryEvents')),
    users: reportTable(tables.users, opts('users')),
  });
}
