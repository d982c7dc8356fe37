/**
 * The ClickHouse Kafka-engine path of seed 000 (a Kafka table, a materialized
 * view that parses Debezium's JSON, a target table), corrected:
 *
 * - the target is `ReplacingMergeTree(_version, _is_deleted)` ordered by the
 *   primary key (`cdcTargetDdl`), not a Join/MergeTree that only appends;
 * - `_version` comes from the source position exactly as the library sink
 *   computes it (`2^63 + LSN` for streamed changes, the read time in µs for
 *   snapshot reads), so updates replace and replays are harmless;
 * - deletes (`op = 'd'`, key from `before`) are written with `_is_deleted = 1`;
 *   the engine ignores tombstones, which is fine because the delete event
 *   itself carries the deletion;
 * - Decimal bytes (`decimal.handling.mode=precise`) are decoded in SQL with
 *   the model's scale, so schemas may be on or off;
 * - rows carrying the unchanged-TOAST placeholder, invalid JSON and messages
 *   the engine cannot parse go to a dead-letter table instead of the target:
 *   a materialized view cannot read the previous row, so it must not write a
 *   placeholder over a real value. Tables with large TOASTable columns should
 *   use REPLICA IDENTITY FULL on this path, or the library sink.
 */
import { assertIdentifier, columnsOf, type TableDefinition } from '@bionicpro/models';
import { cdcTargetDdl } from './clickhouse-target.js';
import { deadLetterTableDdl } from './dead-letter.js';
import { DEFAULT_UNAVAILABLE_PLACEHOLDER } from './unavailable-value.js';

/** Options of {@link kafkaEngineSelect}. */
export interface KafkaEngineSelectOptions {
  /** The relation with a `raw String` column holding each record value (the Kafka table, or any table in tests). */
  readonly from: string;
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
  /** Dead-letter table (default `cdc_dead_letters`); `null` to not create one. */
  readonly deadLetterTable?: string | null;
  readonly unavailablePlaceholder?: string;
}

function quote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function columnExpression(name: string, ch: string, mode: 'precise' | 'string' | 'double'): string {
  const at = `row, ${quote(name)}`;
  const decimal = /^Decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(ch);
  if (decimal) {
    const scale = Number(decimal[2]);
    if (mode === 'string') return `toDecimal128(JSONExtractString(${at}), ${scale})`;
    if (mode === 'double') return `toDecimal128(JSONExtractRaw(${at}), ${scale})`;
    const unit = scale === 0 ? 'toDecimal128(1, 0)' : `toDecimal128('0.${'0'.repeat(scale - 1)}1', ${scale})`;
    // Big-endian two's complement bytes → Int128 → × 10^-scale.
    return (
      `toDecimal128(if(length(base64Decode(JSONExtractString(${at}))) > 0 AND bitTest(reinterpretAsUInt8(substring(base64Decode(JSONExtractString(${at})), 1, 1)), 7), ` +
      `toInt128(reinterpretAsUInt128(reverse(base64Decode(JSONExtractString(${at}))))) - bitShiftLeft(toInt128(1), 8 * length(base64Decode(JSONExtractString(${at})))), ` +
      `toInt128(reinterpretAsUInt128(reverse(base64Decode(JSONExtractString(${at})))))), 0) * ${unit}`
    );
  }
  if (ch.startsWith('DateTime64')) {
    return `if(JSONType(${at}) = 'String', parseDateTime64BestEffort(JSONExtractString(${at}), 6, 'UTC'), fromUnixTimestamp64Micro(JSONExtractInt(${at}), 'UTC'))`;
  }
  if (ch.startsWith('DateTime')) {
    return `if(JSONType(${at}) = 'String', parseDateTimeBestEffort(JSONExtractString(${at}), 'UTC'), toDateTime(intDiv(JSONExtractInt(${at}), 1000000), 'UTC'))`;
  }
  if (ch === 'Date' || ch === 'Date32') {
    return `if(JSONType(${at}) = 'String', toDate(JSONExtractString(${at})), addDays(toDate('1970-01-01'), JSONExtractInt(${at})))`;
  }
  if (ch === 'UUID') return `toUUIDOrZero(JSONExtractString(${at}))`;
  if (ch === 'Bool') return `JSONExtractBool(${at})`;
  if (/^U?Int\d+$/.test(ch)) return `JSONExtract(${at}, ${quote(ch)})`;
  if (/^Float\d+$/.test(ch)) return `JSONExtractFloat(${at})`;
  return `JSONExtractString(${at})`;
}

/**
 * The SELECT of the materialized view: Debezium JSON (schemas on or off) in
 * `raw`, target rows with `_version` and `_is_deleted` out. Exported so it can
 * be run against any table of raw envelopes (tests, backfills from a dump).
 *
 * @example
 * ```ts
 * import { tables } from '@bionicpro/models';
 * import { kafkaEngineSelect } from '@bionicpro/cdc';
 * await client.command({ query: `INSERT INTO cdc.users ${kafkaEngineSelect(tables.users, { from: 'staging.users_raw' })}` });
 * ```
 */
export function kafkaEngineSelect(table: TableDefinition, options: KafkaEngineSelectOptions): string {
  for (const part of options.from.split('.')) assertIdentifier('table', part);
  const mode = options.decimalHandlingMode ?? 'precise';
  const placeholder = options.unavailablePlaceholder ?? DEFAULT_UNAVAILABLE_PLACEHOLDER;
  const columns = columnsOf(table).map((column) => {
    const expression = columnExpression(
      column.name,
      column.ch.replace(/^LowCardinality\((.*)\)$/, '$1'),
      mode,
    );
    return column.nullable
      ? `  if(JSONType(row, ${quote(column.name)}) = 'Null', NULL, ${expression}) AS ${column.name}`
      : `  ${expression} AS ${column.name}`;
  });
  return [
    'SELECT',
    `${columns.join(',\n')},`,
    `  if(op = 'r', if(JSONHas(payload, 'source', 'ts_us'), JSONExtractUInt(payload, 'source', 'ts_us'), JSONExtractUInt(payload, 'source', 'ts_ms') * 1000), 9223372036854775808 + JSONExtractUInt(payload, 'source', 'lsn')) AS _version,`,
    `  toUInt8(op = 'd') AS _is_deleted`,
    'FROM (',
    `  SELECT payload, JSONExtractString(payload, 'op') AS op, if(op = 'd', JSONExtractRaw(payload, 'before'), JSONExtractRaw(payload, 'after')) AS row`,
    `  FROM (SELECT if(JSONHas(raw, 'schema') AND JSONHas(raw, 'payload'), JSONExtractRaw(raw, 'payload'), raw) AS payload FROM ${options.from} WHERE isValidJSON(raw))`,
    ')',
    `WHERE op IN ('c', 'u', 'd', 'r') AND row NOT IN ('', 'null')`,
    `  AND (op = 'r' OR JSONType(payload, 'source', 'lsn') = 'Int64' OR JSONType(payload, 'source', 'lsn') = 'UInt64')`,
    `  AND position(row, ${quote(placeholder)}) = 0`,
  ].join('\n');
}

/**
 * Every statement of the Kafka-engine path for one table, in order: target
 * table, dead-letter table, Kafka table, the parsing view, the dead-letter view.
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
      `  kafka_handle_error_mode = 'stream'`,
    ].join('\n'),
  );
  const selectOptions = {
    from: kafkaTable,
    ...(options.decimalHandlingMode ? { decimalHandlingMode: options.decimalHandlingMode } : {}),
    ...(options.unavailablePlaceholder ? { unavailablePlaceholder: options.unavailablePlaceholder } : {}),
  };
  statements.push(
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${q(`${target}_mv`)} TO ${q(target)} AS\n${kafkaEngineSelect(table, selectOptions)}`,
  );
  if (deadLetters !== null) {
    const placeholder = quote(options.unavailablePlaceholder ?? DEFAULT_UNAVAILABLE_PLACEHOLDER);
    statements.push(
      [
        `CREATE MATERIALIZED VIEW IF NOT EXISTS ${q(`${target}_dead_letters_mv`)} TO ${q(deadLetters)} AS`,
        'SELECT _topic AS topic, toInt32(_partition) AS partition, _offset AS offset, _key AS key,',
        '  if(length(_error) > 0, _raw_message, raw) AS value,',
        `  multiIf(length(_error) > 0, 'invalid_envelope', NOT isValidJSON(raw), 'invalid_envelope', 'toast_without_previous_row') AS code,`,
        `  multiIf(length(_error) > 0, _error, NOT isValidJSON(raw), 'value is not JSON', 'unchanged-TOAST placeholder: the Kafka-engine path cannot keep the previous value (use REPLICA IDENTITY FULL or the library sink)') AS reason,`,
        `  now64(3, 'UTC') AS failed_at`,
        `FROM ${kafkaTable}`,
        `WHERE length(_error) > 0 OR NOT isValidJSON(raw) OR position(raw, ${placeholder}) > 0`,
      ].join('\n'),
    );
  }
  return statements;
}
