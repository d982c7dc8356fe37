import {
  columnsOf,
  MAX_TIMESTAMP_MS,
  MIN_TIMESTAMP_MS,
  ProsthesisType,
  tables,
  type TimeWindow,
} from '@bionicpro/models';

/**
 * The models' row rules for the telemetry tables, as PostgreSQL conditions.
 * With `extract: 'clickhouse'` the rows travel from PostgreSQL to ClickHouse
 * without passing through the model parsers, so the rules that PostgreSQL's
 * column types do not already enforce are checked by one SQL query per table
 * on the PostgreSQL side, which sees the true values (ClickHouse's
 * `postgresql()` reads NaN and ±Infinity as NULL and a non-nullable NULL as
 * the type's default, so it could not tell).
 *
 * | rule | tables | model |
 * | --- | --- | --- |
 * | not null | every non-nullable column | every column without `optionalColumn` |
 * | id >= 1 | `id`, `user_id`, `prosthetic_id` | `Id`, `BigId` |
 * | instant in 1900-01-01 … 2299-12-31 | every `timestamptz` column | `Timestamp` (`DateTime64` range) |
 * | finite | every `double precision` column | `Float64` |
 * | 0 ≤ charge_level ≤ 100 | battery_metrics | `ChargeLevel` |
 * | ≥ 0 | signal_frequency, signal_duration, response_time_ms | `NonNegativeInt` |
 * | not blank | muscle_group | `RequiredText` |
 * | one of arm, hand, leg | prosthesis_type | `ProsthesisType` |
 * | not empty | event_type, severity | `lenientModel(DeviceEvent)`: new firmware's types pass |
 *
 * Left to PostgreSQL's types: integer ranges (`integer` is Int32), UUID syntax,
 * text encoding (PostgreSQL stores no NUL byte).
 */

/** One rule: the column it concerns, what it demands, and the SQL condition that is true for a row breaking it. */
export interface SourceRule {
  readonly column: string;
  readonly rule: string;
  readonly violated: string;
}

/** Tables whose month window {@link sourceRules} covers. */
export type TelemetrySourceTable = 'telemetry_events' | 'device_events' | 'battery_metrics';

const MIN_INSTANT = new Date(MIN_TIMESTAMP_MS).toISOString();
const MAX_INSTANT = new Date(MAX_TIMESTAMP_MS).toISOString();

const SPECIFIC: Record<TelemetrySourceTable, readonly SourceRule[]> = {
  telemetry_events: [
    {
      column: 'prosthesis_type',
      rule: `must be one of ${ProsthesisType.options.join(', ')}`,
      violated: `prosthesis_type NOT IN (${ProsthesisType.options.map((v) => `'${v}'`).join(', ')})`,
    },
    { column: 'muscle_group', rule: 'must not be empty', violated: `muscle_group ~ '^\\s*$'` },
    { column: 'signal_frequency', rule: 'must not be negative', violated: 'signal_frequency < 0' },
    { column: 'signal_duration', rule: 'must not be negative', violated: 'signal_duration < 0' },
  ],
  device_events: [
    { column: 'event_type', rule: 'must not be empty', violated: `event_type = ''` },
    { column: 'severity', rule: 'must not be empty', violated: `severity = ''` },
    { column: 'response_time_ms', rule: 'must not be negative', violated: 'response_time_ms < 0' },
  ],
  battery_metrics: [
    {
      column: 'charge_level',
      rule: 'must be between 0 and 100',
      violated: 'charge_level < 0 OR charge_level > 100',
    },
  ],
};

/**
 * Every rule of a telemetry table, in the order they are reported (the first broken rule names the row's fault).
 *
 * @example
 * ```ts
 * import { sourceRules } from '@bionicpro/etl';
 * sourceRules('battery_metrics').find((r) => r.column === 'charge_level')?.rule; // 'must be between 0 and 100'
 * ```
 */
export function sourceRules(table: TelemetrySourceTable): SourceRule[] {
  const rules: SourceRule[] = [];
  const columns = columnsOf(tables[table]);
  for (const column of columns) {
    if (!column.nullable) {
      rules.push({ column: column.name, rule: 'must not be null', violated: `${column.name} IS NULL` });
    }
  }
  for (const column of columns) {
    const name = column.name;
    if ((name === 'id' || name.endsWith('_id')) && (column.pg === 'bigint' || column.pg === 'integer')) {
      rules.push({ column: name, rule: 'must be an id >= 1', violated: `${name} < 1` });
    } else if (column.pg === 'timestamptz') {
      rules.push({
        column: name,
        rule: `must lie within ${MIN_INSTANT.slice(0, 10)} … ${MAX_INSTANT.slice(0, 10)}`,
        violated: `NOT (${name} >= '${MIN_INSTANT}' AND ${name} <= '${MAX_INSTANT}')`,
      });
    } else if (column.pg === 'double precision') {
      rules.push({
        column: name,
        rule: 'must be a finite number',
        violated: `${name} IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)`,
      });
    }
  }
  rules.push(...SPECIFIC[table]);
  return rules;
}

/** Timestamp column that selects a telemetry table's month. */
export const TELEMETRY_TIME_COLUMN: Record<TelemetrySourceTable, string> = {
  telemetry_events: 'event_timestamp',
  device_events: 'event_timestamp',
  battery_metrics: 'metric_timestamp',
};

/** What {@link sourceCheckQuery}'s one row holds. */
export interface SourceCheckRow {
  /** Rows of the window. */
  readonly rows: string | number;
  /** First and last instant of the window's rows, `YYYY-MM-DD hh:mm:ss.mmm` UTC (null without rows). */
  readonly first: string | null;
  readonly last: string | null;
  /** Rows breaking a rule. */
  readonly bad: string | number;
  /** Up to `limit` of them, as `id<TAB>column<TAB>rule`, lowest ids first. */
  readonly samples: readonly string[] | null;
}

/**
 * One PostgreSQL query over a table's window: its row count, first and last
 * instant (compared with what ClickHouse loaded), and the rows breaking
 * {@link sourceRules} (count and the first `limit`, by id). Parameters: `$1`
 * window start, `$2` window end (ISO-8601).
 *
 * @example
 * ```ts
 * import { monthPeriod, monthWindow, sourceCheckQuery } from '@bionicpro/etl';
 * const { text, values } = sourceCheckQuery('battery_metrics', monthWindow(monthPeriod('2024-01')));
 * const [check] = (await pool.query(text, values)).rows;
 * ```
 */
export function sourceCheckQuery(
  table: TelemetrySourceTable,
  window: TimeWindow,
  limit = 10,
): { text: string; values: string[] } {
  const ts = TELEMETRY_TIME_COLUMN[table];
  const rules = sourceRules(table);
  const reason = `CASE ${rules
    .map((r) => `WHEN ${r.violated} THEN '${r.column}\t${r.rule.replaceAll("'", "''")}'`)
    .join(' ')} END`;
  const utc = (expression: string) => `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')`;
  const text = `SELECT count(*) AS rows, ${utc(`min(${ts})`)} AS first, ${utc(`max(${ts})`)} AS last,
  count(*) FILTER (WHERE reason IS NOT NULL) AS bad,
  (array_agg(id::text || E'\\t' || reason ORDER BY id) FILTER (WHERE reason IS NOT NULL))[1:${Math.max(1, Math.floor(limit))}] AS samples
FROM (SELECT id, ${ts}, ${reason} AS reason FROM ${table} WHERE ${ts} >= $1 AND ${ts} < $2) AS window_rows`;
  return { text, values: [window.start.toISOString(), window.end.toISOString()] };
}
