/**
 * Dead letters: a message that cannot be parsed, decoded, validated or
 * written goes here with its original bytes, where it came from and why, and
 * the stream goes on. Destinations: a callback, a ClickHouse table, or a Kafka
 * topic (through the adapters' producers, see `@bionicpro/cdc/kafkajs`).
 */
import { assertIdentifier } from '@bionicpro/models';
import type { ClickHouseLike } from './clickhouse-target.js';

/** One message that could not be applied. */
export interface DeadLetter {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** The original key and value bytes, untouched. */
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  /** Machine-readable kind: `invalid_envelope`, `decode_failed`, `invalid_row`, `toast_without_previous_row`, ... */
  readonly code: string;
  /** A sentence naming the field and what was wrong. */
  readonly reason: string;
  readonly failedAt: Date;
}

/** Where dead letters go. Must resolve only once they are stored: offsets are committed after it. */
export type DeadLetterDestination = (letters: readonly DeadLetter[]) => Promise<void>;

/**
 * A destination that hands dead letters to a function (a log, a queue, a test).
 *
 * @example
 * ```ts
 * import { deadLettersToCallback } from '@bionicpro/cdc';
 * const dlq = deadLettersToCallback(async (letters) => { for (const l of letters) console.error(l.reason); });
 * ```
 */
export function deadLettersToCallback(
  callback: (letters: readonly DeadLetter[]) => void | Promise<void>,
): DeadLetterDestination {
  return async (letters) => {
    await callback(letters);
  };
}

/** `CREATE TABLE` of a ClickHouse dead-letter table. */
export function deadLetterTableDdl(table = 'cdc_dead_letters', options: { database?: string } = {}): string {
  const name = options.database
    ? `${assertIdentifier('database', options.database)}.${assertIdentifier('table', table)}`
    : assertIdentifier('table', table);
  return `CREATE TABLE IF NOT EXISTS ${name} (
  topic String,
  partition Int32,
  offset UInt64,
  key Nullable(String),
  value Nullable(String),
  code LowCardinality(String),
  reason String,
  failed_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (topic, partition, offset)`;
}

const decoder = new TextDecoder();

/**
 * A destination that inserts dead letters into a ClickHouse table (see
 * {@link deadLetterTableDdl}). Key and value are stored as text (Debezium's
 * JSON); keyed by topic/partition/offset, so a redelivered letter collapses.
 */
export function deadLettersToClickHouse(
  client: ClickHouseLike,
  options: { table?: string; database?: string } = {},
): DeadLetterDestination {
  const table = options.table ?? 'cdc_dead_letters';
  const name = options.database
    ? `${assertIdentifier('database', options.database)}.${assertIdentifier('table', table)}`
    : assertIdentifier('table', table);
  return async (letters) => {
    if (letters.length === 0) return;
    await client.insert({
      table: name,
      values: letters.map((letter) => ({
        topic: letter.topic,
        partition: letter.partition,
        offset: letter.offset,
        key: letter.key === null ? null : decoder.decode(letter.key),
        value: letter.value === null ? null : decoder.decode(letter.value),
        code: letter.code,
        reason: letter.reason,
        failed_at: letter.failedAt.toISOString(),
      })),
      format: 'JSONEachRow',
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
  };
}
