/**
 * From a Kafka record to a typed change: parse (losslessly when needed),
 * classify the envelope, decode column values by their logical types, mark
 * unchanged-TOAST columns unavailable, and validate the row against the
 * `@bionicpro/models` schema of its table.
 *
 * The units a change decoder is made of, each with its own state: `table-models.ts` (models and
 * implied column types per table), `row-decoders.ts` (compiled row decoders per schema and
 * table), `key-decoder.ts` (keys, with the integer-key shortcuts) and `row-validator.ts`
 * (validation, in the generated decoders or after them).
 */
import { type Int64Text, modelForTable } from '@bionicpro/models';
import type { z } from 'zod';
import {
  type Envelope,
  classifyEnvelope,
  type SourceInfo,
  type TransactionPosition,
  unwrapSchema,
} from './envelope.js';
import { EnvelopeError } from './errors.js';
import { type DecodeContext, type DecodedRow, type ValueType, decodeRow } from './logical-types.js';
import { KeyDecoder } from './key-decoder.js';
import { integerDigitsFromEnd, parseJsonLossless } from './lossless-json.js';
import { parseText, toText } from './record-text.js';
import { RowDecoders } from './row-decoders.js';
import { RowValidator } from './row-validator.js';
import { TableModels } from './table-models.js';
import { unavailableValueMatcher } from './unavailable-value.js';

export { valueTypeOfModelColumn } from './table-models.js';

/** A Kafka record as this package sees it, whatever the client. Offsets are decimal strings. */
export interface KafkaRecord {
  readonly topic: string;
  readonly partition?: number;
  readonly offset?: string;
  /** Raw key bytes or text; null when the record has no key. */
  readonly key: string | Uint8Array | null;
  /** Raw value bytes or text; null for a tombstone. */
  readonly value: string | Uint8Array | null;
}

/** Where a change came from in Kafka. */
export interface RecordPosition {
  readonly topic: string;
  readonly partition: number | null;
  readonly offset: string | null;
}

/** An insert, update, delete or snapshot read of one row. */
export interface RowChange<T = Record<string, unknown>> extends RecordPosition {
  readonly kind: 'change';
  /** Source table name (`source.table`, else the last segment of the topic), e.g. `payments`. */
  readonly table: string;
  readonly op: 'c' | 'u' | 'd' | 'r';
  /** Primary key columns from the Kafka key (decoded); null when the record had no key. */
  readonly key: Record<string, unknown> | null;
  /** Decoded old row (updates/deletes; under REPLICA IDENTITY DEFAULT only key columns are real). */
  readonly before: Record<string, unknown> | null;
  /** Decoded new row: decimals as text, dates `YYYY-MM-DD`, timestamps ISO-8601 UTC with every digit. */
  readonly after: Record<string, unknown> | null;
  /**
   * `after` validated by the table's model (Dates, normalised money...), or the
   * decoded `after` when the table has no model; null for deletes. Columns in
   * `unavailable` are absent.
   */
  readonly row: T | null;
  /** Columns of `after` that carried the unchanged-TOAST placeholder: keep their previous value. */
  readonly unavailable: readonly string[];
  readonly source: SourceInfo | null;
  readonly transaction: TransactionPosition | null;
  readonly ts_ms: number | null;
  readonly ts_us: number | null;
  /** Nanoseconds since the epoch as exact decimal text (always beyond 2^53). */
  readonly ts_ns: Int64Text | null;
  /** True when the record came flattened by ExtractNewRecordState. */
  readonly unwrapped: boolean;
}

/** A null-valued record after a delete: log compaction may drop everything for `key`. */
export interface TombstoneEvent extends RecordPosition {
  readonly kind: 'tombstone';
  readonly table: string;
  readonly key: Record<string, unknown> | null;
}

/** `op: "t"`: the table was truncated. */
export interface TruncateEvent extends RecordPosition {
  readonly kind: 'truncate';
  readonly table: string;
  readonly source: SourceInfo | null;
  readonly ts_ms: number | null;
}

/** `op: "m"`: a logical-decoding message (`pg_logical_emit_message`). */
export interface LogicalMessageEvent extends RecordPosition {
  readonly kind: 'message';
  readonly prefix: string;
  /** The message content as base64 (bytes). */
  readonly content: string | null;
  readonly source: SourceInfo | null;
  readonly ts_ms: number | null;
}

/** BEGIN/END of a transaction (`provide.transaction.metadata=true`). */
export interface TransactionEvent extends RecordPosition {
  readonly kind: 'transaction';
  readonly status: 'BEGIN' | 'END';
  readonly id: string;
  readonly event_count: number | null;
  readonly data_collections:
    | readonly { readonly data_collection: string; readonly event_count: number }[]
    | null;
  readonly ts_ms: number | null;
}

/** A heartbeat (`heartbeat.interval.ms > 0`): the connector is alive; carries no data. */
export interface HeartbeatEvent extends RecordPosition {
  readonly kind: 'heartbeat';
  readonly ts_ms: number | null;
}

/** Every event a Debezium record decodes to. */
export type CdcEvent<T = Record<string, unknown>> =
  | RowChange<T>
  | TombstoneEvent
  | TruncateEvent
  | LogicalMessageEvent
  | TransactionEvent
  | HeartbeatEvent;

/** A decoded row change; `ts_ns` keeps its exact digits and is recovered from the text on first access. */
class DecodedChange implements RowChange {
  readonly kind = 'change' as const;
  readonly topic: string;
  readonly partition: number | null;
  readonly offset: string | null;
  #tsNs: Int64Text | null | undefined;
  readonly #tsNsRaw: unknown;
  readonly #text: string;

  constructor(
    record: KafkaRecord,
    readonly table: string,
    readonly op: 'c' | 'u' | 'd' | 'r',
    readonly key: Record<string, unknown> | null,
    readonly before: Record<string, unknown> | null,
    readonly after: Record<string, unknown> | null,
    readonly row: Record<string, unknown> | null,
    readonly unavailable: readonly string[],
    readonly source: SourceInfo | null,
    readonly transaction: TransactionPosition | null,
    readonly ts_ms: number | null,
    readonly ts_us: number | null,
    tsNsRaw: unknown,
    text: string,
    readonly unwrapped: boolean,
  ) {
    this.topic = record.topic;
    this.partition = record.partition ?? null;
    this.offset = record.offset ?? null;
    this.#tsNsRaw = tsNsRaw;
    this.#text = text;
  }

  get ts_ns(): Int64Text | null {
    if (this.#tsNs === undefined) {
      const raw = this.#tsNsRaw;
      if (raw === undefined || raw === null) this.#tsNs = null;
      else if (typeof raw === 'number' && Number.isSafeInteger(raw)) this.#tsNs = String(raw);
      else if (typeof raw === 'number') {
        // Rounded by JSON.parse: the digits come from the text (checked in classifyEnvelope).
        const exact = integerDigitsFromEnd(this.#text, 'ts_ns', raw, 0) ?? exactTopLevelTsNs(this.#text);
        this.#tsNs = exact === undefined ? String(BigInt(raw)) : exact.toString();
      } else this.#tsNs = String(raw);
    }
    return this.#tsNs;
  }

  toJSON(): Record<string, unknown> {
    return { ...(this as object), ts_ns: this.ts_ns };
  }
}

function exactTopLevelTsNs(text: string): bigint | undefined {
  let parsed: unknown;
  try {
    parsed = parseJsonLossless(text);
  } catch {
    return undefined;
  }
  const value = (unwrapSchema(parsed).payload as Record<string, unknown>)['ts_ns'];
  return typeof value === 'bigint' ? value : typeof value === 'number' ? BigInt(value) : undefined;
}

/** Options of {@link createChangeDecoder}. */
export interface ChangeDecoderOptions {
  /** The connector's `unavailable.value.placeholder` (default `__debezium_unavailable_value`). */
  readonly unavailablePlaceholder?: string;
  /**
   * Column types for messages without schemas, per table then column, e.g.
   * `{ payments: { amount: { kind: 'decimal', scale: 2 } } }`. They override
   * what the table's model implies (a model `numeric(10,2)` column implies a
   * decimal of scale 2, `date` days since epoch, `timestamptz` ISO text).
   */
  readonly columns?: Readonly<Record<string, Readonly<Record<string, ValueType>>>>;
  /** Validate rows against `@bionicpro/models` (default true). */
  readonly validate?: boolean;
  /** Models by table name (default `modelForTable` of `@bionicpro/models`); undefined means "no model". */
  readonly modelFor?: (table: string) => z.ZodObject | undefined;
  /** Maps a record to its table name (default `source.table`, else the topic's last segment). */
  readonly tableOf?: (topic: string, source: SourceInfo | null) => string;
  /**
   * Topics whose records are rows flattened by ExtractNewRecordState without any `__` field
   * (`add.fields` empty, deletes dropped or tombstoned): `true` for every topic, or a predicate.
   * Without it only records carrying `__op`, `__deleted`, `__lsn`, `__table`, `__source_*`, ...
   * are read as flattened rows; anything else without an `op` is refused (`invalid_envelope`).
   */
  readonly unwrapped?: boolean | ((topic: string) => boolean);
}

/** Decodes Kafka records into {@link CdcEvent}s. Throws EnvelopeError, DecodeError or ChangeValidationError. */
export interface ChangeDecoder {
  decode(record: KafkaRecord): CdcEvent;
}

/** Whether a row has at least one column. */
function hasColumns(row: Record<string, unknown> | null): boolean {
  if (row === null) return false;
  for (const _ in row) return true;
  return false;
}

function positionOf(record: KafkaRecord): RecordPosition {
  return { topic: record.topic, partition: record.partition ?? null, offset: record.offset ?? null };
}

// Shared, never mutated: paths are copied whenever an error extends them.
const ROOT_PATH: readonly (string | number)[] = [];
const AFTER_PATH: readonly (string | number)[] = ['after'];
const BEFORE_PATH: readonly (string | number)[] = ['before'];
const NO_COLUMNS: readonly string[] = Object.freeze([]);
const NOT_VALIDATED: unique symbol = Symbol('not validated');

function topicTable(topic: string): string {
  const dot = topic.lastIndexOf('.');
  return dot < 0 ? topic : topic.slice(dot + 1);
}

function defaultTableOf(topic: string, source: SourceInfo | null): string {
  return source?.table ?? topicTable(topic);
}

/**
 * Creates a decoder. It caches compiled column decoders per row schema and
 * model, so create one per consumer and reuse it.
 *
 * @example
 * ```ts
 * import { createChangeDecoder } from '@bionicpro/cdc';
 * const decoder = createChangeDecoder();
 * const event = decoder.decode({ topic: 'crm.public.payments', key: keyText, value: valueText });
 * if (event.kind === 'change') console.log(event.op, event.row);
 * ```
 */
export function createChangeDecoder(options: ChangeDecoderOptions = {}): ChangeDecoder {
  return new RecordDecoder(options);
}

/** The {@link ChangeDecoder} of {@link createChangeDecoder}: records to events, by its units. */
class RecordDecoder implements ChangeDecoder {
  readonly #tableOf: (topic: string, source: SourceInfo | null) => string;
  readonly #rowDecoders: RowDecoders;
  readonly #keys: KeyDecoder;
  readonly #validator: RowValidator;
  readonly #declaredUnwrapped: boolean | ((topic: string) => boolean) | undefined;
  #lastUnwrappedTopic: string | undefined;
  #lastUnwrapped = false;
  // classifyEnvelope's options, filled in for each record (it reads them before returning).
  readonly #classifyOptions: { topic: string; text: string; unwrapped: boolean } = {
    topic: '',
    text: '',
    unwrapped: false,
  };

  constructor(options: ChangeDecoderOptions) {
    const models = new TableModels(options.modelFor ?? modelForTable, options.columns);
    this.#rowDecoders = new RowDecoders(models, unavailableValueMatcher(options.unavailablePlaceholder));
    this.#keys = new KeyDecoder(models, this.#rowDecoders);
    this.#validator = new RowValidator(models, options.validate ?? true);
    this.#tableOf = options.tableOf ?? defaultTableOf;
    this.#declaredUnwrapped = options.unwrapped;
  }

  decode(record: KafkaRecord): CdcEvent {
    if (record.value === null) {
      return {
        kind: 'tombstone',
        topic: record.topic,
        partition: record.partition ?? null,
        offset: record.offset ?? null,
        table: topicTable(record.topic),
        key: this.#keyOf(record, topicTable(record.topic)),
      };
    }
    return this.#decodeValue(record, toText(record.value, 'value'), false);
  }

  #isDeclaredUnwrapped(topic: string): boolean {
    const declared = this.#declaredUnwrapped;
    if (typeof declared !== 'function') return declared === true;
    if (topic !== this.#lastUnwrappedTopic) {
      this.#lastUnwrapped = declared(topic) === true;
      this.#lastUnwrappedTopic = topic;
    }
    return this.#lastUnwrapped;
  }

  #keyOf(record: KafkaRecord, table: string): Record<string, unknown> | null {
    if (record.key === null) return null;
    return this.#keys.decode(toText(record.key, 'key'), table);
  }

  #decodeValue(record: KafkaRecord, text: string, lossless: boolean): CdcEvent {
    const parsed = parseText(text, 'value', lossless);
    if (parsed === null) {
      return {
        kind: 'tombstone',
        ...positionOf(record),
        table: topicTable(record.topic),
        key: this.#keyOf(record, topicTable(record.topic)),
      };
    }
    const classifyOptions = this.#classifyOptions;
    classifyOptions.topic = record.topic;
    classifyOptions.text = text;
    classifyOptions.unwrapped = this.#isDeclaredUnwrapped(record.topic);
    const envelope: Envelope = classifyEnvelope(parsed, classifyOptions);
    if (envelope.form !== 'change') return this.#otherEvent(record, envelope);
    const table = this.#tableOf(record.topic, envelope.source);
    const key = this.#keyOf(record, table);
    if (envelope.op === 'd' && key === null && !hasColumns(envelope.before)) {
      throw new EnvelopeError('a delete with neither a Kafka key nor a before row names no row', [
        ...(envelope.unwrapped ? ROOT_PATH : BEFORE_PATH),
      ]);
    }
    const decoder =
      envelope.rowSchema?.type === 'struct'
        ? this.#rowDecoders.forSchema(envelope.rowSchema, table)
        : this.#rowDecoders.withoutSchema(table);
    const base = envelope.unwrapped ? ROOT_PATH : AFTER_PATH;
    const ctx: DecodeContext = { path: base, unsafe: false };
    let afterRow: Record<string, unknown> | null = null;
    let unavailable: readonly string[] | undefined;
    // The model's row, when the generated function that decoded `after` also validated it.
    let row: unknown = NOT_VALIDATED;
    if (envelope.after !== null) {
      const decoded = this.#validator.decodeValidated(decoder, table, envelope.after, ctx);
      if (decoded === undefined) {
        const after = decodeRow(decoder, envelope.after, ctx);
        afterRow = after.row;
        unavailable = after.unavailable;
      } else {
        afterRow = decoded;
        unavailable = NO_COLUMNS;
        row = this.#validator.takeValidated();
      }
    }
    let before: DecodedRow | null = null;
    if (envelope.before !== null) {
      const beforeCtx: DecodeContext = { path: envelope.unwrapped ? ROOT_PATH : BEFORE_PATH, unsafe: false };
      before = decodeRow(decoder, envelope.before, beforeCtx);
      if (beforeCtx.unsafe) ctx.unsafe = true;
    }
    if (!lossless && ctx.unsafe) return this.#decodeValue(record, text, true);

    unavailable = unavailable ?? before?.unavailable ?? NO_COLUMNS;
    if (row === NOT_VALIDATED)
      row = afterRow === null ? null : this.#validator.validate(table, afterRow, unavailable, base);
    return new DecodedChange(
      record,
      table,
      envelope.op,
      key,
      before?.row ?? null,
      afterRow,
      row as Record<string, unknown> | null,
      unavailable,
      envelope.source,
      envelope.transaction,
      envelope.ts_ms,
      envelope.ts_us,
      envelope.tsNsRaw,
      text,
      envelope.unwrapped,
    );
  }

  #otherEvent(record: KafkaRecord, envelope: Exclude<Envelope, { form: 'change' }>): CdcEvent {
    const position = positionOf(record);
    switch (envelope.form) {
      case 'heartbeat':
        return { kind: 'heartbeat', ...position, ts_ms: envelope.ts_ms };
      case 'transaction':
        return {
          kind: 'transaction',
          ...position,
          status: envelope.status,
          id: envelope.id,
          event_count: envelope.event_count,
          data_collections: envelope.data_collections,
          ts_ms: envelope.ts_ms,
        };
      case 'message':
        return {
          kind: 'message',
          ...position,
          prefix: envelope.prefix,
          content: envelope.content,
          source: envelope.source,
          ts_ms: envelope.ts_ms,
        };
      case 'truncate':
        return {
          kind: 'truncate',
          ...position,
          table: this.#tableOf(record.topic, envelope.source),
          source: envelope.source,
          ts_ms: envelope.ts_ms,
        };
    }
  }
}
