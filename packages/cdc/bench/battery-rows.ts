/**
 * Equal `battery_metrics` rows 1..n, generated inside each engine (no rows cross the wire):
 * used by the verify bench and the verify tests.
 */

/** PostgreSQL: inserts rows 1..`rows` into `battery_metrics` (the models' DDL). */
export function sourceBatteryRows(rows: number): { text: string; values: unknown[] } {
  return {
    text: `insert into battery_metrics
     select g, g % 5000, timestamptz '2024-01-01 00:00:00Z' + g * interval '1 ms', (g % 1000) / 10.0, g % 500 - 250,
            g % 3 = 0, timestamptz '2024-01-01 00:00:00Z' + g * interval '1 ms' + interval '0.5 s'
     from generate_series(1, $1::bigint) g`,
    values: [rows],
  };
}

/** ClickHouse: the same rows into the CDC target `relation` (current, not deleted). */
export function replicaBatteryRows(relation: string, rows: number): string {
  return `INSERT INTO ${relation}
      SELECT toInt64(number + 1) AS id, toInt32((number + 1) % 5000), fromUnixTimestamp64Milli(toInt64(1704067200000 + number + 1), 'UTC'),
             ((number + 1) % 1000) / 10, toFloat64(toInt64((number + 1) % 500) - 250), (number + 1) % 3 = 0,
             fromUnixTimestamp64Milli(toInt64(1704067200500 + number + 1), 'UTC'),
             toUInt64(9223372036854775808 + number) AS _version, 0 AS _is_deleted
      FROM numbers(${Math.trunc(rows)})`;
}
