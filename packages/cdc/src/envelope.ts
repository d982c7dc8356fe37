/**
 * The forms of a Debezium record as Kafka carries it, with the JSON converter,
 * `schemas.enable` true (`{schema, payload}`) or false (the payload alone):
 * change events (`op` c/u/d/r/t), logical-decoding messages (`op` m),
 * tombstones (a null value), transaction metadata (BEGIN/END), heartbeats, and
 * rows flattened by the ExtractNewRecordState SMT (`__op`, `__deleted`, ...).
 * This module only classifies and checks the envelope; column values are
 * decoded in `decode-change.ts`.
 */
import { EnvelopeError, describeValue as describe } from './errors.js';
import { type ConnectSchema, setColumn } from './logical-types.js';
import { type Int64Text, tryParseInt64 } from '@bionicpro/models';
import { integerDigitsFromEnd, parseJsonLossless } from './lossless-json.js';

/** Debezium operation codes. */
export type DebeziumOp = 'c' | 'u' | 'd' | 'r' | 't' | 'm';

/**
 * `source.snapshot`. Current Debezium writes a string; older versions a
 * boolean, normalised here to `'true'`/`'false'`. `null` when absent.
 */
export type SnapshotMarker =
  | 'true'
  | 'first'
  | 'first_in_data_collection'
  | 'last_in_data_collection'
  | 'last'
  | 'false'
  | 'incremental';

const SNAPSHOT_MARKERS = new Set<string>([
  'true',
  'first',
  'first_in_data_collection',
  'last_in_data_collection',
  'last',
  'false',
  'incremental',
]);

/** The `source` block, normalised. Unknown fields are kept in `raw`. */
export interface SourceInfo {
  readonly connector: string | null;
  /** `topic.prefix` of the connector. */
  readonly name: string | null;
  readonly db: string | null;
  readonly schema: string | null;
  readonly table: string | null;
  /**
   * WAL position of the change as exact decimal text (a Java long: up to 2^63−1, never rounded);
   * null for incremental-snapshot rows. Compare with `compareInt64Text` or `BigInt`, not `Number`.
   */
  readonly lsn: Int64Text | null;
  /** Transaction id as exact decimal text. */
  readonly txId: Int64Text | null;
  readonly ts_ms: number | null;
  readonly ts_us: number | null;
  /** Nanoseconds since the epoch as exact decimal text (always beyond 2^53). */
  readonly ts_ns: Int64Text | null;
  readonly snapshot: SnapshotMarker | null;
  /** `source.sequence` parsed: [commit LSN of the previous transaction, LSN of this change]. */
  readonly sequence: readonly [string | null, string | null] | null;
  readonly raw: Readonly<Record<string, unknown>>;
}

/** The `transaction` block of a change (with `provide.transaction.metadata=true`). */
export interface TransactionPosition {
  /** `txId:LSN`. */
  readonly id: string;
  readonly total_order: number;
  readonly data_collection_order: number;
}

/** A classified, schema-checked Kafka record value. */
export type Envelope =
  | {
      readonly form: 'change';
      readonly op: 'c' | 'u' | 'd' | 'r';
      readonly before: Record<string, unknown> | null;
      readonly after: Record<string, unknown> | null;
      readonly rowSchema: ConnectSchema | undefined;
      readonly source: SourceInfo | null;
      readonly transaction: TransactionPosition | null;
      readonly ts_ms: number | null;
      readonly ts_us: number | null;
      /** The top-level `ts_ns` as parsed (rounded when beyond 2^53; see `decode-change.ts`). */
      readonly tsNsRaw: unknown;
      readonly unwrapped: boolean;
    }
  | { readonly form: 'truncate'; readonly source: SourceInfo | null; readonly ts_ms: number | null }
  | {
      readonly form: 'message';
      readonly prefix: string;
      /** base64 content as Debezium writes it (bytes). */
      readonly content: string | null;
      readonly source: SourceInfo | null;
      readonly ts_ms: number | null;
    }
  | {
      readonly form: 'transaction';
      readonly status: 'BEGIN' | 'END';
      readonly id: string;
      readonly event_count: number | null;
      readonly data_collections:
        | readonly { readonly data_collection: string; readonly event_count: number }[]
        | null;
      readonly ts_ms: number | null;
    }
  | { readonly form: 'heartbeat'; readonly ts_ms: number | null };

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Splits the JSON converter's `{schema, payload}` wrapper. Returns the payload
 * and its schema (undefined with `schemas.enable=false`).
 */
export function unwrapSchema(value: unknown): { payload: unknown; schema: ConnectSchema | undefined } {
  if (isObject(value) && 'payload' in value) {
    // `{schema, payload}` with a usable schema, or the wrapper without one: `{payload}` alone,
    // `"schema": null` or `"schema": {}` (other Debezium consumers read such a payload too).
    let count = 0;
    for (const key in value) {
      if (key !== 'payload' && key !== 'schema') return { payload: value, schema: undefined };
      count++;
    }
    if (count > 2) return { payload: value, schema: undefined };
    const schema = value['schema'];
    if (isObject(schema) && typeof schema['type'] === 'string') {
      return { payload: value['payload'], schema: schema as unknown as ConnectSchema };
    }
    if (schema === undefined || schema === null || (isObject(schema) && Object.keys(schema).length === 0)) {
      return { payload: value['payload'], schema: undefined };
    }
  }
  return { payload: value, schema: undefined };
}

/** `-?digits` without a leading zero: how int64 values are quoted in JSON (and in Debezium's docs). */
const INTEGER_STRING = /^-?(?:0|[1-9]\d*)$/;

function optionalNumber(value: unknown, path: (string | number)[]): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  // Debezium's documentation prints `ts_ms` and the transaction counters quoted.
  if (typeof value === 'string' && INTEGER_STRING.test(value)) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
  }
  throw new EnvelopeError(`expected a number, got ${describe(value)}`, path);
}

/**
 * A 64-bit integer field (`lsn`, `txId`, `ts_ns`, `__lsn`) as exact decimal text: a safe integer,
 * a bigint (from the lossless parse), or canonical decimal text (Debezium's docs quote them). A
 * number JSON.parse rounded (beyond 2^53) takes its digits from `exact()`, which parses the
 * message text losslessly. Anything else, or beyond a Java long, is refused naming the field.
 */
function int64Field(value: unknown, path: (string | number)[], exact: () => unknown): Int64Text | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value === 0 ? '0' : String(value);
    if (Number.isInteger(value)) {
      const digits = exact();
      if (typeof digits === 'bigint') return int64Field(digits, path, noExact);
      // No integer digits to read (no message text, or the number written with an exponent, which a
      // double holds exactly at the precision it was written with): the number's own digits.
      if (Math.abs(value) < TWO_63) return BigInt(value).toString();
    }
  } else {
    const result = tryParseInt64(value);
    if (result.ok) return result.text;
    if (result.reason === 'out_of_range') {
      throw new EnvelopeError(`expected a 64-bit integer (a Java long), got ${describe(value)}`, path);
    }
  }
  throw new EnvelopeError(`expected an integer, got ${describe(value)}`, path);
}

const noExact = (): unknown => undefined;

function hasTopLevelTsNs(payload: Record<string, unknown>): boolean {
  return payload['ts_ns'] !== undefined && payload['ts_ns'] !== null;
}

/** 2^63 as a double: integers at or beyond it may be out of a Java long's range once read exactly. */
const TWO_63 = 2 ** 63;

/**
 * Checks a 64-bit field whose exact digits are read on first access (`ts_ns`), so that reading it
 * later cannot fail: anything but an integer number is checked now, and so is a number at the
 * edge of the range (exactly, from the text).
 */
function checkedInt64(
  value: unknown,
  base: readonly (string | number)[],
  field: string,
  text: string | undefined,
  inSource: boolean,
): unknown {
  if (value === undefined || value === null) return value;
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < TWO_63) return value;
  int64Field(value, [...base, field], () => exactField(text, field, inSource));
  return value;
}

/** The top-level `ts_ns`, checked (its exact digits are read on first access, see `decode-change.ts`). */
function checkedTsNs(value: unknown, base: readonly (string | number)[], text: string | undefined): unknown {
  return checkedInt64(value, base, 'ts_ns', text, false);
}

/** A field of the payload (top level or in `source`) parsed losslessly from the message text. */
function exactField(text: string | undefined, field: string, inSource: boolean): unknown {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = parseJsonLossless(text);
  } catch {
    // Text the fast parse read but the lossless one cannot (nesting too deep for its reviver).
    return undefined;
  }
  const payload = unwrapSchema(parsed).payload;
  if (!isObject(payload)) return undefined;
  if (!inSource) return payload[field];
  const source = payload['source'];
  return isObject(source) ? source[field] : undefined;
}

function optionalString(value: unknown, path: (string | number)[]): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  throw new EnvelopeError(`expected a string, got ${describe(value)}`, path);
}

/** Normalises `source.snapshot` (string enum, legacy boolean, or absent). */
export function parseSnapshotMarker(
  value: unknown,
  path: (string | number)[] = ['source', 'snapshot'],
): SnapshotMarker | null {
  if (value === undefined || value === null) return null;
  if (value === 'false' || value === false) return 'false';
  if (value === true) return 'true';
  if (typeof value === 'string' && SNAPSHOT_MARKERS.has(value)) return value as SnapshotMarker;
  throw new EnvelopeError(
    `expected one of ${[...SNAPSHOT_MARKERS].join(', ')} (or a boolean), got ${describe(value)}`,
    path,
  );
}

const SEQUENCE_TEXT = /^\[(?:"(\d*)"|null),\s*(?:"(\d*)"|null)\]$/;

/** Parses `source.sequence`, a JSON array serialised as a string. */
export function parseSequence(
  value: unknown,
  path: (string | number)[],
): readonly [string | null, string | null] | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string')
    throw new EnvelopeError(`expected a JSON array in a string, got ${describe(value)}`, path);
  const fast = SEQUENCE_TEXT.exec(value);
  if (fast) return [fast[1] ?? null, fast[2] ?? null];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new EnvelopeError(`expected a JSON array in a string, got ${describe(value)}`, path);
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    !parsed.every((v) => v === null || typeof v === 'string')
  ) {
    throw new EnvelopeError(`expected ["<last commit LSN>","<LSN>"], got ${value}`, path);
  }
  return [parsed[0] as string | null, parsed[1] as string | null];
}

/**
 * A parsed `source` block. `sequence` is parsed and `ts_ns` recovered from
 * the message text on first access: both are rarely read, and `ts_ns`
 * (beyond 2^53) needs the original digits.
 */
class SourceBlock implements SourceInfo {
  readonly connector: string | null;
  readonly name: string | null;
  readonly db: string | null;
  readonly schema: string | null;
  readonly table: string | null;
  readonly ts_ms: number | null;
  readonly ts_us: number | null;
  readonly snapshot: SnapshotMarker | null;
  readonly raw: Readonly<Record<string, unknown>>;
  // A safe integer until first read as text (most readers never read them: the text is made once).
  #lsn: Int64Text | number | null;
  #txId: Int64Text | number | null;
  readonly #path: (string | number)[];
  readonly #text: string | undefined;
  readonly #topLevelTsNs: boolean;
  #sequence: readonly [string | null, string | null] | null | undefined;
  #tsNs: Int64Text | null | undefined;

  constructor(
    value: Record<string, unknown>,
    path: (string | number)[],
    text: string | undefined,
    topLevelTsNs: boolean,
  ) {
    // Field paths are built only when a field is bad (fieldPath is called lazily): this runs for every message.
    const lsn = value['lsn'];
    const txId = value['txId'];
    const tsMs = value['ts_ms'];
    const tsUs = value['ts_us'];
    this.connector = stringField(value, 'connector', path);
    this.name = stringField(value, 'name', path);
    this.db = stringField(value, 'db', path);
    this.schema = stringField(value, 'schema', path);
    this.table = stringField(value, 'table', path);
    this.#lsn =
      typeof lsn === 'number' && Number.isSafeInteger(lsn)
        ? lsn
        : int64Field(lsn, fieldPath(path, 'lsn'), () => exactField(text, 'lsn', true));
    this.#txId =
      typeof txId === 'number' && Number.isSafeInteger(txId)
        ? txId
        : int64Field(txId, fieldPath(path, 'txId'), () => exactField(text, 'txId', true));
    this.ts_ms = typeof tsMs === 'number' ? tsMs : optionalNumber(tsMs, fieldPath(path, 'ts_ms'));
    this.ts_us = typeof tsUs === 'number' ? tsUs : optionalNumber(tsUs, fieldPath(path, 'ts_us'));
    this.snapshot = parseSnapshotMarker(
      value['snapshot'],
      path.length === 1 ? SNAPSHOT_PATH : fieldPath(path, 'snapshot'),
    );
    const sequence = value['sequence'];
    if (sequence !== undefined && sequence !== null) {
      // Checked now (Debezium's usual form by a regular expression), parsed on first access: a
      // malformed sequence is this message's error, never a later reader's.
      if (typeof sequence !== 'string') {
        throw new EnvelopeError(
          `expected a JSON array in a string, got ${describe(sequence)}`,
          fieldPath(path, 'sequence'),
        );
      }
      if (!SEQUENCE_TEXT.test(sequence))
        this.#sequence = parseSequence(sequence, fieldPath(path, 'sequence'));
    }
    checkedInt64(value['ts_ns'], path, 'ts_ns', text, true);
    this.raw = value;
    this.#path = path;
    this.#text = text;
    this.#topLevelTsNs = topLevelTsNs;
  }

  get lsn(): Int64Text | null {
    const value = this.#lsn;
    if (typeof value !== 'number') return value;
    const text = String(value);
    this.#lsn = text;
    return text;
  }

  get txId(): Int64Text | null {
    const value = this.#txId;
    if (typeof value !== 'number') return value;
    const text = String(value);
    this.#txId = text;
    return text;
  }

  get sequence(): readonly [string | null, string | null] | null {
    if (this.#sequence === undefined) {
      this.#sequence = parseSequence(
        this.raw['sequence'],
        this.#path.length === 1 ? SEQUENCE_PATH : [...this.#path, 'sequence'],
      );
    }
    return this.#sequence;
  }

  get ts_ns(): Int64Text | null {
    if (this.#tsNs === undefined) {
      const raw = this.raw['ts_ns'];
      const text = this.#text;
      this.#tsNs = int64Field(raw, fieldPath(this.#path, 'ts_ns'), () => {
        const rounded = Number(raw);
        return text === undefined
          ? undefined
          : (integerDigitsFromEnd(text, 'ts_ns', rounded, this.#topLevelTsNs ? 1 : 0) ??
              exactField(text, 'ts_ns', true));
      });
    }
    return this.#tsNs;
  }

  toJSON(): Record<string, unknown> {
    return {
      ...(this as object),
      lsn: this.lsn,
      txId: this.txId,
      sequence: this.sequence,
      ts_ns: this.ts_ns,
    };
  }
}

/**
 * Parses and checks a `source` block. Pass the message text to get exact
 * `ts_ns` digits beyond 2^53.
 */
export function parseSource(
  value: unknown,
  path: (string | number)[] = ['source'],
  text?: string,
  topLevelTsNs = false,
): SourceInfo | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw new EnvelopeError(`expected an object, got ${describe(value)}`, path);
  return new SourceBlock(value, path, text, topLevelTsNs);
}

function fieldPath(path: readonly (string | number)[], field: string): (string | number)[] {
  return [...path, field];
}

const SNAPSHOT_PATH = ['source', 'snapshot'];
const SEQUENCE_PATH = ['source', 'sequence'];

function stringField(
  value: Record<string, unknown>,
  field: string,
  path: (string | number)[],
): string | null {
  const v = value[field];
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v;
  throw new EnvelopeError(`expected a string, got ${describe(v)}`, [...path, field]);
}

function parseTransactionPosition(value: unknown, path: (string | number)[]): TransactionPosition | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value) || typeof value['id'] !== 'string') {
    throw new EnvelopeError(
      `expected {id, total_order, data_collection_order}, got ${describe(value)}`,
      path,
    );
  }
  return {
    id: value['id'],
    total_order: optionalNumber(value['total_order'], [...path, 'total_order']) ?? 0,
    data_collection_order:
      optionalNumber(value['data_collection_order'], [...path, 'data_collection_order']) ?? 0,
  };
}

function fieldSchema(schema: ConnectSchema | undefined, name: string): ConnectSchema | undefined {
  const fields: unknown = schema?.fields;
  if (!Array.isArray(fields)) return undefined;
  for (const field of fields)
    if (isObject(field) && field['field'] === name) return field as unknown as ConnectSchema;
  return undefined;
}

const CHANGE_OPS = new Set(['c', 'u', 'd', 'r']);
const SOURCE_PATH = ['source'];
const ROOT_PATH: readonly (string | number)[] = [];
const PAYLOAD_PATH: readonly (string | number)[] = ['payload'];
/** Field names the ExtractNewRecordState SMT adds (`add.fields`, `add.headers` excluded). */
const UNWRAP_FIELD = /^__(?!proto__$)/;
/**
 * Fields by which the ExtractNewRecordState form is recognised: what `delete.tombstone.handling.mode`
 * rewrites (`__deleted`) and what `add.fields` adds (`__op`, `__lsn`, `__table`, `__source_ts_ms`, ...).
 */
const UNWRAP_MARKERS = new Set([
  '__op',
  '__deleted',
  '__lsn',
  '__txId',
  '__table',
  '__db',
  '__schema',
  '__name',
  '__snapshot',
  '__ts_ms',
  '__ts_us',
  '__ts_ns',
  '__connector',
  '__version',
  '__sequence',
]);

function hasUnwrapMarker(payload: Record<string, unknown>): boolean {
  for (const key in payload) {
    if (key.charCodeAt(0) === 95 /* _ */ && (UNWRAP_MARKERS.has(key) || key.startsWith('__source_')))
      return true;
  }
  return false;
}

/** Options of {@link classifyEnvelope}. */
export interface ClassifyOptions {
  /** Kafka topic, used to tell heartbeats (`__debezium-heartbeat.*`) and transaction topics apart. */
  readonly topic?: string;
  /** The message text, for exact `ts_ns` digits beyond 2^53. */
  readonly text?: string;
  /**
   * The record is a row flattened by ExtractNewRecordState, whatever its fields (declared by the
   * caller for topics whose connector adds no `__` fields). Without it, only rows that carry
   * `__op`, `__deleted`, `__lsn`, `__table`, `__source_*`, ... are read as flattened.
   */
  readonly unwrapped?: boolean;
}

/**
 * Classifies a parsed record value (not null: null values are tombstones) and
 * checks its envelope. Throws {@link EnvelopeError} naming the bad field.
 *
 * What is what: the JSON converter's wrapper (`{schema, payload}`, or `{payload}` with no usable
 * schema) is removed first. A payload with `op`, `before` or `after` is a change envelope, and its
 * `op` must be c, u, d, r, t or m. A payload with ExtractNewRecordState's `__` fields (or any
 * payload, when the caller declares the topic unwrapped) is a flattened row. `{status, id}` is a
 * transaction marker, `{ts_ms}` (or anything on a heartbeat topic) a heartbeat. Anything else is
 * refused: it is never taken for a row.
 *
 * @example
 * ```ts
 * import { classifyEnvelope } from '@bionicpro/cdc';
 * classifyEnvelope({ before: null, after: { id: 1 }, op: 'c', ts_ms: 1 }).form; // 'change'
 * ```
 */
export function classifyEnvelope(value: unknown, options: ClassifyOptions = {}): Envelope {
  const { payload, schema } = unwrapSchema(value);
  // Shared and never mutated: error paths below are copies.
  const base = payload === value ? ROOT_PATH : PAYLOAD_PATH;
  if (!isObject(payload)) {
    throw new EnvelopeError(`expected a JSON object, got ${describe(payload)}`, [...base]);
  }
  if (options.unwrapped === true) return classifyUnwrapped(payload, schema, base, options.text);
  const op = payload['op'];
  const rawTsMs = payload['ts_ms'];
  const ts_ms = typeof rawTsMs === 'number' ? rawTsMs : optionalNumber(rawTsMs, [...base, 'ts_ms']);
  if (op !== undefined || 'before' in payload || 'after' in payload) {
    if (hasUnwrapMarker(payload)) {
      throw new EnvelopeError(
        'both a change envelope (op, before, after) and ExtractNewRecordState fields (__...): declare the topic unwrapped if these are columns',
        [...base],
      );
    }
    return classifyChange(payload, op, ts_ms, schema, base, options);
  }
  const status = payload['status'];
  if ((status === 'BEGIN' || status === 'END') && typeof payload['id'] === 'string') {
    const collections = payload['data_collections'];
    if (collections !== undefined && collections !== null && !Array.isArray(collections)) {
      throw new EnvelopeError(`expected an array, got ${describe(collections)}`, [
        ...base,
        'data_collections',
      ]);
    }
    return {
      form: 'transaction',
      status,
      id: payload['id'],
      event_count: optionalNumber(payload['event_count'], [...base, 'event_count']),
      data_collections: Array.isArray(collections)
        ? collections.map((entry, i) => {
            if (!isObject(entry) || typeof entry['data_collection'] !== 'string') {
              throw new EnvelopeError('expected {data_collection, event_count}', [
                ...base,
                'data_collections',
                i,
              ]);
            }
            return {
              data_collection: entry['data_collection'],
              event_count:
                optionalNumber(entry['event_count'], [...base, 'data_collections', i, 'event_count']) ?? 0,
            };
          })
        : null,
      ts_ms,
    };
  }
  const heartbeatTopic = options.topic?.startsWith('__debezium-heartbeat') ?? false;
  if (
    heartbeatTopic ||
    schema?.name === 'io.debezium.connector.common.Heartbeat' ||
    (rawTsMs !== undefined && Object.keys(payload).length === 1)
  ) {
    return { form: 'heartbeat', ts_ms };
  }
  if (hasUnwrapMarker(payload)) {
    if ('source' in payload || 'payload' in payload || 'schema' in payload) {
      throw new EnvelopeError(
        'ExtractNewRecordState fields (__...) next to envelope fields (source, payload, schema): declare the topic unwrapped if these are columns',
        [...base],
      );
    }
    return classifyUnwrapped(payload, schema, base, options.text);
  }
  throw new EnvelopeError(
    'not a Debezium record: no op (a change), no ExtractNewRecordState fields (__op, __deleted, __lsn, ...), no transaction status; declare the topic unwrapped if its connector adds no __ fields',
    [...base, 'op'],
  );
}

/** A change envelope (`op` present or `before`/`after` present): `op` must be known. */
function classifyChange(
  payload: Record<string, unknown>,
  op: unknown,
  ts_ms: number | null,
  schema: ConnectSchema | undefined,
  base: readonly (string | number)[],
  options: ClassifyOptions,
): Envelope {
  if (op === 'c' || op === 'u' || op === 'd' || op === 'r') {
    const before = payload['before'] ?? null;
    const after = payload['after'] ?? null;
    if (before !== null && !isObject(before))
      throw new EnvelopeError('expected an object or null', [...base, 'before']);
    if (after !== null && !isObject(after))
      throw new EnvelopeError('expected an object or null', [...base, 'after']);
    if (op === 'd' ? after !== null : after === null) {
      throw new EnvelopeError(
        op === 'd' ? 'a delete carries the old row in before, not after' : `op "${op}" needs an after row`,
        [...base, 'after'],
      );
    }
    if (schema !== undefined && schema.fields !== undefined && !Array.isArray(schema.fields)) {
      throw new EnvelopeError(`expected an array of fields, got ${describe(schema.fields)}`, [
        'schema',
        'fields',
      ]);
    }
    const rowSchema = fieldSchema(schema, 'after') ?? fieldSchema(schema, 'before');
    if (rowSchema !== undefined && rowSchema.type !== 'struct') {
      throw new EnvelopeError(`expected a struct schema for the row, got ${describe(rowSchema.type)}`, [
        'schema',
        'fields',
        rowSchema.field ?? 'after',
      ]);
    }
    return {
      form: 'change',
      op,
      before,
      after,
      rowSchema,
      source: parseSource(
        payload['source'],
        base.length === 0 ? SOURCE_PATH : [...base, 'source'],
        options.text,
        payload['ts_ns'] !== undefined && payload['ts_ns'] !== null,
      ),
      transaction:
        payload['transaction'] === undefined || payload['transaction'] === null
          ? null
          : parseTransactionPosition(payload['transaction'], [...base, 'transaction']),
      ts_ms,
      ts_us:
        typeof payload['ts_us'] === 'number'
          ? payload['ts_us']
          : optionalNumber(payload['ts_us'], [...base, 'ts_us']),
      tsNsRaw: checkedTsNs(payload['ts_ns'], base, options.text),
      unwrapped: false,
    };
  }
  if (op === 't') {
    if ((payload['before'] ?? null) !== null || (payload['after'] ?? null) !== null) {
      throw new EnvelopeError('a truncate carries no before or after row', [...base, 'op']);
    }
    return {
      form: 'truncate',
      source: parseSource(payload['source'], [...base, 'source'], options.text, hasTopLevelTsNs(payload)),
      ts_ms,
    };
  }
  if (op === 'm') {
    const message = payload['message'];
    if (!isObject(message) || typeof message['prefix'] !== 'string') {
      throw new EnvelopeError('expected {prefix, content}', [...base, 'message']);
    }
    return {
      form: 'message',
      prefix: message['prefix'],
      content: optionalString(message['content'], [...base, 'message', 'content']),
      source: parseSource(payload['source'], [...base, 'source'], options.text, hasTopLevelTsNs(payload)),
      ts_ms,
    };
  }
  throw new EnvelopeError(
    op === undefined
      ? 'op is missing (expected c, u, d, r, t or m)'
      : op === null
        ? 'op is null (expected c, u, d, r, t or m)'
        : `unknown op ${describe(op)} (expected c, u, d, r, t or m)`,
    [...base, 'op'],
  );
}

function classifyUnwrapped(
  payload: Record<string, unknown>,
  schema: ConnectSchema | undefined,
  base: readonly (string | number)[],
  text: string | undefined,
): Envelope {
  const row: Record<string, unknown> = {};
  for (const key in payload) if (!UNWRAP_FIELD.test(key)) setColumn(row, key, payload[key]);
  const deletedText = payload['__deleted'];
  if (
    deletedText !== undefined &&
    deletedText !== 'true' &&
    deletedText !== 'false' &&
    typeof deletedText !== 'boolean'
  ) {
    throw new EnvelopeError(`expected "true" or "false", got ${describe(deletedText)}`, [
      ...base,
      '__deleted',
    ]);
  }
  const deleted = deletedText === 'true' || deletedText === true;
  if (schema !== undefined && schema.type !== 'struct') {
    throw new EnvelopeError(`expected a struct schema for the row, got ${describe(schema.type)}`, [
      'schema',
      'type',
    ]);
  }
  const rawOp = payload['__op'];
  if (rawOp !== undefined && rawOp !== null && !(typeof rawOp === 'string' && CHANGE_OPS.has(rawOp))) {
    throw new EnvelopeError(`expected c, u, d or r, got ${describe(rawOp)}`, [...base, '__op']);
  }
  // Without add.fields=op the operation is unknown: an upsert, unless rewritten as deleted.
  const op = (deleted ? 'd' : ((rawOp as string | undefined) ?? 'u')) as 'c' | 'u' | 'd' | 'r';
  const lsn = int64Field(payload['__lsn'], [...base, '__lsn'], () => exactField(text, '__lsn', false));
  const txIdField = payload['__txId'] !== undefined ? '__txId' : '__source_txId';
  const txId = int64Field(payload[txIdField], [...base, txIdField], () => exactField(text, txIdField, false));
  const sourceTs = optionalNumber(payload['__source_ts_ms'], [...base, '__source_ts_ms']);
  const snapshotRaw = payload['__snapshot'] ?? payload['__source_snapshot'];
  const table = optionalString(payload['__table'] ?? payload['__source_table'], [...base, '__table']);
  const rawSource: Record<string, unknown> = {};
  for (const key in payload) if (UNWRAP_FIELD.test(key)) setColumn(rawSource, key, payload[key]);
  const source: SourceInfo = {
    connector: null,
    name: optionalString(payload['__name'] ?? payload['__source_name'], [...base, '__name']),
    db: optionalString(payload['__db'] ?? payload['__source_db'], [...base, '__db']),
    schema: optionalString(payload['__schema'] ?? payload['__source_schema'], [...base, '__schema']),
    table,
    lsn,
    txId,
    ts_ms: sourceTs,
    ts_us: null,
    ts_ns: null,
    snapshot: parseSnapshotMarker(snapshotRaw, [...base, '__snapshot']),
    sequence: null,
    raw: rawSource,
  };
  return {
    form: 'change',
    op,
    before: op === 'd' ? row : null,
    after: op === 'd' ? null : row,
    rowSchema: schema,
    source,
    transaction: null,
    ts_ms: optionalNumber(payload['__ts_ms'], [...base, '__ts_ms']),
    ts_us: null,
    tsNsRaw: undefined,
    unwrapped: true,
  };
}
