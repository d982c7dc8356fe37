/**
 * From a Kafka record to a typed change: parse (losslessly when needed),
 * classify the envelope, decode column values by their logical types, mark
 * unchanged-TOAST columns unavailable, and validate the row against the
 * `@bionicpro/models` schema of its table.
 */
import {
  columnTypeOf,
  type Int64Text,
  modelForTable,
  safeParseRow,
  toModelIssues,
  tryParseInt64,
} from '@bionicpro/models';
import { generateFunction } from '@bionicpro/models/internal';
import type { z } from 'zod';
import {
  type Envelope,
  classifyEnvelope,
  type SourceInfo,
  type TransactionPosition,
  unwrapSchema,
} from './envelope.js';
import { ChangeValidationError, EnvelopeError, describeValue } from './errors.js';
import {
  type ConnectSchema,
  type DecodeContext,
  type DecodedRow,
  type RowDecoder,
  type RowShapes,
  type ValueType,
  compileRowType,
  decodeRow,
  isIntegerColumn,
  isPlainName,
  setColumn,
  valueTypeOfSchema,
} from './logical-types.js';
import { integerDigitsFromEnd, parseJsonLossless, stringifyJsonLossless } from './lossless-json.js';
import { type UnavailableMatcher, unavailableValueMatcher } from './unavailable-value.js';
import { validatedRowShapes } from './validated-row.js';

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

/** The start of a key of one column, up to its value: `{"id":`. */
const INTEGER_KEY_PREFIX = /^\{"([A-Za-z_][A-Za-z0-9_]*)":/;

const textDecoder = new TextDecoder('utf-8', { fatal: true });

function toText(bytes: string | Uint8Array, part: 'key' | 'value'): string {
  if (typeof bytes === 'string') return bytes;
  if (!(bytes instanceof Uint8Array)) {
    const got = bytes === null ? 'null' : Array.isArray(bytes) ? 'an array' : typeof bytes;
    throw new EnvelopeError(`expected a string or Buffer, got ${got}`, [part]);
  }
  try {
    return textDecoder.decode(bytes);
  } catch (cause) {
    throw new EnvelopeError('not UTF-8 text', [part], { cause });
  }
}

function parseText(text: string, part: 'key' | 'value', lossless: boolean): unknown {
  try {
    return lossless ? parseJsonLossless(text) : JSON.parse(text);
  } catch (cause) {
    throw new EnvelopeError(`not JSON: ${(cause as Error).message}`, [part], { cause });
  }
}

const keyRows = new Map<string, (value: number | string) => Record<string, unknown>>();

/** `(value) => ({ <column>: value })` for a plain column name (see INTEGER_KEY_PREFIX). */
function keyRowOf(column: string): (value: number | string) => Record<string, unknown> {
  let keyRow = keyRows.get(column);
  if (keyRow === undefined) {
    keyRow = generateFunction<(value: number | string) => Record<string, unknown>>({
      generated: 'cdc.key-row',
      bindings: new Map(),
      body: [`return function keyRow(value) { return { ${column}: value }; };`],
      fallback: () => (value) => {
        const row: Record<string, unknown> = {};
        row[column] = value;
        return row;
      },
    });
    if (keyRows.size < 1000) keyRows.set(column, keyRow);
  }
  return keyRow;
}

interface LastSchema {
  readonly table: string | undefined;
  readonly name: string | undefined;
  readonly schema: ConnectSchema;
  readonly decoder: RowDecoder;
}

/** Connect types of integer columns (decoded to themselves when safe). */
const INTEGER_TYPES = new Set(['int8', 'int16', 'int32', 'int64']);

/**
 * The integer written in `text` from `at` to `end` (exclusive): an optional `-` and 1–15 digits
 * without a leading zero, as JSON writes it (exact as a double); undefined for anything else.
 */
function integerText(text: string, at: number, end: number): number | undefined {
  const negative = text.charCodeAt(at) === 45; /* - */
  const start = negative ? at + 1 : at;
  const digits = end - start;
  if (digits < 1 || digits > 15 || (digits > 1 && text.charCodeAt(start) === 48)) return undefined;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

/** Whether a row has at least one column. */
function hasColumns(row: Record<string, unknown> | null): boolean {
  if (row === null) return false;
  for (const _ in row) return true;
  return false;
}

/**
 * A key payload with integer columns given as decimal text (`{"id":"1"}`, as Debezium's
 * documentation prints keys) read as integers, and int64 columns as exact decimal text (as in
 * rows); the payload itself when nothing changes.
 */
function normaliseKeyIntegers(
  kindOf: (column: string) => 'integer' | 'int64' | undefined,
  payload: Record<string, unknown>,
): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const column in payload) {
    const value = payload[column];
    if (value === null || typeof value === 'object' || typeof value === 'boolean') continue;
    const kind = kindOf(column);
    if (kind === undefined) continue;
    let normalised: unknown = value;
    if (kind === 'int64') {
      const result = tryParseInt64(value);
      if (result.ok) normalised = result.text;
    } else if (typeof value === 'string' && INTEGER_TEXT.test(value)) {
      normalised = Number(value);
    }
    if (normalised === value) continue;
    out ??= { ...payload };
    setColumn(out, column, normalised);
  }
  return out ?? payload;
}

const INTEGER_TEXT = /^-?(?:0|[1-9]\d{0,14})$/;

function positionOf(record: KafkaRecord): RecordPosition {
  return { topic: record.topic, partition: record.partition ?? null, offset: record.offset ?? null };
}

// Shared, never mutated: paths are copied whenever an error extends them.
const ROOT_PATH: readonly (string | number)[] = [];
const KEY_PATH: readonly (string | number)[] = ['key'];
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

function decimalPrecisionOf(schema: z.ZodType): number {
  const pg = columnTypeOf(schema)?.pg.toLowerCase() ?? '';
  const numeric = /^numeric\(\s*(\d+)\s*,/.exec(pg);
  return numeric ? Number(numeric[1]) : Number.POSITIVE_INFINITY;
}

/** The {@link ValueType} a model column implies for schema-less messages. */
export function valueTypeOfModelColumn(schema: z.ZodType): ValueType {
  const type = columnTypeOf(schema);
  if (!type) return { kind: 'any' };
  const pg = type.pg.toLowerCase();
  const numeric = /^numeric\(\s*\d+\s*,\s*(\d+)\s*\)$/.exec(pg);
  if (numeric) return { kind: 'decimal', scale: Number(numeric[1]) };
  if (pg === 'date') return { kind: 'date' };
  if (pg === 'timestamptz' || pg === 'timestamp with time zone') return { kind: 'zoned-timestamp' };
  if (pg === 'timestamp' || pg === 'timestamp without time zone') return { kind: 'timestamp', unit: 'us' };
  if (pg === 'uuid') return { kind: 'uuid' };
  if (pg === 'bigint') return { kind: 'int64' };
  if (pg === 'json' || pg === 'jsonb') return { kind: 'json' };
  return { kind: 'any' };
}

function sameStruct(a: ConnectSchema, b: ConnectSchema): boolean {
  const fa = a.fields ?? [];
  const fb = b.fields ?? [];
  if (!Array.isArray(fa) || !Array.isArray(fb) || fa.length !== fb.length) return false;
  for (let i = 0; i < fa.length; i++) {
    const x = fa[i]!;
    const y = fb[i]!;
    if (x === null || y === null || typeof x !== 'object' || typeof y !== 'object') return false;
    if (x.field !== y.field || x.type !== y.type || x.name !== y.name) return false;
    // The form Debezium's documentation prints for keys: `{name, index, schema}`.
    if (x.field === undefined && stringifyJsonLossless(x) !== stringifyJsonLossless(y)) return false;
    if (x.parameters?.['scale'] !== y.parameters?.['scale']) return false;
    if (x.type === 'array' || x.type === 'struct' || x.type === 'map') {
      if (stringifyJsonLossless(x) !== stringifyJsonLossless(y)) return false;
    }
  }
  return true;
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
  const isUnavailable: UnavailableMatcher = unavailableValueMatcher(options.unavailablePlaceholder);
  const validate = options.validate ?? true;
  const modelFor = options.modelFor ?? modelForTable;
  const tableOf = options.tableOf ?? defaultTableOf;
  const schemaDecoders = new Map<string, { schema: ConnectSchema; decoder: RowDecoder }>();
  const schemalessDecoders = new Map<string, RowDecoder>();
  const models = new Map<string, z.ZodObject | null>();
  const partialModels = new Map<string, z.ZodObject>();

  // The last key and row schemas met, checked before the Map: building and hashing its key (a
  // new string per record) cost more than comparing the names.
  let lastKeySchema: LastSchema | undefined;
  let lastRowSchema: LastSchema | undefined;

  function rowDecoderForSchema(schema: ConnectSchema, table: string | undefined): RowDecoder {
    const last = table === undefined ? lastKeySchema : lastRowSchema;
    if (
      last !== undefined &&
      last.table === table &&
      last.name === schema.name &&
      (last.schema === schema || sameStruct(last.schema, schema))
    ) {
      return last.decoder;
    }
    const decoder = schemaDecoderOf(schema, table);
    const entry: LastSchema = { table, name: schema.name, schema, decoder };
    if (table === undefined) lastKeySchema = entry;
    else lastRowSchema = entry;
    return decoder;
  }

  function schemaDecoderOf(schema: ConnectSchema, table: string | undefined): RowDecoder {
    const cacheKey = `${table ?? ''}\u0000${schema.name ?? ''}`;
    const cached = schemaDecoders.get(cacheKey);
    if (cached && (cached.schema === schema || sameStruct(cached.schema, schema))) return cached.decoder;
    const type = valueTypeOfSchema(schema);
    if (type.kind !== 'struct') {
      throw new EnvelopeError(`expected a struct schema for the row, got ${schema.type}`, ['schema']);
    }
    const fields: Record<string, ValueType> = { ...type.fields };
    // decimal.handling.mode=double: a model decimal column arrives as a JSON double. For the
    // precisions PostgreSQL money columns use (≤ 15 significant digits) the shortest text that
    // round-trips the double is exactly the original decimal, so it is recovered, not guessed.
    const model = table === undefined ? undefined : modelOf(table);
    if (model) {
      for (const [column, schemaOfColumn] of Object.entries(model.shape as Record<string, z.ZodType>)) {
        const implied = valueTypeOfModelColumn(schemaOfColumn);
        if (
          implied.kind === 'decimal' &&
          fields[column]?.kind === 'float' &&
          decimalPrecisionOf(schemaOfColumn) <= 15
        ) {
          fields[column] = { kind: 'decimal-text' };
        }
      }
    }
    const decoder = compileRowType(fields, isUnavailable);
    if (schemaDecoders.size > 1000) schemaDecoders.clear();
    schemaDecoders.set(cacheKey, { schema, decoder });
    return decoder;
  }

  let lastModelTable: string | undefined;
  let lastModel: z.ZodObject | undefined;

  function modelOf(table: string): z.ZodObject | undefined {
    if (table === lastModelTable) return lastModel;
    let model = models.get(table);
    if (model === undefined) {
      model = modelFor(table) ?? null;
      models.set(table, model);
    }
    lastModelTable = table;
    lastModel = model ?? undefined;
    return lastModel;
  }

  // The last table's schema-less decoder: consecutive records are nearly always of one table,
  // and comparing a short name costs less than hashing it (it is a new string in every record).
  let lastSchemalessTable: string | undefined;
  let lastSchemalessDecoder: RowDecoder | undefined;

  function rowDecoderWithoutSchema(table: string): RowDecoder {
    if (table === lastSchemalessTable) return lastSchemalessDecoder!;
    const decoder = schemalessDecoderOf(table);
    lastSchemalessTable = table;
    lastSchemalessDecoder = decoder;
    return decoder;
  }

  function schemalessDecoderOf(table: string): RowDecoder {
    let decoder = schemalessDecoders.get(table);
    if (!decoder) {
      const fields: Record<string, ValueType> = Object.create(null);
      const model = modelOf(table);
      if (model) {
        for (const [column, schema] of Object.entries(model.shape as Record<string, z.ZodType>)) {
          fields[column] = valueTypeOfModelColumn(schema);
        }
      }
      const columns =
        options.columns && Object.hasOwn(options.columns, table) ? options.columns[table] : undefined;
      if (columns) for (const column of Object.keys(columns)) fields[column] = columns[column]!;
      decoder = compileRowType(fields, isUnavailable, true);
      schemalessDecoders.set(table, decoder);
    }
    return decoder;
  }

  // The column of the last `{"<column>":<integer>}` key (see integerKey), its text up to the
  // value, and a function building the key row as an object literal.
  let keyColumn = '';
  let keyPrefix = '';
  let keyRow: (value: number | string) => Record<string, unknown> = () => ({});

  /**
   * A schema-less key of one integer column, `{"<column>":<integer of at most 15 digits>}`, the
   * usual primary key, read without JSON.parse: the row the general path decodes it to (the
   * integer is exact, so no lossless re-parse is needed). Undefined for any other text.
   */
  function integerKey(text: string, table: string): Record<string, unknown> | undefined {
    const end = text.length - 1;
    if (end > 80 || text.charCodeAt(end) !== 125 /* } */) return undefined;
    let column = keyColumn;
    let at = keyPrefix.length;
    if (at === 0 || !text.startsWith(keyPrefix)) {
      const prefix = INTEGER_KEY_PREFIX.exec(text);
      if (prefix === null || prefix[1] === '__proto__') return undefined;
      column = prefix[1]!;
      at = prefix[0].length;
    }
    const value = integerText(text, at, end);
    if (value === undefined) return undefined;
    if (column !== keyColumn) {
      keyColumn = column;
      keyPrefix = text.slice(0, at);
      keyRow = keyRowOf(column);
    }
    // A bigint column is decimal text, as in the row (Object.is keeps -0 out of it: "-0" is not canonical).
    if (int64ColumnsOf(table).has(column)) return Object.is(value, -0) ? undefined : keyRow(String(value));
    return keyRow(value);
  }

  // With schemas.enable=true every key repeats its schema: the text of the last key of one
  // integer column up to its value (`{"schema":{…},"payload":{"id":`), and its row builder.
  let schemaKeyPrefix = '';
  let schemaKeyRow: (value: number | string) => Record<string, unknown> = () => ({});
  let schemaKeyText = false;

  /**
   * A key with the text of the last one up to its value and an integer of at most 15 digits
   * after it (then `}}`): the row the general path decodes it to, without parsing its schema
   * again (it is the same text, already parsed and checked). Undefined for any other text.
   */
  function schemaIntegerKey(text: string): Record<string, unknown> | undefined {
    const at = schemaKeyPrefix.length;
    if (at === 0 || text.length > at + 18 || !text.startsWith(schemaKeyPrefix) || !text.endsWith('}}')) {
      return undefined;
    }
    const value = integerText(text, at, text.length - 2);
    if (value === undefined) return undefined;
    if (!schemaKeyText) return schemaKeyRow(value);
    return Object.is(value, -0) ? undefined : schemaKeyRow(String(value));
  }

  /** Remembers the text of a key whose schema is one integer column, for {@link schemaIntegerKey}. */
  function learnSchemaKey(text: string, schema: ConnectSchema, row: Record<string, unknown>): void {
    const fields = schema.fields ?? [];
    const field = fields[0];
    if (
      fields.length !== 1 ||
      field?.field === undefined ||
      field.name !== undefined ||
      !INTEGER_TYPES.has(field.type) ||
      !isPlainName(field.field)
    ) {
      return;
    }
    const decoded = row[field.field];
    const asText = field.type === 'int64';
    if (typeof decoded !== (asText ? 'string' : 'number')) return;
    const marker = `"payload":{"${field.field}":`;
    const at = text.lastIndexOf(marker) + marker.length;
    if (at < marker.length || !text.endsWith('}}')) return;
    const value = integerText(text, at, text.length - 2);
    if (value === undefined || !Object.is(asText ? String(value) : value, decoded)) return;
    schemaKeyPrefix = text.slice(0, at);
    schemaKeyRow = keyRowOf(field.field);
    schemaKeyText = asText;
  }

  const integerColumnSets = new Map<string, ReadonlySet<string>>();
  const int64ColumnSets = new Map<string, ReadonlySet<string>>();
  let lastInt64Table: string | undefined;
  let lastInt64Columns: ReadonlySet<string> = new Set();

  /** Columns of a table without schemas that decode as int64 (decimal text): model bigint, `columns` int64. */
  function int64ColumnsOf(table: string): ReadonlySet<string> {
    if (table === lastInt64Table) return lastInt64Columns;
    let set = int64ColumnSets.get(table);
    if (set === undefined) {
      const found = new Set<string>();
      const model = modelOf(table);
      if (model) {
        for (const [column, schema] of Object.entries(model.shape as Record<string, z.ZodType>)) {
          if (columnTypeOf(schema)?.pg.toLowerCase() === 'bigint') found.add(column);
        }
      }
      const columns =
        options.columns && Object.hasOwn(options.columns, table) ? options.columns[table] : undefined;
      for (const [column, type] of Object.entries(columns ?? {})) {
        if (type.kind === 'int64') found.add(column);
        else found.delete(column);
      }
      set = found;
      if (int64ColumnSets.size < 1000) int64ColumnSets.set(table, set);
    }
    lastInt64Table = table;
    lastInt64Columns = set;
    return set;
  }

  /** Integer columns of a table without schemas: by its model (integer, smallint, bigint) and `columns`. */
  function integerColumnsOf(table: string): ReadonlySet<string> {
    let set = integerColumnSets.get(table);
    if (set === undefined) {
      const found = new Set<string>();
      const model = modelOf(table);
      if (model) {
        for (const [column, schema] of Object.entries(model.shape as Record<string, z.ZodType>)) {
          const pg = columnTypeOf(schema)?.pg.toLowerCase();
          if (pg === 'integer' || pg === 'smallint') found.add(column);
        }
      }
      const columns =
        options.columns && Object.hasOwn(options.columns, table) ? options.columns[table] : undefined;
      for (const [column, type] of Object.entries(columns ?? {})) {
        if (type.kind === 'integer') found.add(column);
        else found.delete(column);
      }
      set = found;
      if (integerColumnSets.size < 1000) integerColumnSets.set(table, set);
    }
    return set;
  }

  // Schema-less keys: one decoder for all of them (compiling one per message cost a Map and a WeakMap entry each).
  const schemalessKeyDecoder = compileRowType({}, undefined, true);

  function decodeKey(text: string, table: string): Record<string, unknown> | null {
    const fast = integerKey(text, table) ?? schemaIntegerKey(text);
    if (fast !== undefined) return fast;
    const parsed = parseText(text, 'key', true);
    if (parsed === null) return null;
    const { payload, schema } = unwrapSchema(parsed);
    if (payload === null) return null;
    if (typeof payload !== 'object' || Array.isArray(payload)) {
      throw new EnvelopeError(`expected a key struct, got ${describeValue(payload)}`, ['key']);
    }
    const ctx: DecodeContext = { path: KEY_PATH, unsafe: false };
    if (schema === undefined) {
      const int64 = int64ColumnsOf(table);
      const integers = integerColumnsOf(table);
      const row = normaliseKeyIntegers(
        (column) => (int64.has(column) ? 'int64' : integers.has(column) ? 'integer' : undefined),
        payload as Record<string, unknown>,
      );
      return decodeRow(schemalessKeyDecoder, row, ctx).row;
    }
    if (schema.type !== 'struct') {
      throw new EnvelopeError(`expected a struct schema for the key, got ${describeValue(schema.type)}`, [
        'key',
        'schema',
        'type',
      ]);
    }
    const decoder = rowDecoderForSchema(schema, undefined);
    const row = decodeRow(
      decoder,
      normaliseKeyIntegers(
        (column) => (isIntegerColumn(decoder, column) ? 'integer' : undefined),
        payload as Record<string, unknown>,
      ),
      ctx,
    ).row;
    learnSchemaKey(text, schema, row);
    return row;
  }

  // Rows decoded and validated by one generated function (see validated-row.ts), per row decoder
  // (decoders are per table), with the last one at hand; null where the table has no model the
  // generated functions can follow.
  const validatedShapes = new WeakMap<RowDecoder, RowShapes | null>();
  let lastValidatedDecoder: RowDecoder | undefined;
  let lastValidatedShapes: RowShapes | null = null;
  // classifyEnvelope's options, filled in for each record (it reads them before returning).
  const classifyOptions: { topic: string; text: string; unwrapped: boolean } = {
    topic: '',
    text: '',
    unwrapped: false,
  };
  const declaredUnwrapped = options.unwrapped;
  let lastUnwrappedTopic: string | undefined;
  let lastUnwrapped = false;

  function isDeclaredUnwrapped(topic: string): boolean {
    if (typeof declaredUnwrapped !== 'function') return declaredUnwrapped === true;
    if (topic !== lastUnwrappedTopic) {
      lastUnwrapped = declaredUnwrapped(topic) === true;
      lastUnwrappedTopic = topic;
    }
    return lastUnwrapped;
  }
  // Where a generated function leaves the validated row (read and cleared at once).
  const validated: { row: unknown } = { row: undefined };

  function validatedShapesOf(decoder: RowDecoder, table: string): RowShapes | null {
    if (decoder === lastValidatedDecoder) return lastValidatedShapes;
    let shapes = validatedShapes.get(decoder);
    if (shapes === undefined) {
      const model = modelOf(table);
      shapes = (model && validatedRowShapes(decoder, model)) ?? null;
      validatedShapes.set(decoder, shapes);
    }
    lastValidatedDecoder = decoder;
    lastValidatedShapes = shapes;
    return shapes;
  }

  function validateRowFor(
    table: string,
    row: Record<string, unknown>,
    unavailable: readonly string[],
    base: readonly (string | number)[],
  ): unknown {
    if (!validate) return row;
    const model = modelOf(table);
    if (!model) return row;
    let schema: z.ZodObject = model;
    if (unavailable.length > 0) {
      const cacheKey = `${table}\u0000${unavailable.join('\u0000')}`;
      let partial = partialModels.get(cacheKey);
      if (!partial) {
        const mask: Record<string, true> = {};
        for (const column of unavailable) if (Object.hasOwn(model.shape, column)) mask[column] = true;
        partial = model.omit(mask as never) as unknown as z.ZodObject;
        partialModels.set(cacheKey, partial);
      }
      schema = partial;
    }
    const result = safeParseRow(schema, row);
    if (result.success) return result.data;
    const issues = toModelIssues(result.error).map((issue) => ({
      path: [...base, ...issue.path],
      code: issue.code,
      message: issue.message,
    }));
    throw new ChangeValidationError(table, issues, { cause: result.error });
  }

  function decodeValue(record: KafkaRecord, text: string, lossless: boolean): CdcEvent {
    const parsed = parseText(text, 'value', lossless);
    if (parsed === null) {
      return {
        kind: 'tombstone',
        ...positionOf(record),
        table: topicTable(record.topic),
        key: keyOf(record, topicTable(record.topic)),
      };
    }
    classifyOptions.topic = record.topic;
    classifyOptions.text = text;
    classifyOptions.unwrapped = isDeclaredUnwrapped(record.topic);
    const envelope: Envelope = classifyEnvelope(parsed, classifyOptions);
    if (envelope.form !== 'change') return otherEvent(record, envelope);
    const table = tableOf(record.topic, envelope.source);
    const key = keyOf(record, table);
    if (envelope.op === 'd' && key === null && !hasColumns(envelope.before)) {
      throw new EnvelopeError('a delete with neither a Kafka key nor a before row names no row', [
        ...(envelope.unwrapped ? ROOT_PATH : BEFORE_PATH),
      ]);
    }
    const decoder =
      envelope.rowSchema?.type === 'struct'
        ? rowDecoderForSchema(envelope.rowSchema, table)
        : rowDecoderWithoutSchema(table);
    const base = envelope.unwrapped ? ROOT_PATH : AFTER_PATH;
    const ctx: DecodeContext = { path: base, unsafe: false };
    let afterRow: Record<string, unknown> | null = null;
    let unavailable: readonly string[] | undefined;
    // The model's row, when the generated function that decoded `after` also validated it.
    let row: unknown = NOT_VALIDATED;
    if (envelope.after !== null) {
      const shapes = validate ? validatedShapesOf(decoder, table) : null;
      const decoded = shapes === null ? undefined : shapes.decode(envelope.after, ctx, validated);
      if (decoded === undefined) {
        const after = decodeRow(decoder, envelope.after, ctx);
        afterRow = after.row;
        unavailable = after.unavailable;
      } else {
        afterRow = decoded;
        unavailable = NO_COLUMNS;
        row = validated.row;
        validated.row = undefined;
      }
    }
    let before: DecodedRow | null = null;
    if (envelope.before !== null) {
      const beforeCtx: DecodeContext = { path: envelope.unwrapped ? ROOT_PATH : BEFORE_PATH, unsafe: false };
      before = decodeRow(decoder, envelope.before, beforeCtx);
      if (beforeCtx.unsafe) ctx.unsafe = true;
    }
    if (!lossless && ctx.unsafe) return decodeValue(record, text, true);

    unavailable = unavailable ?? before?.unavailable ?? NO_COLUMNS;
    if (row === NOT_VALIDATED)
      row = afterRow === null ? null : validateRowFor(table, afterRow, unavailable, base);
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

  function otherEvent(record: KafkaRecord, envelope: Exclude<Envelope, { form: 'change' }>): CdcEvent {
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
          table: tableOf(record.topic, envelope.source),
          source: envelope.source,
          ts_ms: envelope.ts_ms,
        };
    }
  }

  function keyOf(record: KafkaRecord, table: string): Record<string, unknown> | null {
    if (record.key === null) return null;
    return decodeKey(toText(record.key, 'key'), table);
  }

  return {
    decode(record) {
      if (record.value === null) {
        return {
          kind: 'tombstone',
          topic: record.topic,
          partition: record.partition ?? null,
          offset: record.offset ?? null,
          table: topicTable(record.topic),
          key: keyOf(record, topicTable(record.topic)),
        };
      }
      return decodeValue(record, toText(record.value, 'value'), false);
    },
  };
}
