/**
 * The ClickHouse Kafka-engine path: a `Kafka` table reading Debezium's JSON,
 * a materialized view that applies every change it can, and a second view
 * that dead-letters every message the first does not apply, with a reason.
 * Nothing is dropped in silence.
 *
 * - The target is `ReplacingMergeTree(_version, _is_deleted)` ordered by the
 *   primary key (`cdcTargetDdl`), written exactly as the library sink writes
 *   it: `_version` comes from the source position (`2^63 + LSN` for streamed
 *   changes, the read time in µs for snapshot reads, see `change-version.ts`),
 *   deletes (`op = 'd'`, key from `before`) carry `_is_deleted = 1`.
 * - Every value is converted with a function that cannot throw (`…OrNull`,
 *   `tryBase64Decode`, range checks before arithmetic): an exception inside a
 *   materialized view would stop the Kafka table's consumption for every
 *   message behind it. A value that does not convert routes its message to
 *   the dead letters; no `…OrZero` conversion ever writes a made-up value.
 * - 64-bit integers are read by `JSONExtract(…, 'Nullable(Int64)')`, never
 *   through a double, so ids up to 2^63−1 arrive exact.
 * - Dead-letter codes: `invalid_json` (the engine's JSON reader, or the
 *   view, found no JSON value), `invalid_envelope` (`op`, `after` or
 *   `before` missing),
 *   `unwrapped_record` (an `ExtractNewRecordState` record: this path reads
 *   envelopes), `unknown_op`, `truncate` (a view cannot delete every row of
 *   its target), `missing_lsn` (a streamed change without an integer
 *   `source.lsn` has no version that orders it), `toast_without_previous_row`
 *   (a view cannot read the previous row, so it must not write the
 *   unchanged-TOAST placeholder over a real value: use REPLICA IDENTITY FULL
 *   for such tables, or the library sink) and `invalid_value` (a column's
 *   value does not fit its ClickHouse type: bad UUID, out-of-range integer,
 *   malformed decimal or instant, a NULL in a non-nullable column, …).
 * - Tombstones (empty values after a delete) carry nothing to apply: the
 *   delete before them already did. They are neither applied nor dead-lettered.
 *
 * See the package README, "The Kafka-engine path".
 */
import { assertIdentifier, columnsOf, type TableDefinition } from '@bionicpro/models';
import { cdcTargetDdl } from './clickhouse-target.js';
import { deadLetterTableDdl } from './dead-letter.js';
import { DEFAULT_UNAVAILABLE_PLACEHOLDER } from './unavailable-value.js';

/** Options of {@link kafkaEngineSelect} and {@link kafkaEngineDeadLetterSelect}. */
export interface KafkaEngineSelectOptions {
  /**
   * The relation to read: the Kafka table, or any table with the Kafka table's
   * columns (`raw String` plus the virtual columns `_topic`, `_partition`,
   * `_offset`, `_key`, `_error`, `_raw_message`; see {@link kafkaEngineSourceDdl}).
   */
  readonly from: string;
  /**
   * `true` when `from` has only a `raw String` column (a dump of record values):
   * topic, partition and offset of dead letters are then empty/0.
   */
  readonly rawOnly?: boolean;
  /** The connector's `decimal.handling.mode` (default `precise`). */
  readonly decimalHandlingMode?: 'precise' | 'string' | 'double';
  readonly unavailablePlaceholder?: string;
}

/** Options of {@link kafkaEngineDdl}. */
export interface KafkaEngineOptions {
  readonly brokers: string | readonly string[];
  /** Topic, e.g. `crm.public.users`. */
  readonly topic: string;
  readonly groupName?: string;
  readonly database?: string;
  /** Target table name (default: the model's table name). */
  readonly targetTable?: string;
  readonly decimalHandlingMode?: 'precise' | 'string' | 'double';
  readonly numConsumers?: number;
  /** Dead-letter table (default `cdc_dead_letters`); `null` to not create one (messages not applied are then lost: not recommended). */
  readonly deadLetterTable?: string | null;
  readonly unavailablePlaceholder?: string;
  /** Extra `SETTINGS` of the Kafka table, e.g. `{ kafka_flush_interval_ms: 500 }`. */
  readonly kafkaSettings?: Readonly<Record<string, string | number>>;
}

function quote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

type DecimalMode = 'precise' | 'string' | 'double';

/** A column's conversion: a Nullable value that is NULL when the JSON value does not fit the type. */
interface Conversion {
  /** Nullable value; NULL when absent or invalid. */
  readonly value: string;
  /** The type named in reasons and used for defaults. */
  readonly type: string;
}

const ISO_INSTANT =
  '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,9})?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$';
const UUID_TEXT = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
/** µs since the epoch of 1900-01-01T00:00:00Z and 2300-01-01T00:00:00Z: the range DateTime64 stores. */
const DATETIME64_MICROS = ['-2208988800000000', '10413792000000000'] as const;
/** µs of 1970-01-01 and 2106-01-01: the range DateTime stores. */
const DATETIME_MICROS = ['0', '4291747200000000'] as const;

// ClickHouse evaluates the branches of if/multiIf/AND/OR/ifNull lazily, re-running for each branch
// the parts it shares with others; merged with a filter, that made the views 50–100× slower than the
// same work done once. Every expression below is built from eager forms (`pick`, `all`, `any`,
// `orElse`), which evaluate every operand for every row: safe, because no operand can throw
// (…OrNull, tryBase64Decode, guarded arithmetic), and each part runs once.

/** `cond ? then : otherwise`, both evaluated; `cond` must not be NULL. */
function pick(cond: string, then: string, otherwise: string): string {
  return `arrayElement([${otherwise}, ${then}], toUInt8(${cond}) + 1)`;
}

/** The value of the first true condition, else `otherwise`, everything evaluated. */
function pickFirst(cases: readonly (readonly [string, string])[], otherwise: string): string {
  return `arrayElement([${otherwise}, ${cases.map(([, value]) => value).join(', ')}], indexOf([${cases.map(([when]) => `toUInt8(${when})`).join(', ')}], 1) + 1)`;
}

/** `value`, or `otherwise` when it is NULL, both evaluated (`ifNull` evaluates lazily). */
function orElse(value: string, otherwise: string): string {
  return `arrayElement([${otherwise}, assumeNotNull(${value})], toUInt8(isNotNull(${value})) + 1)`;
}

/** `low <= value <= high` without BETWEEN (an AND, evaluated lazily). */
function within(value: string, low: string | number, high: string | number): string {
  return all(`${value} >= ${low}`, `${value} <= ${high}`);
}

/** AND of non-NULL conditions, every operand evaluated. */
function all(...conditions: string[]): string {
  return `least(${conditions.map((c) => `toUInt8(${c})`).join(', ')})`;
}

/** OR of non-NULL conditions, every operand evaluated. */
function any(...conditions: string[]): string {
  return `greatest(${conditions.map((c) => `toUInt8(${c})`).join(', ')})`;
}

/** The SQL that reads one column's raw JSON value (`__cols[name]`) in its forms. */
interface ColumnJson {
  /** The raw JSON value. */
  readonly at: string;
  /** Its `JSONType`. */
  readonly type: string;
  /** Its text, for a string. */
  readonly text: string;
  /** The value as Int64; the smallest Int64 when it is not one. */
  readonly int: string;
}

function columnJson(name: string): ColumnJson {
  // The column's raw JSON value, extracted once per row (see `source`).
  const at = `__cols[${quote(name)}]`;
  return {
    at,
    type: `JSONType(${at})`,
    text: `JSONExtractString(${at})`,
    int: orElse(`JSONExtract(${at}, 'Nullable(Int64)')`, 'toInt64(-9223372036854775808)'),
  };
}

/** A `Decimal(p, s)` column, in the connector's `decimal.handling.mode`. */
function decimalConversion(json: ColumnJson, precision: number, scale: number, mode: DecimalMode): string {
  const { at, type, text } = json;
  const limit = `toInt128('1${'0'.repeat(precision)}')`;
  if (mode === 'precise') {
    // Big-endian two's complement bytes, sign-extended to 16 bytes, read as the Decimal's raw Int128.
    const bytes = `tryBase64Decode(${text})`;
    const fits = all(
      `${type} = 'String'`,
      within(`length(${bytes})`, 1, 16),
      `base64Encode(${bytes}) = ${text}`,
    );
    const sign = pick(`bitTest(reinterpretAsUInt8(substring(${bytes}, 1, 1)), 7)`, `'\\xFF'`, `'\\0'`);
    const raw = `reinterpretAsInt128(reverse(concat(repeat(${sign}, toUInt64(16 - least(length(${bytes}), 16))), substring(${bytes}, 1, 16))))`;
    return pick(all(fits, `abs(${raw}) < ${limit}`), `reinterpret(${raw}, 'Decimal128(${scale})')`, 'NULL');
  }
  const digits = `'^-?[0-9]{1,${Math.max(1, precision - scale)}}([.][0-9]{1,${Math.max(1, scale)}})?$'`;
  if (mode === 'string') {
    return pick(
      all(`${type} = 'String'`, `match(${text}, ${digits})`),
      `toDecimal128OrNull(${text}, ${scale})`,
      'NULL',
    );
  }
  // double: the connector already rounded to a double; read its text without a second rounding.
  return pick(
    all(`${type} IN ('Double', 'Int64', 'UInt64')`, `abs(JSONExtractFloat(${at})) < 1e${precision - scale}`),
    `toDecimal128OrNull(JSONExtractRaw(${at}), ${scale})`,
    'NULL',
  );
}

/** An instant: ISO text with a year in `years`, or µs since the epoch in `micros`. */
function instantConversion(
  json: ColumnJson,
  years: readonly [number, number],
  micros: readonly [string, string],
): string {
  const { type, text, int } = json;
  const isoOk = all(
    `${type} = 'String'`,
    `match(${text}, '${ISO_INSTANT}')`,
    within(orElse(`toUInt16OrNull(substring(${text}, 1, 4))`, 'toUInt16(0)'), years[0], years[1]),
  );
  const microsOk = all(`${type} = 'Int64'`, `${int} >= ${micros[0]}`, `${int} < ${micros[1]}`);
  return pickFirst(
    [
      [isoOk, `parseDateTime64BestEffortOrNull(${text}, 6, 'UTC')`],
      [microsOk, `toNullable(fromUnixTimestamp64Micro(${pick(microsOk, int, '0')}, 'UTC'))`],
    ],
    'NULL',
  );
}

/** Days since the epoch (io.debezium.time.Date) or ISO text; Date stores 1970-01-01 … 2149-06-06. */
function dateConversion(json: ColumnJson, ch: 'Date' | 'Date32'): string {
  const { type, text, int } = json;
  const [low, high] = ch === 'Date' ? [0, 65535] : [-25567, 120529];
  const daysOk = all(`${type} = 'Int64'`, within(int, low, high));
  const textOk = all(
    `${type} = 'String'`,
    `match(${text}, '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')`,
    `${orElse(`toString(to${ch}OrNull(${text}))`, `''`)} = ${text}`,
  );
  return pickFirst(
    [
      [daysOk, `toNullable(addDays(to${ch}('1970-01-01'), ${pick(daysOk, int, '0')}))`],
      [textOk, `to${ch}OrNull(${text})`],
    ],
    'NULL',
  );
}

/** A UUID, Bool, integer, float or String column; undefined for any other type. */
function scalarConversion(json: ColumnJson, ch: string): string | undefined {
  const { at, type, text } = json;
  if (ch === 'UUID') {
    return pick(all(`${type} = 'String'`, `match(${text}, '${UUID_TEXT}')`), `toUUIDOrNull(${text})`, 'NULL');
  }
  if (ch === 'Bool') return pick(`${type} = 'Bool'`, `toNullable(JSONExtractBool(${at}) = 1)`, 'NULL');
  if (/^U?Int\d+$/.test(ch)) {
    // Exact: never through a double. Digits in a string are accepted (a common JSON form of int64).
    const ok = any(
      `${type} IN ('Int64', 'UInt64')`,
      all(`${type} = 'String'`, `match(${text}, '^-?[0-9]+$')`),
    );
    return pick(ok, `JSONExtract(${at}, 'Nullable(${ch})')`, 'NULL');
  }
  if (/^Float\d+$/.test(ch)) {
    return pick(`${type} IN ('Double', 'Int64', 'UInt64')`, `JSONExtract(${at}, 'Nullable(${ch})')`, 'NULL');
  }
  if (ch === 'String') return pick(`${type} = 'String'`, `toNullable(${text})`, 'NULL');
  return undefined;
}

function conversion(name: string, ch: string, mode: DecimalMode): Conversion {
  const json = columnJson(name);
  const decimal = /^Decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(ch);
  let value: string | undefined;
  if (decimal) value = decimalConversion(json, Number(decimal[1]), Number(decimal[2]), mode);
  else if (ch.startsWith('DateTime64')) value = instantConversion(json, [1900, 2299], DATETIME64_MICROS);
  else if (ch.startsWith('DateTime')) value = instantConversion(json, [1970, 2105], DATETIME_MICROS);
  else if (ch === 'Date' || ch === 'Date32') value = dateConversion(json, ch);
  else value = scalarConversion(json, ch);
  if (value === undefined) {
    throw new TypeError(`the Kafka-engine path has no conversion for column ${name} of type ${ch}`);
  }
  return { value, type: ch };
}

function source(options: KafkaEngineSelectOptions): string {
  for (const part of options.from.split('.')) assertIdentifier('table', part);
  const placeholder = options.unavailablePlaceholder ?? DEFAULT_UNAVAILABLE_PLACEHOLDER;
  const from = options.from;
  const message = options.rawOnly
    ? `'' AS __topic, toUInt64(0) AS __partition, toUInt64(0) AS __offset, '' AS __key, '' AS __error, raw AS __value`
    : `toString(_topic) AS __topic, toUInt64(_partition) AS __partition, toUInt64(_offset) AS __offset, toString(_key) AS __key, toString(_error) AS __error, ${pick('length(__error) > 0', 'toString(_raw_message)', 'raw')} AS __value`;
  const lsnText = `JSONExtractString(__payload, 'source', 'lsn')`;
  return [
    `  SELECT ${message},`,
    `    ${all('length(__error) = 0', 'isValidJSON(raw)')} AS __json,`,
    // `{"schema": …, "payload": …}`, or `{"payload": …}` alone (schema absent or `{}`): the payload is the envelope.
    `    ${pick(all('__json', `JSONType(raw, 'payload') = 'Object'`), `JSONExtractRaw(raw, 'payload')`, pick('__json', 'raw', `''`))} AS __payload,`,
    `    JSONType(__payload, 'op') AS __op_type,`,
    `    JSONExtractString(__payload, 'op') AS __op,`,
    `    ${pickFirst(
      [
        [`__op = 'd'`, `JSONExtractRaw(__payload, 'before')`],
        [`__op IN ('c', 'u', 'r')`, `JSONExtractRaw(__payload, 'after')`],
      ],
      `''`,
    )} AS __row,`,
    `    JSONType(__payload, ${pick(`__op = 'd'`, `'before'`, `'after'`)}) AS __row_type,`,
    `    JSONType(__payload, 'source', 'lsn') AS __lsn_type,`,
    `    ${pick(any(`__lsn_type IN ('Int64', 'UInt64')`, all(`__lsn_type = 'String'`, `match(${lsnText}, '^[0-9]+$')`)), `JSONExtract(__payload, 'source', 'lsn', 'Nullable(UInt64)')`, 'NULL')} AS __lsn,`,
    `    ${any(`JSONHas(__payload, '__op')`, `JSONHas(__payload, '__deleted')`)} AS __unwrapped,`,
    // Each column's raw JSON once: the conversions parse these small values, not the row again.
    `    CAST(JSONExtractKeysAndValuesRaw(__row), 'Map(String, String)') AS __cols,`,
    `    position(__row, ${quote(placeholder)}) > 0 AS __placeholder`,
    `  FROM ${from}`,
    // A tombstone (empty value) follows a delete and carries nothing to apply.
    `  WHERE NOT ${all('length(__error) = 0', 'length(raw) = 0')}`,
  ].join('\n');
}

/** A model column with its ClickHouse type (LowCardinality unwrapped) and conversion. */
interface ConvertedColumn {
  readonly name: string;
  readonly nullable: boolean;
  readonly ch: string;
  readonly conversion: Conversion;
}

/**
 * Per column: is a value there (`__p_`), is it unusable (`__bad_`); then the first unusable
 * column's number (`__bad_column`, 0 if none). A delete under REPLICA IDENTITY DEFAULT carries only
 * the key: its other columns are not checked.
 */
function columnChecks(columns: readonly ConvertedColumn[], key: ReadonlySet<string>): string[] {
  const checks = columns.flatMap((c) => {
    const invalid = c.nullable ? all(`__p_${c.name}`, `isNull(__v_${c.name})`) : `isNull(__v_${c.name})`;
    return [
      `    JSONType(__cols[${quote(c.name)}]) != 'Null' AS __p_${c.name}`,
      `    ${key.has(c.name) ? `toUInt8(${invalid})` : all(`__op != 'd'`, invalid)} AS __bad_${c.name}`,
    ];
  });
  checks.push(`    indexOf([${columns.map((c) => `__bad_${c.name}`).join(', ')}], 1) AS __bad_column`);
  return checks;
}

/** Why a message is not applied, first match wins: `[condition, code, reason]`. */
function verdictCases(columns: readonly ConvertedColumn[]): [string, string, string][] {
  const columnReasons = columns.map((c) => {
    const got = pick(
      `__p_${c.name}`,
      `substring(__cols[${quote(c.name)}], 1, 80)`,
      pick(`mapContains(__cols, ${quote(c.name)})`, `'null'`, `'nothing'`),
    );
    return `concat(${quote(`column ${c.name}: expected ${c.conversion.type}, got `)}, ${got})`;
  });
  return [
    // The only thing JSONAsString fails to read is JSON: the engine's own words follow.
    ['length(__error) > 0', 'invalid_json', `concat('the value is not JSON: ', trimRight(__error))`],
    ['NOT __json', 'invalid_json', `'the value is not JSON'`],
    [
      '__unwrapped',
      'unwrapped_record',
      `'an ExtractNewRecordState (unwrapped) record: the Kafka-engine path reads Debezium envelopes (drop the unwrap transform, or use the library sink)'`,
    ],
    [`__op_type != 'String'`, 'invalid_envelope', `'op is missing or not a string'`],
    [
      `__op = 't'`,
      'truncate',
      `'a truncate: a materialized view cannot delete the rows before it (truncate the target by hand, or use the library sink)'`,
    ],
    [
      `__op NOT IN ('c', 'u', 'd', 'r')`,
      'unknown_op',
      `concat('op ', __op, ' is not a row change (c, u, d, r)')`,
    ],
    [
      `__row_type != 'Object'`,
      'invalid_envelope',
      pick(
        `__op = 'd'`,
        `'a delete without before (the table needs REPLICA IDENTITY DEFAULT or FULL)'`,
        `concat('op ', __op, ' without after')`,
      ),
    ],
    [
      all(`__op != 'r'`, `${orElse('__lsn', 'toUInt64(18446744073709551615)')} >= 9223372036854775808`),
      'missing_lsn',
      `concat('a streamed change needs an integer source.lsn below 2^63 to order it, got ', ${pick(`__lsn_type = 'Null'`, `'nothing'`, `substring(JSONExtractRaw(__payload, 'source', 'lsn'), 1, 40)`)})`,
    ],
    [
      '__placeholder',
      'toast_without_previous_row',
      `'unchanged-TOAST placeholder: the Kafka-engine path cannot keep the previous value (use REPLICA IDENTITY FULL or the library sink)'`,
    ],
    ['__bad_column > 0', 'invalid_value', `arrayElement([${columnReasons.join(', ')}], __bad_column)`],
  ];
}

/** `_version` as the library sink computes it (`change-version.ts`). */
function versionExpression(): string {
  return pick(
    `__op = 'r'`,
    pickFirst(
      [
        [
          `JSONType(__payload, 'source', 'ts_us') IN ('Int64', 'UInt64')`,
          `JSONExtractUInt(__payload, 'source', 'ts_us')`,
        ],
        [
          `JSONType(__payload, 'source', 'ts_ms') IN ('Int64', 'UInt64')`,
          `JSONExtractUInt(__payload, 'source', 'ts_ms') * 1000`,
        ],
      ],
      `JSONExtractUInt(__payload, 'ts_ms') * 1000`,
    ),
    `9223372036854775808 + ${orElse('__lsn', 'toUInt64(0)')}`,
  );
}

/**
 * The parsing stage shared by both views: every message of `from` with its
 * converted columns, `__version`, `__deleted`, and `__code`/`__reason` (empty
 * when the message applies).
 */
function verdictSelect(table: TableDefinition, options: KafkaEngineSelectOptions): string {
  const mode = options.decimalHandlingMode ?? 'precise';
  const columns: ConvertedColumn[] = columnsOf(table).map((column) => {
    const ch = column.ch.replace(/^LowCardinality\((.*)\)$/, '$1');
    return { ...column, ch, conversion: conversion(column.name, ch, mode) };
  });
  const values = columns.map((c) => `    ${c.conversion.value} AS __v_${c.name}`);
  const checks = columnChecks(columns, new Set(table.primaryKey));
  const verdict = verdictCases(columns);
  return [
    'SELECT *,',
    `    ${pickFirst(
      verdict.map(([when, code]) => [when, quote(code)] as const),
      `''`,
    )} AS __code,`,
    `    ${pickFirst(
      verdict.map(([when, , reason]) => [when, reason] as const),
      `''`,
    )} AS __reason`,
    'FROM (',
    'SELECT *,',
    `${values.join(',\n')},`,
    `${checks.join(',\n')},`,
    `    toUInt64(${versionExpression()}) AS __version,`,
    `    toUInt8(__op = 'd') AS __deleted`,
    'FROM (',
    source(options),
    ')',
    ')',
  ].join('\n');
}

/**
 * The SELECT of the applying view: Debezium JSON (schemas on or off) in, the
 * target's rows with `_version` and `_is_deleted` out, for exactly the
 * messages {@link kafkaEngineDeadLetterSelect} does not select. Exported so it
 * can be run against any table of raw envelopes (tests, backfills from a dump).
 *
 * @example
 * ```ts
 * import { tables } from '@bionicpro/models';
 * import { kafkaEngineSelect } from '@bionicpro/cdc';
 * await client.command({ query: `INSERT INTO cdc.users ${kafkaEngineSelect(tables.users, { from: 'staging.users_raw', rawOnly: true })}` });
 * ```
 */
export function kafkaEngineSelect(table: TableDefinition, options: KafkaEngineSelectOptions): string {
  const columns = columnsOf(table).map((column) => {
    const ch = column.ch.replace(/^LowCardinality\((.*)\)$/, '$1');
    return column.nullable
      ? `  __v_${column.name} AS ${column.name}`
      : `  ${orElse(`__v_${column.name}`, `defaultValueOfTypeName(${quote(ch)})`)} AS ${column.name}`;
  });
  return [
    'SELECT',
    `${columns.join(',\n')},`,
    '  __version AS _version,',
    '  __deleted AS _is_deleted',
    'FROM (',
    verdictSelect(table, options),
    ')',
    // A filter, not WHERE: ClickHouse merges a WHERE into the expressions below it and then
    // evaluates it branch by branch, re-running the conversions (70× slower on real envelopes).
    `ARRAY JOIN arrayFilter(x -> x, [__code = '']) AS __applies`,
  ].join('\n');
}

/**
 * The SELECT of the dead-letter view: one row in the shape of
 * {@link deadLetterTableDdl} for every message {@link kafkaEngineSelect} does
 * not apply (tombstones aside), with a `code` and a `reason` naming what was wrong.
 *
 * @example
 * ```ts
 * import { tables } from '@bionicpro/models';
 * import { kafkaEngineDeadLetterSelect } from '@bionicpro/cdc';
 * await client.command({ query: `INSERT INTO cdc.cdc_dead_letters ${kafkaEngineDeadLetterSelect(tables.users, { from: 'staging.users_raw', rawOnly: true })}` });
 * ```
 */
export function kafkaEngineDeadLetterSelect(
  table: TableDefinition,
  options: KafkaEngineSelectOptions,
): string {
  return [
    'SELECT __topic AS topic, toInt32(__partition) AS partition, __offset AS offset,',
    `  nullIf(__key, '') AS key, __value AS value,`,
    '  __code AS code, __reason AS reason,',
    `  now64(3, 'UTC') AS failed_at`,
    'FROM (',
    verdictSelect(table, options),
    ')',
    `ARRAY JOIN arrayFilter(x -> x, [__code != '']) AS __dead`,
  ].join('\n');
}

/**
 * A plain table with the Kafka table's columns (`raw` and the engine's
 * virtual columns as real ones): replay a dump of messages through the two
 * views' SELECTs, or stand in for the Kafka table in tests.
 *
 * @example
 * ```ts
 * import { kafkaEngineSourceDdl } from '@bionicpro/cdc';
 * await client.command({ query: kafkaEngineSourceDdl('staging.users_messages') });
 * ```
 */
export function kafkaEngineSourceDdl(name: string, options: { engine?: string } = {}): string {
  for (const part of name.split('.')) assertIdentifier('table', part);
  const engine = options.engine ?? 'MergeTree ORDER BY (_topic, _partition, _offset)';
  return [
    `CREATE TABLE IF NOT EXISTS ${name} (`,
    '  raw String,',
    '  _topic String,',
    '  _partition UInt64,',
    '  _offset UInt64,',
    '  _key String,',
    "  _error String DEFAULT '',",
    "  _raw_message String DEFAULT ''",
    `) ENGINE = ${engine}`,
  ].join('\n');
}

/**
 * Every statement of the Kafka-engine path for one table, in order: target
 * table, dead-letter table, Kafka table, the applying view, the dead-letter view.
 *
 * @example
 * ```ts
 * import { tables } from '@bionicpro/models';
 * import { kafkaEngineDdl } from '@bionicpro/cdc';
 * for (const query of kafkaEngineDdl(tables.users, { brokers: 'kafka:9092', topic: 'crm.public.users', database: 'cdc' })) {
 *   await client.command({ query });
 * }
 * ```
 */
export function kafkaEngineDdl(table: TableDefinition, options: KafkaEngineOptions): string[] {
  const database = options.database ? assertIdentifier('database', options.database) : undefined;
  const q = (name: string) =>
    database ? `${database}.${assertIdentifier('table', name)}` : assertIdentifier('table', name);
  const target = options.targetTable ?? table.name;
  const kafkaTable = q(`${target}_kafka`);
  const brokers = typeof options.brokers === 'string' ? options.brokers : options.brokers.join(',');
  const statements = [cdcTargetDdl(table, { ...(database ? { database } : {}), tableName: target })];
  const deadLetters = options.deadLetterTable === undefined ? 'cdc_dead_letters' : options.deadLetterTable;
  if (deadLetters !== null) statements.push(deadLetterTableDdl(deadLetters, database ? { database } : {}));
  const extra = Object.entries(options.kafkaSettings ?? {}).map(
    ([name, value]) =>
      `  ${assertIdentifier('setting', name)} = ${typeof value === 'number' ? String(value) : quote(value)},`,
  );
  statements.push(
    [
      `CREATE TABLE IF NOT EXISTS ${kafkaTable} (raw String)`,
      'ENGINE = Kafka',
      'SETTINGS',
      `  kafka_broker_list = ${quote(brokers)},`,
      `  kafka_topic_list = ${quote(options.topic)},`,
      `  kafka_group_name = ${quote(options.groupName ?? `clickhouse_${target}`)},`,
      `  kafka_format = 'JSONAsString',`,
      `  kafka_num_consumers = ${Math.max(1, Math.trunc(options.numConsumers ?? 1))},`,
      ...extra,
      // A message the format cannot read arrives with `_error` set instead of stopping the table.
      `  kafka_handle_error_mode = 'stream'`,
    ].join('\n'),
  );
  const selectOptions: KafkaEngineSelectOptions = {
    from: kafkaTable,
    ...(options.decimalHandlingMode ? { decimalHandlingMode: options.decimalHandlingMode } : {}),
    ...(options.unavailablePlaceholder ? { unavailablePlaceholder: options.unavailablePlaceholder } : {}),
  };
  statements.push(
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${q(`${target}_mv`)} TO ${q(target)} AS\n${kafkaEngineSelect(table, selectOptions)}`,
  );
  if (deadLetters !== null) {
    statements.push(
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${q(`${target}_dead_letters_mv`)} TO ${q(deadLetters)} AS\n${kafkaEngineDeadLetterSelect(table, selectOptions)}`,
    );
  }
  return statements;
}
